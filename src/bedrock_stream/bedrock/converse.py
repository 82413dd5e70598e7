"""ConverseStream events (and Nova's invoke-stream chunks, same shape) to typed events."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from .errors import SHAPE_ERRORS, malformed
from .events import (
    Event,
    Metrics,
    ReasoningDelta,
    Stop,
    TextDelta,
    ToolInputDelta,
    ToolUseStart,
    Trace,
    Usage,
    normalize_stop_reason,
)

__all__ = ["converse_events", "converse_response_events", "usage_from_converse"]


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def usage_from_converse(usage: Mapping[str, Any]) -> Usage:
    """Build :class:`Usage` from a Converse ``usage`` object (camelCase keys)."""
    return Usage(
        input_tokens=int(usage.get("inputTokens") or 0),
        output_tokens=int(usage.get("outputTokens") or 0),
        cache_read_tokens=_int(usage.get("cacheReadInputTokens")),
        cache_write_tokens=_int(usage.get("cacheWriteInputTokens")),
    )


def _reasoning(delta: Mapping[str, Any]) -> ReasoningDelta:
    redacted = delta.get("redactedContent")
    if isinstance(redacted, str):  # JSON (Nova invoke) carries blobs as base64
        redacted = base64.b64decode(redacted)
    return ReasoningDelta(
        text=str(delta.get("text") or ""),
        signature=delta.get("signature"),
        redacted=redacted,
    )


def _metadata(fields: Mapping[str, Any]) -> list[Event]:
    """Return the usage, metrics and trace of a stream's ``metadata`` event or a response."""
    out: list[Event] = []
    if (usage := fields.get("usage")) is not None:
        out.append(usage_from_converse(usage))
    if (metrics := fields.get("metrics")) is not None:
        out.append(Metrics(invocation_latency_ms=_int(metrics.get("latencyMs"))))
    if (trace := fields.get("trace")) is not None:
        out.append(Trace(trace))
    return out


def converse_events(event: Mapping[str, Any]) -> list[Event]:
    """Map one ConverseStream event (``{"contentBlockDelta": {...}}``) to typed events.

    Unknown event names and keys are ignored.

    Raises:
        MalformedChunkError: a known key holds a value of the wrong type.
    """
    try:
        out: list[Event] = []
        if (start := event.get("contentBlockStart")) is not None:
            tool = (start.get("start") or {}).get("toolUse")
            if tool:
                index = int(start.get("contentBlockIndex") or 0)
                out.append(
                    ToolUseStart(
                        id=str(tool.get("toolUseId")), name=str(tool.get("name")), index=index
                    )
                )
        if (block := event.get("contentBlockDelta")) is not None:
            delta = block.get("delta") or {}
            index = int(block.get("contentBlockIndex") or 0)
            if (text := delta.get("text")) is not None:
                if text:
                    out.append(TextDelta(text))
            elif (tool := delta.get("toolUse")) is not None:
                out.append(ToolInputDelta(json=str(tool.get("input") or ""), index=index))
            elif (reasoning := delta.get("reasoningContent")) is not None:
                out.append(_reasoning(reasoning))
        if (stop := event.get("messageStop")) is not None:
            raw = stop.get("stopReason")
            out.append(Stop(normalize_stop_reason(raw), raw))
        if (meta := event.get("metadata")) is not None:
            out += _metadata(meta)
        return out
    except SHAPE_ERRORS as exc:
        raise malformed("a ConverseStream event", exc) from exc


def converse_response_events(response: Mapping[str, Any]) -> list[Event]:
    """Map a buffered Converse response (or Nova InvokeModel body) to typed events.

    Raises:
        MalformedChunkError: a known key holds a value of the wrong type.
    """
    try:
        out: list[Event] = []
        message = (response.get("output") or {}).get("message") or {}
        for index, block in enumerate(message.get("content") or ()):
            if block.get("text"):
                out.append(TextDelta(block["text"]))
            elif (tool := block.get("toolUse")) is not None:
                out.append(
                    ToolUseStart(
                        id=str(tool.get("toolUseId")), name=str(tool.get("name")), index=index
                    )
                )
            elif (reasoning := block.get("reasoningContent")) is not None:
                text = reasoning.get("reasoningText") or {}
                out.append(
                    ReasoningDelta(
                        text=str(text.get("text") or ""),
                        signature=text.get("signature"),
                        redacted=reasoning.get("redactedContent"),
                    )
                )
        raw = response.get("stopReason")
        out.append(Stop(normalize_stop_reason(raw), raw))
        return out + _metadata(response)
    except SHAPE_ERRORS as exc:
        raise malformed("a Converse response", exc) from exc
