"""Cohere Command (the generate API): ``text`` chunks, or ``generations`` in one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..events import Event, TextDelta
from ..invoke_views import text_only
from .base import FamilyCodec, InvokeRequest, as_chunk, put, stop, text_prompt

__all__ = ["CODEC"]


def build_body(r: InvokeRequest) -> dict[str, Any]:
    """Build a generate body; ``stream`` asks for chunks (without it one chunk holds all)."""
    body = {"prompt": text_prompt(*text_only(r)), "max_tokens": r.max_tokens, "stream": True}
    put(body, temperature=r.temperature, p=r.top_p, stop_sequences=r.stop_sequences)
    return body


def parse_chunk(chunk: Mapping[str, Any]) -> list[Event]:
    """Return the events of a Command chunk, or of the whole answer in one."""
    out: list[Event] = []
    if not chunk.get("is_finished") and chunk.get("text"):
        out.append(TextDelta(str(chunk["text"])))
    generations = chunk.get("generations") or ()
    for generation in generations:  # the whole answer in one chunk
        if generation.get("text"):
            out.append(TextDelta(str(generation["text"])))
    raw = chunk.get("finish_reason")
    if raw is None and generations:
        raw = generations[-1].get("finish_reason")
    if raw is not None:
        out.append(stop(raw))
    return out


CODEC = FamilyCodec(
    prefixes=("cohere.command",),
    build_body=build_body,
    new_stream=lambda: parse_chunk,
    parse_body=as_chunk,
)
