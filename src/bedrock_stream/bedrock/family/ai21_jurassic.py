"""AI21 Jurassic-2: completions, InvokeModel only (the model does not stream)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..events import Event, TextDelta
from ..invoke_views import text_only
from .base import FamilyCodec, InvokeRequest, as_chunk, put, stop, text_prompt

__all__ = ["CODEC"]


def build_body(r: InvokeRequest) -> dict[str, Any]:
    """Build a Jurassic-2 body."""
    body = {"prompt": text_prompt(*text_only(r)), "maxTokens": r.max_tokens}
    put(body, temperature=r.temperature, topP=r.top_p, stopSequences=r.stop_sequences)
    return body


def parse_chunk(chunk: Mapping[str, Any]) -> list[Event]:
    """Return the events of a Jurassic-2 body (``completions``), the only chunk it sends."""
    out: list[Event] = []
    for completion in chunk.get("completions") or ():
        text = (completion.get("data") or {}).get("text")
        if text:
            out.append(TextDelta(str(text)))
        out.append(stop((completion.get("finishReason") or {}).get("reason")))
    return out


CODEC = FamilyCodec(
    prefixes=("ai21.j2",),
    build_body=build_body,
    new_stream=lambda: parse_chunk,
    parse_body=as_chunk,
)
