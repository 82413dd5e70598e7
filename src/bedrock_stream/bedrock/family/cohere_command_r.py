"""Cohere Command R (the chat API): ``text-generation`` events, then ``stream-end``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..events import Event, TextDelta
from ..invoke_views import text_only
from .base import FamilyCodec, InvokeRequest, put, stop

__all__ = ["CODEC"]


def build_body(r: InvokeRequest) -> dict[str, Any]:
    """Build a chat body: the last turn is ``message``, the earlier ones ``chat_history``."""
    system, turns = text_only(r)
    history = [
        {"role": "USER" if role == "user" else "CHATBOT", "message": text}
        for role, text in turns[:-1]
    ]
    body: dict[str, Any] = {"message": turns[-1][1], "max_tokens": r.max_tokens}
    put(body, chat_history=history, preamble=system, temperature=r.temperature, p=r.top_p)
    put(body, stop_sequences=r.stop_sequences)
    return body


def parse_chunk(chunk: Mapping[str, Any]) -> list[Event]:
    """Return the events of a chat stream event."""
    kind = chunk.get("event_type")
    if kind == "text-generation" and chunk.get("text"):
        return [TextDelta(str(chunk["text"]))]
    if kind == "stream-end":
        return [stop(chunk.get("finish_reason"))]
    return []


def parse_body(body: Mapping[str, Any]) -> list[Event]:
    """Return the events of a chat body."""
    out: list[Event] = [TextDelta(str(body["text"]))] if body.get("text") else []
    out.append(stop(body.get("finish_reason")))
    return out


CODEC = FamilyCodec(
    prefixes=("cohere.command-r",),
    build_body=build_body,
    new_stream=lambda: parse_chunk,
    parse_body=parse_body,
)
