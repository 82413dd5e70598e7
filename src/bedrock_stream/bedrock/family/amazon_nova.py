"""Amazon Nova: the Converse shape, on InvokeModel too.

A stream chunk holds one ConverseStream event under its name, in JSON (blobs as base64):
``messageStart``, ``contentBlockStart`` (tool use, tool result, image),
``contentBlockDelta`` (text, tool input, reasoning, citation, tool result),
``contentBlockStop``, ``messageStop`` (with ``additionalModelResponseFields``) and
``metadata`` (usage, metrics, trace). Blocks keep Nova's ``contentBlockIndex``. A body is
Converse's response: each content block (text, tool use with its whole ``input``,
reasoning, ``citationsContent``) gives the events its stream would. Nothing is dropped: an
unknown event, block start or delta comes as ``RawEvent("chunk", ...)``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from ..converse import usage_from_converse
from ..events import (
    BlockStart,
    BlockStop,
    Citation,
    Event,
    MessageStart,
    Metrics,
    RawEvent,
    ReasoningDelta,
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
from .base import FamilyCodec, InvokeRequest, put

__all__ = ["CODEC"]


def build_body(r: InvokeRequest) -> dict[str, Any]:
    """Build a ``messages-v1`` body."""
    config: dict[str, Any] = {"maxTokens": r.max_tokens}
    put(config, temperature=r.temperature, topP=r.top_p, stopSequences=r.stop_sequences)
    body = {"schemaVersion": "messages-v1", "messages": r.messages, "inferenceConfig": config}
    if r.system:
        body["system"] = [{"text": r.system}]
    return body


def _reasoning(index: int, fields: Mapping[str, Any]) -> ReasoningDelta:
    """Return a reasoning delta (``text``, ``signature``), block (``reasoningText``) or blob."""
    text = fields.get("reasoningText") or fields
    redacted = fields.get("redactedContent")
    return ReasoningDelta(
        text=str(text.get("text") or ""),
        signature=text.get("signature"),
        redacted=None if redacted is None else base64.b64decode(redacted),
        index=index,
    )


def _citation(index: int, cited: Mapping[str, Any]) -> Citation:
    source_text = "".join(str(part.get("text") or "") for part in cited.get("sourceContent") or ())
    return Citation(
        index, cited.get("title"), cited.get("source"), source_text, cited.get("location")
    )


def _start(index: int, start: Mapping[str, Any]) -> list[Event] | None:
    if (tool := start.get("toolUse")) is not None:
        return [ToolUseStart(str(tool.get("toolUseId")), str(tool.get("name")), index)]
    if (result := start.get("toolResult")) is not None:
        tool_use_id = str(result.get("toolUseId"))
        return [ToolResultStart(tool_use_id, index, result.get("type"), result.get("status"))]
    if start.get("image") is not None:
        return [BlockStart(index, "image", start)]
    return None


def _delta(index: int, delta: Mapping[str, Any]) -> list[Event] | None:
    if (text := delta.get("text")) is not None:
        return [TextDelta(str(text), index)] if text else []
    if (tool := delta.get("toolUse")) is not None:
        return [ToolInputDelta(str(tool.get("input") or ""), index)]
    if (reasoning := delta.get("reasoningContent")) is not None:
        return [_reasoning(index, reasoning)]
    if (cited := delta.get("citation")) is not None:
        return [_citation(index, cited)]
    if (result := delta.get("toolResult")) is not None:
        return [ToolResultDelta(tuple(result), index)]
    return None


def _metadata(meta: Mapping[str, Any]) -> list[Event]:
    out: list[Event] = []
    if (usage := meta.get("usage")) is not None:
        out.append(usage_from_converse(usage))
    if (metrics := meta.get("metrics")) is not None:
        latency = metrics.get("latencyMs")
        out.append(Metrics(invocation_latency_ms=None if latency is None else int(latency)))
    if (trace := meta.get("trace")) is not None:
        out.append(Trace(trace))
    return out


def _stop(fields: Mapping[str, Any]) -> Stop:
    raw = fields.get("stopReason")
    return Stop(normalize_stop_reason(raw), raw, fields.get("additionalModelResponseFields"))


def parse_chunk(chunk: Mapping[str, Any]) -> list[Event]:
    """Return the events of one Nova stream chunk (one ConverseStream event)."""
    found: list[Event] | None = None
    if (block := chunk.get("contentBlockDelta")) is not None:
        found = _delta(int(block.get("contentBlockIndex") or 0), block.get("delta") or {})
    elif (block := chunk.get("contentBlockStart")) is not None:
        found = _start(int(block.get("contentBlockIndex") or 0), block.get("start") or {})
    elif (block := chunk.get("contentBlockStop")) is not None:
        found = [BlockStop(int(block.get("contentBlockIndex") or 0))]
    elif (message := chunk.get("messageStart")) is not None:
        found = [MessageStart(str(message.get("role") or "assistant"))]
    elif (message := chunk.get("messageStop")) is not None:
        found = [_stop(message)]
    elif (meta := chunk.get("metadata")) is not None:
        found = _metadata(meta)
    elif all(key.startswith("amazon-bedrock-") for key in chunk):
        found = []  # Bedrock's own keys alone, read for every family
    return [RawEvent("chunk", chunk)] if found is None else found


def _content_block(index: int, block: Mapping[str, Any]) -> list[Event]:
    if (tool := block.get("toolUse")) is not None:
        return [
            ToolUseStart(str(tool.get("toolUseId")), str(tool.get("name")), index),
            ToolInputDelta(json.dumps(tool.get("input") or {}), index),
        ]
    if (reasoning := block.get("reasoningContent")) is not None:
        return [_reasoning(index, reasoning)]
    if (cited := block.get("citationsContent")) is not None:
        cited_text = "".join(str(part.get("text") or "") for part in cited.get("content") or ())
        out: list[Event] = [TextDelta(cited_text, index)] if cited_text else []
        return out + [_citation(index, c) for c in cited.get("citations") or ()]
    if (text := block.get("text")) is not None:
        return [TextDelta(str(text), index)] if text else []
    return [RawEvent("content", block)]


def parse_body(body: Mapping[str, Any]) -> list[Event]:
    """Return the events of a Converse-shaped body; usage comes from the headers instead."""
    message = (body.get("output") or {}).get("message") or {}
    out: list[Event] = [MessageStart(str(message.get("role") or "assistant"))]
    for index, block in enumerate(message.get("content") or ()):
        out += [*_content_block(index, block), BlockStop(index)]
    out.append(_stop(body))
    return out + [e for e in _metadata(body) if not isinstance(e, Usage)]


CODEC = FamilyCodec(
    prefixes=("amazon.nova",),
    build_body=build_body,
    new_stream=lambda: parse_chunk,
    parse_body=parse_body,
)
