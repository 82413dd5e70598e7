"""Our UI message streams, read by the ``ai`` package's own Chat and DefaultChatTransport."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
from ai_chat import as_text, run_chats
from botocore.validate import validate_parameters
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_stream.bedrock.events import (
    BlockStop,
    Citation,
    MessageStart,
    ReasoningDelta,
    Stop,
    TextDelta,
    ToolCall,
    ToolInputDelta,
    ToolResultDelta,
    ToolResultStart,
    ToolUseStart,
    Usage,
)
from bedrock_stream.bedrock.requests import build_converse_request
from bedrock_stream.errors import HTTPError
from bedrock_stream.ui_message_stream import UIMessageStreamEncoder, encode, parse_request

MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
SHAPE = (
    botocore.session.get_session()
    .get_service_model("bedrock-runtime")
    .operation_model("ConverseStream")
    .input_shape
)


def agent_loop() -> bytes:
    """Two model calls in one message: reasoning, text and a tool call, the tool's output, text."""
    encoder = UIMessageStreamEncoder(message_id="msg-1")
    first = [
        MessageStart(),
        ReasoningDelta("Weather needs ", index=0),
        ReasoningDelta("the tool.", index=0),
        ReasoningDelta(signature="sig-abc", index=0),
        BlockStop(0),
        TextDelta("Let me check.", index=1),
        BlockStop(1),
        ToolUseStart("call-1", "get_weather", index=2),
        ToolInputDelta('{"city": ', index=2),
        ToolInputDelta('"Lisbon"}', index=2),
        BlockStop(2),
        ToolCall("call-1", "get_weather", {"city": "Lisbon"}, index=2),
        Stop("tool_use", "tool_use"),
        Usage(10, 20),
    ]
    second = [MessageStart(), TextDelta("Sunny in Lisbon."), BlockStop(0), Stop("end_turn", None)]
    out = b"".join(encoder.event(ev) for ev in first)
    out += encoder.tool_output("call-1", {"sky": "sunny"})
    out += b"".join(encoder.event(ev) for ev in second)
    return out + encoder.end()


def test_an_agent_loop_is_one_message_of_two_steps_and_goes_back_as_converse() -> None:
    (first,) = run_chats([{"stream": as_text(agent_loop())}])
    assert first["status"] == "ready" and first["error"] is None
    assert first["finish"] == {"finishReason": "stop", "isError": False}
    message = first["message"]
    assert message["id"] == "msg-1" and message["role"] == "assistant"
    kinds = [part["type"] for part in message["parts"]]
    assert kinds == ["step-start", "reasoning", "text", "tool-get_weather", "step-start", "text"]
    reasoning, text, call, text2 = (message["parts"][i] for i in (1, 2, 3, 5))
    assert reasoning["text"] == "Weather needs the tool."
    assert reasoning["providerMetadata"] == {"bedrock": {"signature": "sig-abc"}}
    assert text["text"] == "Let me check." and text2["text"] == "Sunny in Lisbon."
    assert call["state"] == "output-available"
    assert (call["toolCallId"], call["input"], call["output"]) == (
        "call-1",
        {"city": "Lisbon"},
        {"sky": "sunny"},
    )
    # The next turn: the Chat posts the history back; it parses to Converse Bedrock accepts.
    (second,) = run_chats(
        [
            {
                "stream": as_text(b"".join(encode(["ok"]))),
                "messages": [*first["sent"]["messages"], message],
            }
        ]
    )
    request = parse_request(json.dumps(second["sent"]))
    assert request.trigger == "submit-message" and request.id == "chat-1"
    assert [m["role"] for m in request.messages] == [
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]
    assert request.messages[1]["content"] == [
        {
            "reasoningContent": {
                "reasoningText": {"text": "Weather needs the tool.", "signature": "sig-abc"}
            }
        },
        {"text": "Let me check."},
        {"toolUse": {"toolUseId": "call-1", "name": "get_weather", "input": {"city": "Lisbon"}}},
    ]
    assert request.messages[2]["content"] == [
        {"toolResult": {"toolUseId": "call-1", "content": [{"json": {"sky": "sunny"}}]}}
    ]
    validate_parameters(
        build_converse_request(MODEL, request.messages, max_tokens=100, **request.options), SHAPE
    )


def test_citations_and_a_server_tool_are_sources_and_a_provider_executed_tool() -> None:
    events: list[Any] = [
        TextDelta("Cited."),
        Citation(0, title="Doc A", text="a"),
        Citation(0, title="Site", location={"web": {"url": "https://example.com/"}}),
        BlockStop(0),
        ToolUseStart("srv-1", "web_search", index=1, type="server_tool_use"),
        ToolCall("srv-1", "web_search", {"q": "x"}, index=1, type="server_tool_use"),
        BlockStop(1),
        ToolResultStart("srv-1", index=2),
        ToolResultDelta(({"text": "found"},), index=2),
        BlockStop(2),
        Stop("end_turn", None),
    ]
    (result,) = run_chats([{"stream": as_text(b"".join(encode(events)))}])
    parts = result["message"]["parts"]
    assert [p["type"] for p in parts] == [
        "step-start",
        "text",
        "source-document",
        "source-url",
        "tool-web_search",
    ]
    assert parts[2]["title"] == "Doc A" and parts[3]["url"] == "https://example.com/"
    assert parts[4]["providerExecuted"] is True and parts[4]["output"] == [{"text": "found"}]


def test_a_failure_is_an_error_chunk_that_fails_the_chat() -> None:
    def failing(exc: Exception) -> bytes:
        encoder = UIMessageStreamEncoder()
        return encoder.event("partial ") + encoder.error(exc)

    internal = failing(RuntimeError("secret detail"))
    assert b"secret" not in internal
    results = run_chats(
        [{"stream": as_text(internal)}, {"stream": as_text(failing(HTTPError(429, "slow down")))}]
    )
    assert all(r["finish"]["isError"] for r in results)
    assert [(r["status"], r["error"], r["onError"]) for r in results] == [
        ("error", "The response failed.", "The response failed."),
        ("error", "slow down", "slow down"),
    ]
    assert results[0]["message"]["parts"][1]["text"] == "partial "


# -- any sequence of events ---------------------------------------------------------------------

_words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8)
# JavaScript numbers hold integers exactly up to 2**53 only (a limit of every JSON reader in JS).
_safe_int = st.integers(-(2**53), 2**53)
_inputs = st.dictionaries(
    st.text("abcxyz", min_size=1, max_size=4), _safe_int | st.text(max_size=5), max_size=3
)
_block = st.one_of(
    st.tuples(st.just("text"), st.lists(_words, min_size=1, max_size=4)),
    st.tuples(st.just("reasoning"), st.lists(_words, min_size=1, max_size=4), st.none() | _words),
    st.tuples(st.just("tool"), st.text("abc_", min_size=1, max_size=6), _inputs, st.integers(1, 4)),
)
# The finish reasons docs/ui-message-stream.md gives for each stop reason.
_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool-calls",
    "guardrail_intervened": "content-filter",
    "content_filtered": "content-filter",
    "other": "other",
}
_reasons = st.sampled_from(sorted(_FINISH))
_steps = st.lists(
    st.tuples(st.lists(_block, min_size=1, max_size=4), _reasons, st.booleans()),
    min_size=1,
    max_size=3,
)


def _events_and_expected(steps: list[Any]) -> tuple[list[Any], list[list[Any]]]:
    """Events of some model calls (``as_str``: block 0's text as plain ``str`` chunks)."""
    events: list[Any] = []
    expected: list[list[Any]] = []
    calls = 0
    for blocks, reason, as_str in steps:
        events.append(MessageStart())
        want: list[Any] = []
        for index, block in enumerate(blocks):
            if block[0] == "text":
                plain = as_str and index == 0
                events += [t if plain else TextDelta(t, index=index) for t in block[1]]
                want.append(["text", "".join(block[1])])
            elif block[0] == "reasoning":
                events += [ReasoningDelta(t, index=index) for t in block[1]]
                if block[2] is not None:
                    events.append(ReasoningDelta(signature=block[2], index=index))
                want.append(["reasoning", "".join(block[1])])
            else:
                calls += 1
                call_id, raw = f"call-{calls}", json.dumps(block[2])
                size = max(1, len(raw) // block[3])
                events.append(ToolUseStart(call_id, block[1], index=index))
                events += [
                    ToolInputDelta(raw[i : i + size], index=index) for i in range(0, len(raw), size)
                ]
                events.append(ToolCall(call_id, block[1], block[2], index=index))
                want.append(["tool", call_id, block[1], block[2]])
            events.append(BlockStop(index))
        events += [Stop(reason, reason), Usage(3, 4)]
        expected.append(want)
    return events, expected


def _decoded(message: dict[str, Any]) -> list[list[Any]]:
    steps: list[list[Any]] = []
    for part in message["parts"]:
        kind = part["type"]
        if kind == "step-start":
            steps.append([])
        elif kind in ("text", "reasoning"):
            steps[-1].append([kind, part["text"]])
        elif kind.startswith("tool-"):
            steps[-1].append(["tool", part["toolCallId"], kind[5:], part["input"]])
    return steps


def test_any_events_decode_to_the_same_text_reasoning_and_tool_calls() -> None:
    cases: list[tuple[list[list[Any]], str, str]] = []

    @settings(max_examples=150, database=None, deadline=None)
    @given(_steps)
    def collect(steps: list[Any]) -> None:
        events, expected = _events_and_expected(steps)
        cases.append((expected, _FINISH[steps[-1][1]], as_text(b"".join(encode(events)))))

    collect()
    results = run_chats([{"stream": stream} for *_, stream in cases])
    assert len(results) == len(cases)
    for (expected, finish, stream), result in zip(cases, results, strict=True):
        assert result["status"] == "ready", (result, stream)
        assert _decoded(result["message"]) == expected, stream
        assert result["finish"] == {"finishReason": finish, "isError": False}, stream


def test_a_failed_tool_and_redacted_reasoning_reach_the_chat_and_go_back() -> None:
    encoder = UIMessageStreamEncoder()
    out = encoder.event(ReasoningDelta(redacted=b"\x00\x01", index=0))
    out += encoder.event(BlockStop(0))
    out += encoder.event(ToolCall("c1", "calc", {"x": 0}, index=1))
    out += encoder.event(Stop("tool_use", "tool_use"))
    out += encoder.tool_error("c1", "division by zero") + encoder.end()
    (result,) = run_chats([{"stream": as_text(out)}])
    assert result["finish"]["finishReason"] == "tool-calls"
    reasoning, call = result["message"]["parts"][1:]
    assert reasoning["providerMetadata"] == {"bedrock": {"redactedData": "AAE="}}
    assert (call["state"], call["errorText"]) == ("output-error", "division by zero")
    request = parse_request({"messages": [*result["sent"]["messages"], result["message"]]})
    assert request.messages[1:] == [
        {
            "role": "assistant",
            "content": [
                {"reasoningContent": {"redactedContent": b"\x00\x01"}},
                {"toolUse": {"toolUseId": "c1", "name": "calc", "input": {"x": 0}}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "toolResult": {
                        "toolUseId": "c1",
                        "content": [{"text": "division by zero"}],
                        "status": "error",
                    }
                }
            ],
        },
    ]
