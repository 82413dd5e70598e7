"""Tool calls, block numbers and unknown kinds across the families' invoke parsers."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bedrock_stream.bedrock import (
    BlockStart,
    BlockStop,
    ChunkParser,
    Citation,
    Event,
    MessageStart,
    RawEvent,
    ReasoningDelta,
    Stop,
    TextDelta,
    ToolInputDelta,
    ToolUseStart,
    UnknownModelError,
    parse_invoke_response,
    resolve_family,
)
from bedrock_stream.bedrock.families import NO_INVOKE_FAMILY


def feed(family: Any, chunks: list[Any]) -> list[Event]:
    parser = ChunkParser(family)
    return [event for chunk in chunks for event in parser.feed(chunk)]


def pieces(text: str, cuts: list[int]) -> list[str]:
    """``text`` cut at ``cuts`` (any positions, any order): pieces that join to it."""
    bounds = sorted({0, len(text), *(c % (len(text) + 1) for c in cuts)})
    return [text[a:b] for a, b in pairwise(bounds)]


def joined_input(events: list[Event], index: int) -> str:
    return "".join(e.json for e in events if isinstance(e, ToolInputDelta) and e.index == index)


calls = st.lists(
    st.tuples(st.text(max_size=30), st.lists(st.integers(min_value=0), max_size=6)),
    min_size=1,
    max_size=3,
)


@given(text=st.text(max_size=5), calls=calls)
def test_openai_style_fragments_join_to_each_calls_arguments(
    text: str, calls: list[tuple[str, list[int]]]
) -> None:
    chunks: list[dict[str, Any]] = [{"choices": [{"delta": {"role": "assistant"}}]}]
    if text:
        chunks.append({"choices": [{"delta": {"content": text}}]})
    for k, (arguments, cuts) in enumerate(calls):
        first = {"index": k, "id": f"call_{k}", "type": "function", "function": {"name": "f"}}
        chunks.append({"choices": [{"delta": {"tool_calls": [first]}}]})
        for piece in pieces(arguments, cuts):
            fragment = {"index": k, "id": None, "function": {"arguments": piece, "name": None}}
            chunks.append({"choices": [{"delta": {"tool_calls": [fragment]}}]})
    chunks.append({"choices": [{"delta": {}, "finish_reason": "tool_calls"}]})
    events = feed("openai", chunks)
    starts = [e for e in events if isinstance(e, ToolUseStart)]
    first_call = 1 if text else 0  # text is block 0 when it comes first
    assert [s.index for s in starts] == [first_call + k for k in range(len(calls))]
    assert [s.id for s in starts] == [f"call_{k}" for k in range(len(calls))]
    for start, (arguments, _) in zip(starts, calls, strict=True):
        assert joined_input(events, start.index) == arguments
    assert all(e.index == 0 for e in events if isinstance(e, TextDelta))
    stops = [e.index for e in events if isinstance(e, BlockStop)]
    assert stops == list(range(first_call + len(calls)))


@given(calls=calls)
def test_openai_style_calls_in_one_chunk_are_keyed_by_their_own_index(
    calls: list[tuple[str, list[int]]],
) -> None:
    """Parallel calls: every chunk carries a fragment of every call, in reverse order."""
    split = [pieces(arguments, cuts) for arguments, cuts in calls]
    rounds = max(len(p) for p in split)
    first = [
        {"index": k, "id": f"call_{k}", "function": {"name": "f", "arguments": ""}}
        for k in range(len(calls))
    ]
    chunks: list[dict[str, Any]] = [{"choices": [{"delta": {"tool_calls": first}}]}]
    for n in range(rounds):
        fragments = [
            {"index": k, "function": {"arguments": p[n]}}
            for k, p in reversed(list(enumerate(split)))
            if n < len(p)
        ]
        chunks.append({"choices": [{"delta": {"tool_calls": fragments}}]})
    chunks.append({"choices": [{"delta": {}, "finish_reason": "tool_calls"}]})
    events = feed("ai21-jamba", chunks)
    for k, (arguments, _) in enumerate(calls):
        assert joined_input(events, k) == arguments


@given(arguments=st.text(max_size=40), cuts=st.lists(st.integers(min_value=0), max_size=8))
def test_anthropic_input_json_deltas_join_to_the_input(arguments: str, cuts: list[int]) -> None:
    chunks: list[dict[str, Any]] = [
        {"type": "content_block_start", "index": 2, "content_block": {"type": "tool_use"}}
    ]
    for piece in pieces(arguments, cuts):
        delta = {"type": "input_json_delta", "partial_json": piece}
        chunks.append({"type": "content_block_delta", "index": 2, "delta": delta})
    chunks.append({"type": "content_block_stop", "index": 2})
    events = feed("anthropic", chunks)
    assert joined_input(events, 2) == arguments
    assert {e.index for e in events if isinstance(e, ToolInputDelta)} <= {2}
    assert events[-1] == BlockStop(2)


@given(arguments=st.text(max_size=40), cuts=st.lists(st.integers(min_value=0), max_size=8))
def test_nova_tool_input_deltas_join_to_the_input(arguments: str, cuts: list[int]) -> None:
    start = {"start": {"toolUse": {"toolUseId": "t", "name": "f"}}, "contentBlockIndex": 1}
    chunks: list[dict[str, Any]] = [{"contentBlockStart": start}]
    for piece in pieces(arguments, cuts):
        delta = {"delta": {"toolUse": {"input": piece}}, "contentBlockIndex": 1}
        chunks.append({"contentBlockDelta": delta})
    events = feed("amazon-nova", chunks)
    assert events[0] == ToolUseStart("t", "f", 1)
    assert joined_input(events, 1) == arguments


@given(st.lists(st.text(max_size=20), min_size=1, max_size=3))
def test_mistral_whole_calls_keep_their_arguments_and_their_place(arguments: list[str]) -> None:
    tool_calls = [
        {"id": f"m{k}", "function": {"name": "f", "arguments": a}} for k, a in enumerate(arguments)
    ]
    message = {"role": "assistant", "content": "", "tool_calls": tool_calls}
    chunk = {"choices": [{"index": 0, "message": message, "stop_reason": "tool_calls"}]}
    events = feed("mistral", [chunk])
    for k, a in enumerate(arguments):
        assert joined_input(events, k) == a
    assert [e.id for e in events if isinstance(e, ToolUseStart)] == [
        f"m{k}" for k in range(len(arguments))
    ]


@pytest.mark.parametrize(
    ("family", "chunk"),
    [
        ("anthropic", {"type": "error", "error": {"type": "overloaded_error"}}),
        ("anthropic", {"type": "brand_new_event", "index": 0}),
        (
            "anthropic",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "new_block"}},
        ),
        ("anthropic", {"type": "content_block_delta", "index": 0, "delta": {"type": "new"}}),
        ("cohere-command-r", {"event_type": "search-results", "documents": []}),
        ("cohere-command-r", {"event_type": "brand-new-event"}),
        ("amazon-nova", {"brandNewEvent": {}}),
        ("amazon-nova", {"contentBlockDelta": {"delta": {"new": {}}, "contentBlockIndex": 0}}),
    ],
)
def test_an_unknown_kind_reaches_the_caller_as_a_raw_event(family: Any, chunk: Any) -> None:
    if family == "amazon-nova":  # a ConverseStream event: the raw event keeps its name
        ((name, payload),) = chunk.items()
        assert feed(family, [chunk]) == [RawEvent(name, payload)]
        return
    assert feed(family, [chunk]) == [RawEvent("chunk", chunk)]


@pytest.mark.parametrize(
    ("family", "chunk"),
    [
        ("anthropic", {"type": "ping"}),
        ("anthropic", {"type": "message_stop"}),
        ("cohere-command-r", {"event_type": "tool-calls-chunk", "tool_call_delta": {"index": 0}}),
        ("amazon-nova", {"amazon-bedrock-invocationMetrics": {"inputTokenCount": 1}}),
    ],
)
def test_the_listed_kinds_that_carry_nothing_are_dropped(family: Any, chunk: Any) -> None:
    assert not any(isinstance(e, RawEvent) for e in feed(family, [chunk]))


@pytest.mark.parametrize(
    "model_id",
    [
        "moonshot.kimi-k2-thinking",
        "moonshotai.kimi-k2.5",
        "us.minimax.minimax-m2",
        "google.gemma-3-27b-it",
        "nvidia.nemotron-nano-12b-v2",
        "zai.glm-4.6",
        "us.twelvelabs.pegasus-1-2-v1:0",
        "amazon.nova-canvas-v1:0",
        "amazon.nova-reel-v1:1",
        "amazon.nova-sonic-v1:0",
        "us.amazon.nova-2-sonic-v1:0",
    ],
)
def test_models_no_family_parses_say_so_and_point_to_converse(model_id: str) -> None:
    with pytest.raises(UnknownModelError, match='api="converse"') as info:
        resolve_family(model_id)
    assert "family=" in str(info.value)
    assert any(name in str(info.value) for name in NO_INVOKE_FAMILY.values())


@pytest.mark.parametrize(
    ("model_id", "family"),
    [
        ("us.amazon.nova-2-lite-v1:0", "amazon-nova"),
        ("amazon.nova-premier-v1:0", "amazon-nova"),
        ("mistral.magistral-small-2509", "mistral"),
        ("mistral.devstral-2-123b", "mistral"),
    ],
)
def test_text_models_next_to_those_prefixes_still_resolve(model_id: str, family: str) -> None:
    assert resolve_family(model_id) == family


def test_an_anthropic_body_gives_its_thinking_blocks_as_its_stream_would() -> None:
    thinking = {"type": "thinking", "thinking": "Let me think.", "signature": "c2ln"}
    redacted = {"type": "redacted_thinking", "data": "EmwKAhgB"}
    text = {"type": "text", "text": "Four."}
    body = {"role": "assistant", "content": [thinking, redacted, text], "stop_reason": "end_turn"}
    assert parse_invoke_response("anthropic", body, {}) == [
        MessageStart(),
        BlockStart(0, "reasoning", thinking),
        ReasoningDelta(text="Let me think.", index=0),
        ReasoningDelta(signature="c2ln", index=0),
        BlockStop(0),
        BlockStart(1, "redacted_reasoning", redacted),
        ReasoningDelta(redacted=b"EmwKAhgB", index=1),
        BlockStop(1),
        BlockStart(2, "text", text),
        TextDelta("Four.", 2),
        BlockStop(2),
        Stop("end_turn", "end_turn"),
    ]


def test_a_nova_body_gives_reasoning_tool_input_and_citations_at_their_blocks() -> None:
    cited = {"title": "t", "source": "s", "sourceContent": [{"text": "src"}], "location": {}}
    content = [
        {"reasoningContent": {"reasoningText": {"text": "hm", "signature": "sig"}}},
        {"reasoningContent": {"redactedContent": "AQI="}},
        {"citationsContent": {"content": [{"text": "cited"}], "citations": [cited]}},
        {"toolUse": {"toolUseId": "t1", "name": "f", "input": {"a": 1}}},
    ]
    body = {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": "tool_use",
    }
    assert parse_invoke_response("amazon-nova", body, {}) == [
        MessageStart(),
        ReasoningDelta(text="hm", signature="sig", index=0),
        BlockStop(0),
        ReasoningDelta(redacted=b"\x01\x02", index=1),
        BlockStop(1),
        TextDelta("cited", 2),
        Citation(2, "t", "s", "src", {}),
        BlockStop(2),
        ToolUseStart("t1", "f", 3),
        ToolInputDelta('{"a": 1}', 3),
        BlockStop(3),
        Stop("tool_use", "tool_use"),
    ]


def test_an_openai_style_body_gives_reasoning_then_text_in_their_own_blocks() -> None:
    message = {"role": "assistant", "reasoning_content": "hm", "content": "Hi"}
    body = {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
    assert parse_invoke_response("openai", body, {}) == [
        MessageStart(),
        ReasoningDelta(text="hm", index=0),
        TextDelta("Hi", 1),
        BlockStop(0),
        BlockStop(1),
        Stop("end_turn", "stop"),
    ]


@given(thought=st.text(max_size=30), text=st.text(max_size=30))
def test_a_gpt_oss_body_gives_its_tagged_reasoning_as_reasoning(thought: str, text: str) -> None:
    """InvokeModel puts gpt-oss's reasoning in <reasoning> tags before the text (AWS's page)."""
    content = f"<reasoning>{thought.replace('</reasoning>', '')}</reasoning>{text}"
    message = {"role": "assistant", "content": content}
    body = {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
    events = parse_invoke_response("openai", body, {})
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    assert reasoning == thought.replace("</reasoning>", "")
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == text
    assert events[-1] == Stop("end_turn", "stop")
