"""ConverseStream events (and Nova's invoke-stream chunks, same shape) to typed events.

Dispatch is by table: :data:`_EVENTS` maps each ConverseStream event name to its mapper,
:data:`_DELTAS` and :data:`_STARTS` each member of a block delta and a block start. What no
table knows (an event, delta or start added to the service model later, an image delta)
becomes a :class:`~.events.RawEvent`, never nothing.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any

from .errors import SHAPE_ERRORS, malformed
from .events import (
    BlockStart,
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
    ToolInputDelta,
    ToolResultDelta,
    ToolResultStart,
    ToolUseStart,
    Trace,
    Usage,
    normalize_stop_reason,
)

__all__ = ["converse_events", "converse_response_events", "usage_from_converse"]

Payload = Mapping[str, Any]


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _blob(value: Any) -> bytes | None:
    # botocore gives blobs as bytes; JSON (Nova's invoke chunks) carries them as base64.
    return base64.b64decode(value) if isinstance(value, str) else value


def usage_from_converse(usage: Payload) -> Usage:
    """Build :class:`Usage` from a Converse ``usage`` object (camelCase keys)."""
    return Usage(
        input_tokens=int(usage.get("inputTokens") or 0),
        output_tokens=int(usage.get("outputTokens") or 0),
        cache_read_tokens=_int(usage.get("cacheReadInputTokens")),
        cache_write_tokens=_int(usage.get("cacheWriteInputTokens")),
    )


def _citation(index: int, citation: Payload) -> Citation:
    source = citation.get("sourceContent") or ()
    return Citation(
        index=index,
        title=citation.get("title"),
        source=citation.get("source"),
        text="".join(str(part.get("text") or "") for part in source),
        location=citation.get("location"),
    )


# -- ConverseStream -------------------------------------------------------------------------

_DELTAS: dict[str, Callable[[int, Any], Event | None]] = {
    "text": lambda i, text: TextDelta(str(text), i) if text else None,
    "toolUse": lambda i, tool: ToolInputDelta(str(tool.get("input") or ""), i),
    "reasoningContent": lambda i, r: ReasoningDelta(
        text=str(r.get("text") or ""),
        signature=r.get("signature"),
        redacted=_blob(r.get("redactedContent")),
        index=i,
    ),
    "citation": _citation,
    "toolResult": lambda i, blocks: ToolResultDelta(tuple(blocks), i),
}
"""Members of ``contentBlockDelta.delta``; a mapper may return None for an empty text delta."""

_STARTS: dict[str, Callable[[int, Any], Event]] = {
    "toolUse": lambda i, tool: _tool_use_start(i, tool),
    "toolResult": lambda i, result: ToolResultStart(
        str(result.get("toolUseId")), i, result.get("type"), result.get("status")
    ),
    "image": lambda i, image: BlockStart(i, "image", image),
}
"""Members of ``contentBlockStart.start``."""


def _members(
    name: str, block: Payload, key: str, table: Mapping[str, Callable[[int, Any], Event | None]]
) -> list[Event]:
    index = int(block.get("contentBlockIndex") or 0)
    out: list[Event] = []
    for member, value in (block.get(key) or {}).items():
        mapper = table.get(member)
        if mapper is None:
            out.append(RawEvent(name, block))
        elif (event := mapper(index, value)) is not None:
            out.append(event)
    return out


def _delta(block: Payload) -> list[Event]:
    # The fast path of the commonest event: one text member.
    delta = block.get("delta")
    if type(delta) is dict and len(delta) == 1 and type(text := delta.get("text")) is str:
        return [TextDelta(text, int(block.get("contentBlockIndex") or 0))] if text else []
    return _members("contentBlockDelta", block, "delta", _DELTAS)


def _stop(stop: Payload) -> list[Event]:
    raw = stop.get("stopReason")
    return [Stop(normalize_stop_reason(raw), raw, stop.get("additionalModelResponseFields"))]


_METADATA: dict[str, Callable[[Any], Event]] = {
    "usage": usage_from_converse,
    "metrics": lambda m: Metrics(invocation_latency_ms=_int(m.get("latencyMs"))),
    "trace": Trace,
    "performanceConfig": lambda p: PerformanceConfig(str(p.get("latency"))),
    "serviceTier": lambda t: ServiceTier(str(t.get("type"))),
}
"""Members of a stream's ``metadata`` event, which a buffered response has at its top level."""


def _metadata(fields: Payload, name: str = "metadata") -> list[Event]:
    """Map the members of ``fields`` in :data:`_METADATA`'s order (the service model's)."""
    out = [mapper(fields[key]) for key, mapper in _METADATA.items() if key in fields]
    if name == "metadata":
        unknown = {k: v for k, v in fields.items() if k not in _METADATA and k != "p"}
        if unknown:
            out.append(RawEvent(name, unknown))
    return out


_EVENTS: dict[str, Callable[[Payload], list[Event]]] = {
    "messageStart": lambda e: [MessageStart(str(e.get("role") or "assistant"))],
    "contentBlockStart": lambda e: _members("contentBlockStart", e, "start", _STARTS),
    "contentBlockDelta": _delta,
    "contentBlockStop": lambda e: [BlockStop(int(e.get("contentBlockIndex") or 0))],
    "messageStop": _stop,
    "metadata": _metadata,
}
"""ConverseStream's event names (the members of ``ConverseStreamOutput`` that are events)."""


_BEDROCK_KEYS = "amazon-bedrock-"
"""Bedrock's own keys on Nova's invoke chunks (invocation metrics, guardrail action): the
invoke parser (:mod:`.parsers`) reads those, for every family."""


def converse_events(event: Payload) -> list[Event]:
    """Map one ConverseStream event (``{"contentBlockDelta": {...}}``) to typed events.

    An event, block start or delta member of no known kind becomes a :class:`RawEvent`;
    ``amazon-bedrock-*`` keys are skipped (see :data:`_BEDROCK_KEYS`).

    Raises:
        MalformedChunkError: a known key holds a value of the wrong type.
    """
    try:
        out: list[Event] = []
        for name, payload in event.items():  # one member per event, as botocore gives it
            mapper = _EVENTS.get(name)
            if mapper is not None:
                out += mapper(payload)
            elif not name.startswith(_BEDROCK_KEYS):
                out.append(RawEvent(name, payload))
        return out
    except SHAPE_ERRORS as exc:
        raise malformed("a ConverseStream event", exc) from exc


# -- Converse (buffered) --------------------------------------------------------------------


def _text_block(i: int, text: Any) -> list[Event]:
    return [TextDelta(str(text), i)] if text else []


def _reasoning_block(i: int, reasoning: Payload) -> list[Event]:
    if (redacted := reasoning.get("redactedContent")) is not None:
        return [ReasoningDelta(redacted=_blob(redacted), index=i)]
    text = reasoning.get("reasoningText") or {}
    return [ReasoningDelta(str(text.get("text") or ""), text.get("signature"), index=i)]


def _tool_use_start(i: int, tool: Payload) -> ToolUseStart:
    return ToolUseStart(str(tool.get("toolUseId")), str(tool.get("name")), i, tool.get("type"))


def _tool_use_block(i: int, tool: Payload) -> list[Event]:
    return [_tool_use_start(i, tool), ToolInputDelta(json.dumps(tool.get("input") or {}), i)]


def _tool_result_block(i: int, result: Payload) -> list[Event]:
    start = ToolResultStart(
        str(result.get("toolUseId")), i, result.get("type"), result.get("status")
    )
    return [start, ToolResultDelta(tuple(result.get("content") or ()), i)]


def _citations_block(i: int, block: Payload) -> list[Event]:
    text = "".join(str(part.get("text") or "") for part in block.get("content") or ())
    out = _text_block(i, text)
    return out + [_citation(i, c) for c in block.get("citations") or ()]


_BLOCKS: dict[str, Callable[[int, Any], list[Event]]] = {
    "text": _text_block,
    "reasoningContent": _reasoning_block,
    "toolUse": _tool_use_block,
    "toolResult": _tool_result_block,
    "citationsContent": _citations_block,
}
"""Members of a Converse response's content blocks, as the events a stream would have sent."""


def converse_response_events(response: Payload) -> list[Event]:
    """Map a buffered Converse response (or Nova InvokeModel body) to typed events.

    The events are those a stream of the same reply carries, from its
    :class:`MessageStart` on, so one
    :class:`~.assembly.ReplyAssembler` folds either: each block's deltas then its
    :class:`BlockStop`, a tool call's input as one :class:`ToolInputDelta`. A block of no
    known kind becomes a :class:`RawEvent` named ``content``.

    Raises:
        MalformedChunkError: a known key holds a value of the wrong type.
    """
    try:
        message = (response.get("output") or {}).get("message") or {}
        out: list[Event] = [MessageStart(str(message.get("role") or "assistant"))]
        for index, block in enumerate(message.get("content") or ()):
            for member, value in block.items():
                mapper = _BLOCKS.get(member)
                out += mapper(index, value) if mapper is not None else [RawEvent("content", block)]
            out.append(BlockStop(index))
        raw = response.get("stopReason")
        extra = response.get("additionalModelResponseFields")
        out.append(Stop(normalize_stop_reason(raw), raw, extra))
        return out + _metadata(response, name="response")
    except SHAPE_ERRORS as exc:
        raise malformed("a Converse response", exc) from exc
