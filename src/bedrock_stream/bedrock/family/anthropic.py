"""Anthropic Claude: the Messages API, and the legacy text completions of Claude v2.

Blocks keep Anthropic's ``index``. A block's start is :class:`~..events.BlockStart`
(``text``, ``thinking`` as ``reasoning``, ``redacted_thinking`` as ``redacted_reasoning``),
:class:`~..events.ToolUseStart` (``tool_use``, and ``server_tool_use``, a tool Bedrock runs,
such as the tool search tool) or :class:`~..events.ToolResultStart` (a server tool's result
block, ``*_tool_result``, its ``content`` as one ``{"json": ...}`` block). Deltas: text,
``input_json_delta``, ``thinking_delta``, ``signature_delta`` and ``citations_delta`` (a
:class:`~..events.Citation`). A buffered body gives the same events as its stream would,
each tool's ``input`` as one :class:`~..events.ToolInputDelta`.

Dropped: ``ping``, and ``message_stop`` (Bedrock's invocation metrics in it are read for
every family). The usage in ``message_start`` and ``message_delta`` is left to Bedrock's
metrics. Any other event type, block type or delta type comes as ``RawEvent("chunk", ...)``
(in a body, an unknown block as ``RawEvent("content", block)``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..events import (
    BlockStart,
    BlockStop,
    Citation,
    Event,
    MessageStart,
    RawEvent,
    ReasoningDelta,
    TextDelta,
    ToolInputDelta,
    ToolResultDelta,
    ToolResultStart,
    ToolUseStart,
)
from .base import FamilyCodec, InvokeRequest, put, stop

__all__ = ["CODEC"]


def build_body(r: InvokeRequest) -> dict[str, Any]:
    """Build a Messages API body."""
    body: dict[str, Any] = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": r.max_tokens,
        "messages": [
            {"role": role, "content": [{"type": "text", "text": text}]} for role, text in r.turns
        ],
    }
    if r.system:
        body["system"] = r.system
    put(body, temperature=r.temperature, top_p=r.top_p, stop_sequences=r.stop_sequences)
    return body


_BLOCK_KINDS = {"text": "text", "thinking": "reasoning", "redacted_thinking": "redacted_reasoning"}
_TOOL_USES = frozenset({"tool_use", "server_tool_use"})
_DROPPED = frozenset({"ping", "message_stop"})


def _citation(index: int, cited: Mapping[str, Any]) -> Citation:
    """Return the citation of any location type (character, page, block, web or search result)."""
    return Citation(
        index=index,
        title=cited.get("document_title") or cited.get("title"),
        source=cited.get("url") or cited.get("source"),
        text=str(cited.get("cited_text") or ""),
        location=cited,
    )


def _block(index: int, block: Mapping[str, Any], whole: bool) -> list[Event] | None:
    """Return the events of a block's start, with what it already holds; None: an unknown type.

    ``whole``: the block of a body, whose tool input is complete (a stream's comes in deltas).
    """
    kind = block.get("type")
    out: list[Event]
    if kind in _TOOL_USES:
        out = [ToolUseStart(str(block.get("id")), str(block.get("name")), index)]
        if whole:
            out.append(ToolInputDelta(json.dumps(block.get("input") or {}), index))
        return out
    if isinstance(kind, str) and kind.endswith("_tool_result"):
        out = [ToolResultStart(str(block.get("tool_use_id")), index, kind)]
        if block.get("content") is not None:
            out.append(ToolResultDelta(({"json": block["content"]},), index))
        return out
    if kind not in _BLOCK_KINDS:
        return None
    out = [BlockStart(index, _BLOCK_KINDS[kind], block)]
    if block.get("text"):
        out.append(TextDelta(str(block["text"]), index))
    out += [_citation(index, cited) for cited in block.get("citations") or ()]
    if block.get("thinking"):
        out.append(ReasoningDelta(text=str(block["thinking"]), index=index))
    if block.get("signature"):
        out.append(ReasoningDelta(signature=str(block["signature"]), index=index))
    if kind == "redacted_thinking":
        out.append(ReasoningDelta(redacted=str(block.get("data") or "").encode(), index=index))
    return out


def _delta(index: int, delta: Mapping[str, Any]) -> list[Event] | None:
    """Return the events of a block's delta; None: an unknown type."""
    dtype = delta.get("type")
    if dtype == "text_delta":
        return [TextDelta(str(delta["text"]), index)] if delta.get("text") else []
    if dtype == "input_json_delta":
        return [ToolInputDelta(str(delta.get("partial_json") or ""), index)]
    if dtype == "thinking_delta":
        return [ReasoningDelta(text=str(delta.get("thinking") or ""), index=index)]
    if dtype == "signature_delta":
        return [ReasoningDelta(signature=str(delta.get("signature")), index=index)]
    if dtype == "citations_delta":
        return [_citation(index, delta.get("citation") or {})]
    return None


def parse_chunk(chunk: Mapping[str, Any]) -> list[Event]:
    """Return the events of a Messages stream event, or of a legacy completion chunk."""
    kind = chunk.get("type")
    if kind is None and "completion" in chunk:  # legacy text completions
        out: list[Event] = []
        if chunk["completion"]:
            out.append(TextDelta(str(chunk["completion"])))
        if chunk.get("stop_reason") is not None:
            out.append(stop(chunk["stop_reason"]))
        return out
    found: list[Event] | None = None
    if kind == "content_block_delta":
        found = _delta(int(chunk.get("index") or 0), chunk.get("delta") or {})
    elif kind == "content_block_start":
        found = _block(int(chunk.get("index") or 0), chunk.get("content_block") or {}, False)
    elif kind == "content_block_stop":
        found = [BlockStop(int(chunk.get("index") or 0))]
    elif kind == "message_start":
        found = [MessageStart(str((chunk.get("message") or {}).get("role") or "assistant"))]
    elif kind == "message_delta":
        raw = (chunk.get("delta") or {}).get("stop_reason")
        found = [stop(raw)] if raw is not None else []
    elif kind in _DROPPED:
        found = []
    return [RawEvent("chunk", chunk)] if found is None else found


def parse_body(body: Mapping[str, Any]) -> list[Event] | None:
    """Return the events of a Messages body; None for a legacy completion (a chunk's shape)."""
    if "content" not in body:
        return None
    out: list[Event] = [MessageStart(str(body.get("role") or "assistant"))]
    for index, block in enumerate(body.get("content") or ()):
        found = _block(index, block, True)
        if found is None:
            out.append(RawEvent("content", block))
            continue
        out += found
        out.append(BlockStop(index))
    out.append(stop(body.get("stop_reason")))
    return out


CODEC = FamilyCodec(
    prefixes=("anthropic.",),
    build_body=build_body,
    new_stream=lambda: parse_chunk,
    parse_body=parse_body,
)
