"""Cohere Command on the emulator: ``text`` chunks, or one whole body without ``stream``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .base import Chunk, EmulatedFamily, Piece, StopNames, stop_name

if TYPE_CHECKING:
    from ..formats import Answer

STOPS: StopNames = ("COMPLETE", "MAX_TOKENS", "COMPLETE")


def invoke_body(a: Answer) -> dict[str, Any]:
    """Build the ``generations`` body."""
    reason = stop_name(STOPS, a.generation)
    generation = {"id": a.uuid("gen"), "text": a.generation.text, "finish_reason": reason}
    return {"id": a.uuid("id"), "generations": [generation], "prompt": a.request.prompt}


def invoke_chunks(a: Answer, pieces: Sequence[Piece]) -> list[Chunk]:
    """Build ``text`` chunks then a finish chunk; ``buffered`` (no ``"stream": true``): the body."""
    if a.request.variant == "buffered":
        return [Chunk(invoke_body(a), 0, a.output_tokens)]
    out = [Chunk({"is_finished": False, "text": t}, s, e) for t, s, e in pieces]
    return [*out, Chunk({"finish_reason": stop_name(STOPS, a.generation), "is_finished": True})]


FAMILY = EmulatedFamily(stops=STOPS, invoke_chunks=invoke_chunks, invoke_body=invoke_body)
