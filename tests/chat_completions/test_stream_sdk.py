"""The encoder's bytes, as the official openai SDK reads them."""

from __future__ import annotations

import itertools
import json

import httpx2 as httpx
import openai
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sdk import client_for, sse_client

from bedrock_stream.bedrock.assembly import ReplyAssembler
from bedrock_stream.bedrock.errors import ThrottlingError
from bedrock_stream.bedrock.events import (
    BlockStop,
    MessageStart,
    ReasoningDelta,
    Stop,
    TextDelta,
    ToolCall,
    ToolInputDelta,
    ToolUseStart,
    Usage,
)
from bedrock_stream.chat_completions import ChunkEncoder, completion, encode

MESSAGES = [{"role": "user", "content": "hi"}]


def _read(body: bytes):  # type: ignore[no-untyped-def]
    client = sse_client(body)
    return list(client.chat.completions.create(model="m", messages=MESSAGES, stream=True))


def _fold(chunks):  # type: ignore[no-untyped-def]
    text, reasoning, calls, finish = [], [], {}, None
    for chunk in chunks:
        for choice in chunk.choices:
            delta = choice.delta
            text.append(delta.content or "")
            reasoning.append((delta.model_extra or {}).get("reasoning_content") or "")
            for call in delta.tool_calls or []:
                entry = calls.setdefault(call.index, {"id": None, "name": "", "arguments": ""})
                entry["id"] = call.id or entry["id"]
                if call.function is not None:
                    entry["name"] += call.function.name or ""
                    entry["arguments"] += call.function.arguments or ""
            finish = choice.finish_reason or finish
    return "".join(text), "".join(reasoning), [calls[i] for i in sorted(calls)], finish


EVENTS = [
    MessageStart(),
    ReasoningDelta("think", index=0),
    BlockStop(0),
    TextDelta("Hello", index=1),
    "!",
    BlockStop(1),
    ToolUseStart("t1", "clock", index=2),
    ToolInputDelta('{"tz":', index=2),
    ToolInputDelta('"UTC"}', index=2),
    BlockStop(2),
    Stop("tool_use", "tool_use"),
    Usage(5, 7, cache_read_tokens=3),
]


def test_text_reasoning_tool_calls_and_usage() -> None:
    chunks = _read(b"".join(encode(EVENTS, "m", include_usage=True)))
    assert chunks[0].choices[0].delta.role == "assistant"
    text, reasoning, calls, finish = _fold(chunks)
    assert (text, reasoning, finish) == ("Hello!", "think", "tool_calls")
    assert calls == [{"id": "t1", "name": "clock", "arguments": '{"tz":"UTC"}'}]
    assert json.loads(calls[0]["arguments"]) == {"tz": "UTC"}
    usage = chunks[-1].usage
    assert chunks[-1].choices == []
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (8, 7, 15)
    assert usage.prompt_tokens_details.cached_tokens == 3


def test_error_frame_makes_the_sdk_raise_and_has_no_done() -> None:
    encoder = ChunkEncoder("m")
    body = encoder.event("partial") + encoder.error(RuntimeError("secret detail"))
    assert b"[DONE]" not in body and b"secret" not in body
    with pytest.raises(openai.APIError):
        _read(body)


def test_throttling_frame_names_rate_limit() -> None:
    frame = ChunkEncoder("m").error(ThrottlingError("ThrottlingException: slow down"))
    error = json.loads(frame.removeprefix(b"data: "))["error"]
    assert error["type"] == "rate_limit_error" and "slow down" not in error["message"]


def test_buffered_completion_parses() -> None:
    assembler = ReplyAssembler()
    for ev in EVENTS:
        if not isinstance(ev, str):
            assembler.feed(ev)
    body = completion(assembler.reply(), "m", created=1)
    client = client_for(lambda request: httpx.Response(200, json=body))
    result = client.chat.completions.create(model="m", messages=MESSAGES)
    message = result.choices[0].message
    assert message.content == "Hello"  # the str chunk is not an event of a Reply
    assert message.model_extra["reasoning_content"] == "think"
    assert message.tool_calls[0].function.name == "clock"
    assert json.loads(message.tool_calls[0].function.arguments) == {"tz": "UTC"}
    assert result.choices[0].finish_reason == "tool_calls"
    assert result.usage.total_tokens == 15


def _pieces(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts} | {0, len(text)})
    return [text[a:b] for a, b in itertools.pairwise(points)]


part = st.one_of(
    st.tuples(st.just("text"), st.text(min_size=1), st.lists(st.integers(0, 50))),
    st.tuples(st.just("reasoning"), st.text(min_size=1), st.lists(st.integers(0, 50))),
    st.tuples(
        st.sampled_from(["tool", "server-tool"]),
        st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3),
        st.lists(st.integers(0, 50)),
    ),
)


@given(st.lists(part, max_size=6), st.booleans())
def test_any_event_sequence_round_trips_through_the_sdk(parts, usage: bool) -> None:  # type: ignore[no-untyped-def]
    events: list[object] = [MessageStart()]
    want_text, want_reasoning, want_calls = [], [], []
    for index, (kind, value, cuts) in enumerate(parts):
        if kind.endswith("tool"):
            raw = json.dumps(value)
            server = "server_tool_use" if kind == "server-tool" else None
            events.append(ToolUseStart(f"id{index}", f"tool{index}", index, server))
            events += [ToolInputDelta(p, index) for p in _pieces(raw, cuts)]
            events.append(ToolCall(f"id{index}", f"tool{index}", value, index, server))
            if server is None:  # a server tool's call is Bedrock's to run, not the client's
                want_calls.append({"id": f"id{index}", "name": f"tool{index}", "arguments": raw})
        else:
            cls = TextDelta if kind == "text" else ReasoningDelta
            events += [cls(p, index=index) for p in _pieces(value, cuts)]
            (want_text if kind == "text" else want_reasoning).append(value)
        events.append(BlockStop(index))
    events += [Stop("end_turn", "end_turn"), Usage(1, 2)]
    text, reasoning, calls, finish = _fold(
        _read(b"".join(encode(events, "m", include_usage=usage)))
    )
    assert text == "".join(want_text)
    assert reasoning == "".join(want_reasoning)
    assert calls == want_calls
    assert finish == "stop"


def test_a_tool_call_streamed_without_input_has_the_arguments_of_an_empty_object() -> None:
    assembler = ReplyAssembler()
    raw = [MessageStart(), ToolUseStart("t1", "now", index=0), BlockStop(0), Stop("tool_use", "")]
    events = [out for event in raw for out in assembler.feed(event)]
    _, _, calls, _ = _fold(_read(b"".join(encode(events, "m"))))
    assert calls == [{"id": "t1", "name": "now", "arguments": "{}"}]  # json.loads("") fails
