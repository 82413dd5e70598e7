"""Events → ``chat.completion.chunk`` Server-Sent Events, ending with ``data: [DONE]``.

:class:`ChunkEncoder` takes the events of :mod:`bedrock_stream.bedrock.events` (a plain
``str`` is text) and returns the bytes of the chunks they make: the first carries
``delta.role``; text is ``delta.content``; reasoning is ``delta.reasoning_content`` (the
field OpenAI-compatible servers use; OpenAI's schema has none); a tool call is a
``tool_calls`` delta with its index, id, type and name, then its argument fragments (a
server tool's call, which Bedrock runs, is not sent); the
stop is a chunk with ``finish_reason``; with ``include_usage`` a last chunk has empty
``choices`` and the ``usage``. :meth:`ChunkEncoder.error` is the in-band error frame, after
which no ``[DONE]`` is sent, so clients raise.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from bedrock_stream.bedrock.events import (
    MessageStart,
    ReasoningDelta,
    Stop,
    StopReason,
    TextDelta,
    ToolCall,
    ToolInputDelta,
    ToolUseStart,
    Usage,
)

from .._json_sse import DONE, json_event
from .errors import frame_error

__all__ = ["CONTENT_TYPE", "DONE", "FINISH_REASONS", "HEADERS", "ChunkEncoder", "encode"]

CONTENT_TYPE = "text/event-stream; charset=utf-8"
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

FINISH_REASONS: dict[StopReason, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
    "other": "stop",
}
"""Normalized stop reason → OpenAI's ``finish_reason``."""


def completion_id() -> str:
    """Return a fresh ``chatcmpl-...`` id."""
    return f"chatcmpl-{uuid.uuid4().hex}"


def usage_object(usage: Usage) -> dict[str, Any]:
    """Return OpenAI's ``usage`` for ``usage`` (cached tokens in ``prompt_tokens_details``)."""
    prompt = usage.input_tokens + (usage.cache_read_tokens or 0) + (usage.cache_write_tokens or 0)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": usage.output_tokens,
        "total_tokens": prompt + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cache_read_tokens or 0},
    }


class ChunkEncoder:
    """Encodes one completion's events as chunks (see the module docstring)."""

    def __init__(self, model: str, *, include_usage: bool = False, id: str | None = None) -> None:
        self.model = model
        self.include_usage = include_usage
        self.id = id or completion_id()
        self.created = int(time.time())
        self._started = False
        self._tools: dict[int, int] = {}  # block index → tool_calls index
        self._next_tool = 0
        self._called: set[str] = set()
        self._argued: set[int] = set()  # tool_calls indexes that got an arguments fragment
        self._usage: Usage | None = None
        self._finished = False

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        head = b"" if self._started else self._first()
        return head + self._plain(delta, finish)

    def event(self, ev: object) -> bytes:
        """Return the bytes of ``ev``'s chunks (``b""`` for an event with no chunk)."""
        if isinstance(ev, str):
            return self._chunk({"content": ev}) if ev else b""
        on = _ON.get(type(ev))
        return on(self, ev) if on is not None else b""

    def _on_start(self, ev: MessageStart) -> bytes:
        return b"" if self._started else self._first()

    def _first(self) -> bytes:
        self._started = True
        return self._plain({"role": "assistant", "content": ""}, None)

    def _plain(self, delta: dict[str, Any], finish: str | None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return self._envelope([choice])

    def _envelope(self, choices: list[dict[str, Any]], **extra: Any) -> bytes:
        """One ``chat.completion.chunk`` event: the completion's id, time and model."""
        chunk = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
        }
        return json_event({**chunk, **extra})

    def _on_text(self, ev: TextDelta) -> bytes:
        return self._chunk({"content": ev.text}) if ev.text else b""

    def _on_reasoning(self, ev: ReasoningDelta) -> bytes:
        return self._chunk({"reasoning_content": ev.text}) if ev.text else b""

    def _take_tool(self) -> int:
        self._next_tool += 1
        return self._next_tool - 1

    def _tool_delta(self, index: int, call: dict[str, Any]) -> bytes:
        return self._chunk({"tool_calls": [{"index": index, **call}]})

    def _on_tool_start(self, ev: ToolUseStart) -> bytes:
        if ev.type is not None:
            return b""  # a server tool Bedrock runs: not the client's to call
        index = self._tools[ev.index] = self._take_tool()
        self._called.add(ev.id)
        call = {"id": ev.id, "type": "function", "function": {"name": ev.name, "arguments": ""}}
        return self._tool_delta(index, call)

    def _on_tool_input(self, ev: ToolInputDelta) -> bytes:
        index = self._tools.get(ev.index)
        if index is None or not ev.json:
            return b""
        self._argued.add(index)
        return self._tool_delta(index, {"function": {"arguments": ev.json}})

    def _on_tool_call(self, ev: ToolCall) -> bytes:
        if ev.type is not None:
            return b""  # a server tool's
        index = self._tools.get(ev.index)
        if ev.id in self._called and index is not None and index not in self._argued:
            # A call streamed with no input at all: its arguments are "{}", never "".
            self._argued.add(index)
            return self._tool_delta(index, {"function": {"arguments": json.dumps(ev.input)}})
        if ev.id in self._called:
            return b""  # already streamed from its start and input
        self._called.add(ev.id)
        index = self._take_tool()
        arguments = json.dumps(ev.input)
        function = {"name": ev.name, "arguments": arguments}
        return self._tool_delta(index, {"id": ev.id, "type": "function", "function": function})

    def _on_stop(self, ev: Stop) -> bytes:
        self._finished = True
        return self._chunk({}, FINISH_REASONS[ev.reason])

    def _on_usage(self, ev: Usage) -> bytes:
        self._usage = ev
        return b""

    def error(self, exc: BaseException) -> bytes:
        """Return the in-band ``data: {"error": {...}}`` frame (no exception text in it)."""
        return json_event(frame_error(exc))

    def end(self) -> bytes:
        """Return the last bytes: a finish chunk if none came, the usage chunk, ``[DONE]``."""
        out = b"" if self._finished else self._chunk({}, "stop")
        if self.include_usage:
            out += self._envelope([], usage=usage_object(self._usage or Usage(0, 0)))
        return out + DONE


_ON: dict[type, Callable[[ChunkEncoder, Any], bytes]] = {
    MessageStart: ChunkEncoder._on_start,
    TextDelta: ChunkEncoder._on_text,
    ReasoningDelta: ChunkEncoder._on_reasoning,
    ToolUseStart: ChunkEncoder._on_tool_start,
    ToolInputDelta: ChunkEncoder._on_tool_input,
    ToolCall: ChunkEncoder._on_tool_call,
    Stop: ChunkEncoder._on_stop,
    Usage: ChunkEncoder._on_usage,
}
"""Event type → its chunks; every other event (metrics, traces ...) has none."""


def encode(
    events: Iterable[object],
    model: str,
    *,
    include_usage: bool = False,
    encoder: ChunkEncoder | None = None,
) -> Iterator[bytes]:
    """Yield the chunks of ``events`` then the end; a failure propagates (no ``[DONE]``).

    Pass ``encoder`` to share it with the handler's ``error_event=encoder.error``.
    """
    enc = encoder or ChunkEncoder(model, include_usage=include_usage)
    for ev in events:
        data = enc.event(ev)
        if data:
            yield data
    yield enc.end()
