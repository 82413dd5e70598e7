"""Meta Llama on the emulator: ``generation`` chunks and body."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..schema import check_keys, number
from .base import Chunk, EmulatedFamily, InvokeFields, Piece, Profile, StopNames, stop_name

if TYPE_CHECKING:
    from ..formats import Answer

STOPS: StopNames = ("stop", "length", "stop")


def invoke_body(a: Answer) -> dict[str, Any]:
    """Build the ``generation`` body."""
    return {
        "generation": a.generation.text,
        "prompt_token_count": a.input_tokens,
        "generation_token_count": a.output_tokens,
        "stop_reason": stop_name(STOPS, a.generation),
    }


def invoke_chunks(a: Answer, pieces: Sequence[Piece]) -> list[Chunk]:
    """Build ``generation`` chunks with running token counts; the last one has the stop reason."""
    out = []
    for index, (text, s, e) in enumerate(pieces or [("", 0, 0)]):
        body = {
            "generation": text,
            "prompt_token_count": a.input_tokens if index == 0 else None,
            "generation_token_count": e,
            "stop_reason": None,
        }
        out.append(Chunk(body, s, e))
    out[-1].body["stop_reason"] = stop_name(STOPS, a.generation)
    return out


def validate(model_id: str, body: Mapping[str, Any]) -> InvokeFields:
    """Validate a ``prompt`` body (no stop sequences)."""
    check_keys(body, "#", ("prompt",), ("max_gen_len", "temperature", "top_p", "images"))
    return InvokeFields(str(body["prompt"]), number(body, "max_gen_len", "#", 512))


# Medians of the recordings' firstByteLatency and (outputTokens - 1) /
# (invocationLatency - firstByteLatency); see tests/data/bedrock-recordings.
PROFILE = Profile(first_token_ms=160, tokens_per_second=60.0, tokens_per_chunk=1)

FAMILY = EmulatedFamily(
    invoke_chunks=invoke_chunks,
    invoke_body=invoke_body,
    validate=validate,
    profile=PROFILE,
    converse_max_tokens=512,
    trailing_empty_delta=True,
)
