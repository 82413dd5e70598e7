"""Mistral: text completions (``outputs``) and chat (``choices``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..events import Event, TextDelta
from ..invoke_views import text_only
from .base import FamilyCodec, InvokeRequest, as_chunk, put, stop, text_prompt

__all__ = ["CODEC"]


def build_body(r: InvokeRequest) -> dict[str, Any]:
    """Build a text-completion body in Mistral's instruction template."""
    body = {
        "prompt": f"<s>[INST] {text_prompt(*text_only(r))} [/INST]",
        "max_tokens": r.max_tokens,
    }
    put(body, temperature=r.temperature, top_p=r.top_p, stop=r.stop_sequences)
    return body


def parse_chunk(chunk: Mapping[str, Any]) -> list[Event]:
    """Return the events of a Mistral chunk of either API (the body has the same shape)."""
    out: list[Event] = []
    for output in chunk.get("outputs") or ():  # text completions
        if output.get("text"):
            out.append(TextDelta(str(output["text"])))
        if output.get("stop_reason") is not None:
            out.append(stop(output["stop_reason"]))
    for choice in chunk.get("choices") or ():  # chat
        message = choice.get("message") or choice.get("delta") or {}
        if message.get("content"):
            out.append(TextDelta(str(message["content"])))
        raw = choice.get("stop_reason") or choice.get("finish_reason")
        if raw is not None:
            out.append(stop(raw))
    return out


CODEC = FamilyCodec(
    prefixes=("mistral.",),
    build_body=build_body,
    new_stream=lambda: parse_chunk,
    parse_body=as_chunk,
)
