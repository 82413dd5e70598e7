"""Meta Llama: a raw prompt in Llama 3's chat template, ``generation`` chunks out.

The invoke format has text and a stop reason, nothing else. Llama 3.x calls a tool by
writing it as text in its prompt format (a JSON object or a ``<|python_tag|>`` call, by
model and prompt), which Bedrock sends as ``generation`` text like any other: it stays text,
since nothing on the wire says it is a call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..events import Event, TextDelta
from ..invoke_views import text_only
from .base import FamilyCodec, InvokeRequest, as_chunk, put, stop

__all__ = ["CODEC"]


def _prompt(system: str | None, turns: list[tuple[str, str]]) -> str:
    parts = ["<|begin_of_text|>"]
    if system:
        parts.append(f"<|start_header_id|>system<|end_header_id|>\n\n{system}<|eot_id|>")
    for role, text in turns:
        parts.append(f"<|start_header_id|>{role}<|end_header_id|>\n\n{text}<|eot_id|>")
    parts.append("<|start_header_id|>assistant<|end_header_id|>\n\n")
    return "".join(parts)


def build_body(r: InvokeRequest) -> dict[str, Any]:
    """Build a Llama body (no stop sequences: the API has none)."""
    body = {"prompt": _prompt(*text_only(r)), "max_gen_len": r.max_tokens}
    put(body, temperature=r.temperature, top_p=r.top_p)
    return body


def parse_chunk(chunk: Mapping[str, Any]) -> list[Event]:
    """Return the events of a Llama chunk (the whole body has the same shape)."""
    out: list[Event] = []
    if chunk.get("generation"):
        out.append(TextDelta(str(chunk["generation"])))
    if chunk.get("stop_reason") is not None:
        out.append(stop(chunk["stop_reason"]))
    return out


CODEC = FamilyCodec(
    prefixes=("meta.llama",),
    build_body=build_body,
    new_stream=lambda: parse_chunk,
    parse_body=as_chunk,
)
