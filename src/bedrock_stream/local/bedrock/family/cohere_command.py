"""Cohere Command on the emulator: ``text`` chunks, or one whole body without ``stream``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..schema import check_keys, number, stop_list
from .base import Chunk, EmulatedFamily, InvokeFields, Piece, Profile, StopNames, stop_name

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


def validate(model_id: str, body: Mapping[str, Any]) -> InvokeFields:
    """Validate a ``prompt`` body; without ``"stream": true`` the answer is ``buffered``."""
    check_keys(body, "#", ("prompt",), None)
    prompt, limit = str(body["prompt"]), number(body, "max_tokens", "#", 20)
    stops = stop_list(body.get("stop_sequences"), "#/stop_sequences")
    return InvokeFields(prompt, limit, stops, "" if body.get("stream") is True else "buffered")


# Medians of the recordings' firstByteLatency and (outputTokens - 1) /
# (invocationLatency - firstByteLatency); see tests/data/bedrock-recordings.
PROFILE = Profile(first_token_ms=250, tokens_per_second=60.0, tokens_per_chunk=1)

FAMILY = EmulatedFamily(
    invoke_chunks=invoke_chunks,
    invoke_body=invoke_body,
    validate=validate,
    profile=PROFILE,
    converse_max_tokens=20,
)
