"""Anthropic Claude: the Messages API, and the legacy text completions of Claude v2."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..events import Event, ReasoningDelta, TextDelta, ToolInputDelta, ToolUseStart
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
    if kind == "content_block_start":
        block = chunk.get("content_block") or {}
        if block.get("type") == "tool_use":
            index = int(chunk.get("index") or 0)
            return [ToolUseStart(str(block.get("id")), str(block.get("name")), index)]
        if block.get("type") == "redacted_thinking":
            return [ReasoningDelta(redacted=str(block.get("data") or "").encode())]
        return []
    if kind == "content_block_delta":
        delta = chunk.get("delta") or {}
        dtype = delta.get("type")
        if dtype == "text_delta":
            return [TextDelta(str(delta["text"]))] if delta.get("text") else []
        if dtype == "input_json_delta":
            index = int(chunk.get("index") or 0)
            return [ToolInputDelta(str(delta.get("partial_json") or ""), index)]
        if dtype == "thinking_delta":
            return [ReasoningDelta(text=str(delta.get("thinking") or ""))]
        if dtype == "signature_delta":
            return [ReasoningDelta(signature=str(delta.get("signature")))]
        return []
    if kind == "message_delta":
        raw = (chunk.get("delta") or {}).get("stop_reason")
        return [stop(raw)] if raw is not None else []
    return []


def parse_body(body: Mapping[str, Any]) -> list[Event] | None:
    """Return the events of a Messages body; None for a legacy completion (a chunk's shape)."""
    if "content" not in body:
        return None
    out: list[Event] = []
    for index, block in enumerate(body.get("content") or ()):
        if block.get("type") == "text" and block.get("text"):
            out.append(TextDelta(str(block["text"])))
        elif block.get("type") == "tool_use":
            out.append(ToolUseStart(str(block.get("id")), str(block.get("name")), index))
    out.append(stop(body.get("stop_reason")))
    return out


CODEC = FamilyCodec(
    prefixes=("anthropic.",),
    build_body=build_body,
    new_stream=lambda: parse_chunk,
    parse_body=parse_body,
)
