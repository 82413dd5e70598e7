"""Property: any reply the assembler folds is a ``chat.completion`` the openai SDK's model takes."""

from __future__ import annotations

import itertools
import json
from typing import Any, get_args

from hypothesis import given
from hypothesis import strategies as st
from openai.types.chat import ChatCompletion

from bedrock_stream.bedrock.assembly import ReplyAssembler
from bedrock_stream.bedrock.events import (
    BlockStop,
    Event,
    ReasoningDelta,
    Stop,
    StopReason,
    TextDelta,
    ToolInputDelta,
    ToolUseStart,
    Usage,
)
from bedrock_stream.chat_completions import FINISH_REASONS, completion

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
cuts = st.lists(st.integers(0, 60), max_size=4)


def _pieces(text: str, at: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in at} | {0, len(text)})
    return [text[a:b] for a, b in itertools.pairwise(points)] or [""]


block = st.one_of(
    st.tuples(st.just("text"), st.text(max_size=20), cuts),
    st.tuples(st.just("reasoning"), st.text(max_size=20), cuts, st.none() | st.text(max_size=8)),
    st.tuples(st.just("redacted"), st.binary(min_size=1, max_size=8)),
    st.tuples(
        st.just("tool"),
        st.dictionaries(st.text(max_size=5), json_values, max_size=3) | json_values,
        cuts,
        st.sampled_from([None, "server_tool_use"]),
        st.booleans(),  # closed by its BlockStop, or by the Stop
    ),
)
usage = st.builds(
    Usage,
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.none() | st.integers(0, 10**6),
    st.none() | st.integers(0, 10**6),
)


def _events(blocks: list[Any], stop: StopReason | None, used: Usage | None) -> list[Event]:
    events: list[Event] = []
    for index, (kind, *rest) in enumerate(blocks):
        if kind == "text":
            value, at = rest
            events += [TextDelta(p, index) for p in _pieces(value, at)]
        elif kind == "reasoning":
            value, at, signature = rest
            events += [ReasoningDelta(p, index=index) for p in _pieces(value, at)]
            if signature is not None:
                events.append(ReasoningDelta(signature=signature, index=index))
        elif kind == "redacted":
            events.append(ReasoningDelta(redacted=rest[0], index=index))
        else:
            value, at, type_, closed = rest
            events.append(ToolUseStart(f"call{index}", f"tool{index}", index, type_))
            events += [ToolInputDelta(p, index) for p in _pieces(json.dumps(value), at)]
            if not closed and stop is not None:
                continue  # the Stop completes it
        events.append(BlockStop(index))
    if stop is not None:
        events.append(Stop(stop, stop))
    if used is not None:
        events.append(used)
    return events


@given(
    st.lists(block, max_size=6),
    st.none() | st.sampled_from(get_args(StopReason)),
    st.none() | usage,
)
def test_any_folded_reply_is_a_chat_completion(
    blocks: list[Any], stop: StopReason | None, used: Usage | None
) -> None:
    assembler = ReplyAssembler()
    for event in _events(blocks, stop, used):
        assembler.feed(event)
    reply = assembler.reply()
    result = ChatCompletion.model_validate(completion(reply, "m", created=1, id="chatcmpl-1"))
    (choice,) = result.choices
    message = choice.message
    assert (message.content or "") == reply.text
    assert (message.model_extra or {}).get("reasoning_content", "") == reply.reasoning_text
    calls = [
        (c.id, c.function.name, json.loads(c.function.arguments)) for c in message.tool_calls or []
    ]
    assert calls == [(c.id, c.name, c.input) for c in reply.tool_calls if c.type is None]
    assert choice.finish_reason == (FINISH_REASONS[stop] if stop is not None else "stop")
    assert result.usage is not None
    want = used or Usage(0, 0)
    assert result.usage.completion_tokens == want.output_tokens
    assert result.usage.total_tokens == result.usage.prompt_tokens + want.output_tokens
