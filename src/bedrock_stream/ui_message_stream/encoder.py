"""Events (and plain ``str`` text) as UI message stream chunks, through a table by event type.

One response is one UI message: ``start``, then a step per model call (``start-step`` ...
``finish-step``, a step closing at each :class:`~bedrock_stream.bedrock.events.Stop`), then
``finish`` and ``[DONE]``. Between calls an application loop reports the tools it ran with
:meth:`UIMessageStreamEncoder.tool_output` / :meth:`~UIMessageStreamEncoder.tool_error`.
A reasoning part's Bedrock signature (or redacted blob) rides in its ``providerMetadata``
(``{"bedrock": {"signature": ...}}``) so :func:`.parse_request` can send it back.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from ..bedrock.events import (
    BlockStop,
    Citation,
    Event,
    MessageStart,
    ReasoningDelta,
    Stop,
    StopReason,
    TextDelta,
    ToolCall,
    ToolInputDelta,
    ToolResultDelta,
    ToolResultStart,
    ToolUseStart,
)
from ..errors import HTTPError
from .parts import PROVIDER
from .wire import DONE, frame

__all__ = ["GENERIC_ERROR", "UIMessageStreamEncoder", "encode", "error_frame"]

Chunk = dict[str, Any]
GENERIC_ERROR = "The response failed."
"""The ``errorText`` of any failure but an :class:`~bedrock_stream.errors.HTTPError`."""

_FINISH: dict[StopReason, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool-calls",
    "guardrail_intervened": "content-filter",
    "content_filtered": "content-filter",
    "other": "other",
}
_SERVER_TOOL = "server_tool_use"


class UIMessageStreamEncoder:
    """Encode one response's events as UI message stream chunks (bytes out, no I/O).

    ``event(ev)`` returns the frames of one event (``b""`` for events with no chunk:
    usage, metrics, traces ...), ``end()`` the closing ``finish`` and ``[DONE]``,
    ``error(exc)`` an ``error`` chunk (for ``StreamingResponse(error_event=...)``).
    """

    def __init__(self, *, message_id: str | None = None) -> None:
        self.message_id = message_id
        self._started = False
        self._in_step = False
        self._parts = 0
        self._open: dict[int, tuple[str, str]] = {}  # block index -> (kind, part id)
        self._metadata: dict[int, Mapping[str, Any]] = {}
        self._tools: dict[int, str] = {}  # block index -> tool call id
        self._results: dict[int, tuple[ToolResultStart, list[Any]]] = {}
        self._sources = 0
        self._finish = "stop"

    # -- public ----------------------------------------------------------------------------

    def event(self, ev: Event | str) -> bytes:
        """Return the frames of one event; a ``str`` is text of block 0."""
        item = TextDelta(ev) if isinstance(ev, str) else ev
        handler = _HANDLERS.get(type(item))
        if handler is None:
            return b""
        return self._frames(handler(self, item))

    def tool_output(self, tool_call_id: str, output: Any) -> bytes:
        """Return ``tool-output-available``: the output of a tool the application ran."""
        return self._frames(
            [{"type": "tool-output-available", "toolCallId": tool_call_id, "output": output}]
        )

    def tool_error(self, tool_call_id: str, error_text: str) -> bytes:
        """Return ``tool-output-error`` for a tool the application ran and that failed."""
        chunk = {"type": "tool-output-error", "toolCallId": tool_call_id, "errorText": error_text}
        return self._frames([chunk])

    def end(self) -> bytes:
        """Close what is open, then ``finish`` (with the last stop's reason) and ``[DONE]``."""
        chunks = self._close_step()
        chunks.append({"type": "finish", "finishReason": self._finish})
        return self._frames(chunks) + DONE

    def error(self, exc: Exception) -> bytes:
        """Return the ``error`` chunk for ``exc``: an HTTPError's message, else a generic one.

        No ``[DONE]`` follows, so the client sees the stream as failed.
        """
        return error_frame(exc)

    # -- framing ---------------------------------------------------------------------------

    def _frames(self, chunks: list[Chunk]) -> bytes:
        if not chunks:
            return b""
        if not self._started:
            self._started = True
            start: Chunk = {"type": "start"}
            if self.message_id is not None:
                start["messageId"] = self.message_id
            chunks.insert(0, start)
        return b"".join(frame(chunk) for chunk in chunks)

    def _step(self) -> list[Chunk]:
        if self._in_step:
            return []
        self._in_step = True
        return [{"type": "start-step"}]

    def _new_id(self, kind: str) -> str:
        self._parts += 1
        return f"{kind}-{self._parts}"

    def _close(self, index: int) -> list[Chunk]:
        chunks: list[Chunk] = []
        if index in self._open:
            kind, part_id = self._open.pop(index)
            chunk: Chunk = {"type": f"{kind}-end", "id": part_id}
            metadata = self._metadata.pop(index, None)
            if metadata:
                chunk["providerMetadata"] = {PROVIDER: dict(metadata)}
            chunks.append(chunk)
        if index in self._results:
            start, content = self._results.pop(index)
            chunks.append(_result_chunk(start, content))
        self._tools.pop(index, None)
        return chunks

    def _close_step(self) -> list[Chunk]:
        if not self._in_step:
            return []
        chunks = [c for index in sorted({*self._open, *self._results}) for c in self._close(index)]
        self._tools.clear()
        self._in_step = False
        return [*chunks, {"type": "finish-step"}]

    def _part(self, kind: str, index: int) -> tuple[list[Chunk], str]:
        """Open a text or reasoning part at ``index`` (closing another kind there)."""
        chunks = self._step()
        current = self._open.get(index)
        if current is not None and current[0] == kind:
            return chunks, current[1]
        chunks += self._close(index)
        part_id = self._new_id(kind)
        self._open[index] = (kind, part_id)
        return [*chunks, {"type": f"{kind}-start", "id": part_id}], part_id

    # -- one handler per event type ----------------------------------------------------------

    def _message_start(self, ev: MessageStart) -> list[Chunk]:
        return self._step()

    def _text(self, ev: TextDelta) -> list[Chunk]:
        if not ev.text:
            return []
        chunks, part_id = self._part("text", ev.index)
        return [*chunks, {"type": "text-delta", "id": part_id, "delta": ev.text}]

    def _reasoning(self, ev: ReasoningDelta) -> list[Chunk]:
        if not (ev.text or ev.signature or ev.redacted):
            return []
        chunks, part_id = self._part("reasoning", ev.index)
        if ev.signature is not None:
            self._metadata[ev.index] = {"signature": ev.signature}
        if ev.redacted is not None:
            self._metadata[ev.index] = {"redactedData": base64.b64encode(ev.redacted).decode()}
        if ev.text:
            chunks.append({"type": "reasoning-delta", "id": part_id, "delta": ev.text})
        return chunks

    def _block_stop(self, ev: BlockStop) -> list[Chunk]:
        return self._close(ev.index)

    def _tool_start(self, ev: ToolUseStart) -> list[Chunk]:
        chunks = self._step() + self._close(ev.index)
        self._tools[ev.index] = ev.id
        chunk: Chunk = {"type": "tool-input-start", "toolCallId": ev.id, "toolName": ev.name}
        if ev.type == _SERVER_TOOL:
            chunk["providerExecuted"] = True
        return [*chunks, chunk]

    def _tool_input(self, ev: ToolInputDelta) -> list[Chunk]:
        call_id = self._tools.get(ev.index)
        if call_id is None or not ev.json:
            return []
        return [{"type": "tool-input-delta", "toolCallId": call_id, "inputTextDelta": ev.json}]

    def _tool_call(self, ev: ToolCall) -> list[Chunk]:
        chunk: Chunk = {
            "type": "tool-input-available",
            "toolCallId": ev.id,
            "toolName": ev.name,
            "input": ev.input,
        }
        if ev.type == _SERVER_TOOL:
            chunk["providerExecuted"] = True
        return [*self._step(), chunk]

    def _result_start(self, ev: ToolResultStart) -> list[Chunk]:
        chunks = self._step() + self._close(ev.index)
        self._results[ev.index] = (ev, [])
        return chunks

    def _result_delta(self, ev: ToolResultDelta) -> list[Chunk]:
        if ev.index in self._results:
            self._results[ev.index][1].extend(dict(block) for block in ev.content)
        return []

    def _citation(self, ev: Citation) -> list[Chunk]:
        self._sources += 1
        source_id = f"source-{self._sources}"
        web = (ev.location or {}).get("web")
        url = web.get("url") if isinstance(web, Mapping) else None
        if isinstance(url, str):
            chunk: Chunk = {"type": "source-url", "sourceId": source_id, "url": url}
            if ev.title is not None:
                chunk["title"] = ev.title
        else:
            title = ev.title or ev.source or "document"
            chunk = {"type": "source-document", "sourceId": source_id, "mediaType": "text/plain"}
            chunk["title"] = title
        return [*self._step(), chunk]

    def _stop(self, ev: Stop) -> list[Chunk]:
        self._finish = _FINISH[ev.reason]
        return self._step() + self._close_step()


def _result_chunk(start: ToolResultStart, content: list[Any]) -> Chunk:
    if start.status == "error":
        return {
            "type": "tool-output-error",
            "toolCallId": start.tool_use_id,
            "errorText": "the tool failed",
            "providerExecuted": True,
        }
    return {
        "type": "tool-output-available",
        "toolCallId": start.tool_use_id,
        "output": content,
        "providerExecuted": True,
    }


_HANDLERS: dict[type, Callable[[UIMessageStreamEncoder, Any], list[Chunk]]] = {
    MessageStart: UIMessageStreamEncoder._message_start,
    TextDelta: UIMessageStreamEncoder._text,
    ReasoningDelta: UIMessageStreamEncoder._reasoning,
    BlockStop: UIMessageStreamEncoder._block_stop,
    ToolUseStart: UIMessageStreamEncoder._tool_start,
    ToolInputDelta: UIMessageStreamEncoder._tool_input,
    ToolCall: UIMessageStreamEncoder._tool_call,
    ToolResultStart: UIMessageStreamEncoder._result_start,
    ToolResultDelta: UIMessageStreamEncoder._result_delta,
    Citation: UIMessageStreamEncoder._citation,
    Stop: UIMessageStreamEncoder._stop,
}
"""Events with no chunk (BlockStart, Usage, Metrics, Trace, tiers, RawEvent) are absent."""


def error_frame(exc: Exception) -> bytes:
    """Return the ``error`` chunk of ``exc``: an HTTPError's message, else a generic one."""
    text = exc.message if isinstance(exc, HTTPError) else GENERIC_ERROR
    return frame({"type": "error", "errorText": text})


def encode(events: Iterable[Event | str], *, message_id: str | None = None) -> Iterator[bytes]:
    """Encode a whole response: every event's frames, then ``finish`` and ``[DONE]``.

    A failure of ``events`` propagates (no ``[DONE]``); serve it with
    ``StreamingResponse(error_event=encoder.error)`` or :func:`error_frame`.
    """
    encoder = UIMessageStreamEncoder(message_id=message_id)
    for ev in events:
        data = encoder.event(ev)
        if data:
            yield data
    yield encoder.end()
