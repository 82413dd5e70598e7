"""ReplyAssembler: aggregates and complete tool calls from any split and order of events."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bedrock_stream.bedrock.assembly import ReplyAssembler, ToolResult
from bedrock_stream.bedrock.errors import BedrockError, ToolInputError
from bedrock_stream.bedrock.events import (
    BlockStop,
    Citation,
    Event,
    MessageStart,
    Metrics,
    PerformanceConfig,
    RawEvent,
    ReasoningDelta,
    ServiceTier,
    Stop,
    TextDelta,
    ToolCall,
    ToolInputDelta,
    ToolResultDelta,
    ToolResultStart,
    ToolUseStart,
    Usage,
)


def fold(events: list[Event]) -> tuple[ReplyAssembler, list[Event]]:
    assembler = ReplyAssembler()
    out: list[Event] = []
    for event in events:
        out += assembler.feed(event)
    return assembler, out


def split(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts} | {0, len(text)})
    return [text[a:b] for a, b in itertools.pairwise(points) if b > a] or [text]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)


@st.composite
def replies(draw: Any) -> tuple[list[Event], dict[str, Any]]:
    """A reply's events as ConverseStream sends them, blocks one after another, any split."""
    events: list[Event] = [MessageStart()]
    expected: dict[str, Any] = {"text": "", "reasoning": "", "calls": [], "content": []}
    for index in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["text", "reasoning", "tool"]))
        cuts = draw(st.lists(st.integers(0, 200), max_size=6))
        if kind == "text":
            text = draw(st.text(min_size=1, max_size=40))
            events += [TextDelta(part, index) for part in split(text, cuts)]
            expected["text"] += text
            expected["content"].append({"text": text})
        elif kind == "reasoning":
            text = draw(st.text(min_size=1, max_size=40))
            signature = draw(st.text(min_size=1, max_size=12))
            events += [ReasoningDelta(part, index=index) for part in split(text, cuts)]
            events.append(ReasoningDelta(signature=signature, index=index))
            expected["reasoning"] += text
            expected["content"].append(
                {"reasoningContent": {"reasoningText": {"text": text, "signature": signature}}}
            )
        else:
            value = draw(st.dictionaries(st.text(max_size=5), JSON_VALUES, max_size=3))
            raw = json.dumps(value)
            call = ToolCall(f"tool-{index}", "lookup", value, index)
            events.append(ToolUseStart(call.id, call.name, index))
            events += [ToolInputDelta(part, index) for part in split(raw, cuts)]
            expected["calls"].append(call)
            expected["content"].append(call.as_block())
        events.append(BlockStop(index))
    events += [Stop("end_turn", "end_turn"), Usage(3, 5), Metrics(invocation_latency_ms=9)]
    return events, expected


@given(replies())
def test_any_split_folds_to_the_whole_reply(case: tuple[list[Event], dict[str, Any]]) -> None:
    events, expected = case
    assembler, out = fold(events)
    reply = assembler.reply()
    assert reply.text == expected["text"]
    assert reply.reasoning_text == expected["reasoning"]
    assert reply.tool_calls == tuple(expected["calls"])
    assert reply.message == {"role": "assistant", "content": expected["content"]}
    assert reply.stop == Stop("end_turn", "end_turn")
    assert reply.usage == Usage(3, 5)
    # every event comes back in order, each ToolCall right after its block's stop
    assert [e for e in out if not isinstance(e, ToolCall)] == events
    for position, event in enumerate(out):
        if isinstance(event, ToolCall):
            assert out[position - 1] == BlockStop(event.index)


@given(st.lists(st.integers(0, 200), max_size=6), st.booleans())
def test_a_wire_without_block_stops_completes_tool_calls_at_the_stop(
    cuts: list[int], two: bool
) -> None:
    # OpenAI-style invoke chunks close no blocks: the stop completes every open call.
    calls = [ToolCall("call_1", "weather", {"city": "Paris"}, 1)]
    if two:
        calls.append(ToolCall("call_2", "time", {}, 2))
    events: list[Event] = [TextDelta("Let me check.", 0)]
    for call in calls:
        events.append(ToolUseStart(call.id, call.name, call.index))
        raw = json.dumps(call.input) if call.input else ""
        events += [ToolInputDelta(part, call.index) for part in split(raw, cuts)] if raw else []
    stop = Stop("tool_use", "tool_calls")
    assembler, out = fold([*events, stop])
    assert out == [*events, stop, *calls]
    assert assembler.tool_calls == tuple(calls)


def test_an_empty_tool_input_is_an_empty_object() -> None:
    _, out = fold([ToolUseStart("t", "now", 0), BlockStop(0)])
    assert out[-1] == ToolCall("t", "now", {}, 0)


def test_malformed_tool_input_is_a_clear_error_naming_the_tool() -> None:
    assembler = ReplyAssembler()
    assembler.feed(ToolUseStart("tooluse_1", "get_weather", 2))
    assembler.feed(ToolInputDelta('{"city": "Par', 2))
    with pytest.raises(ToolInputError) as info:
        assembler.feed(BlockStop(2))
    assert isinstance(info.value, BedrockError)
    assert info.value.name == "get_weather"
    assert info.value.tool_use_id == "tooluse_1"
    assert info.value.input_json == '{"city": "Par'
    assert "get_weather" in str(info.value) and "not JSON" in str(info.value)


def test_a_tool_call_is_completed_once() -> None:
    _, out = fold(
        [ToolUseStart("t", "f", 0), ToolInputDelta("{}", 0), BlockStop(0), Stop("tool_use", None)]
    )
    assert [e for e in out if isinstance(e, ToolCall)] == [ToolCall("t", "f", {}, 0)]


def test_redacted_reasoning_is_echoed_as_redacted_content() -> None:
    assembler, _ = fold([ReasoningDelta(redacted=b"\x01\x02", index=0), BlockStop(0)])
    assert assembler.reply().message["content"] == [
        {"reasoningContent": {"redactedContent": b"\x01\x02"}}
    ]
    assert assembler.reasoning_text == ""


def test_server_tool_results_citations_tier_and_raw_events_are_kept() -> None:
    cite = Citation(1, title="Guide", text="rivers flow", location={"documentChar": {}})
    raw = RawEvent("contentBlockDelta", {"delta": {"image": {}}})
    assembler, _ = fold(
        [
            ToolResultStart("srv_1", 0, "web_search_result", "success"),
            ToolResultDelta(({"text": "a"},), 0),
            ToolResultDelta(({"json": {"b": 1}},), 0),
            TextDelta("Rivers flow.", 1),
            cite,
            raw,
            Stop("end_turn", "end_turn"),
            PerformanceConfig("optimized"),
            ServiceTier("priority"),
        ]
    )
    reply = assembler.reply()
    assert reply.tool_results == (
        ToolResult("srv_1", ({"text": "a"}, {"json": {"b": 1}}), 0, "web_search_result", "success"),
    )
    assert reply.citations == (cite,)
    assert reply.raw_events == (raw,)
    assert (reply.latency, reply.service_tier) == ("optimized", "priority")


def test_invoke_first_byte_latency_survives_a_later_total() -> None:
    first = Metrics(first_byte_latency_ms=100, invocation_latency_ms=900)
    assembler, _ = fold([first, Metrics(invocation_latency_ms=950)])
    assert assembler.metrics == first
