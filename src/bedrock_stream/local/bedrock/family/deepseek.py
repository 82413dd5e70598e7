"""DeepSeek-R1 on the emulator: text completion ``choices``, the reasoning inline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..schema import check_keys, number, stop_list
from .base import Chunk, EmulatedFamily, InvokeFields, Piece, Profile, StopNames, stop_name

if TYPE_CHECKING:
    from ..formats import Answer

STOPS: StopNames = ("stop", "length", "stop")


def invoke_body(a: Answer) -> dict[str, Any]:
    """Build the ``choices`` body."""
    return {"choices": [{"text": a.generation.text, "stop_reason": stop_name(STOPS, a.generation)}]}


def invoke_chunks(a: Answer, pieces: Sequence[Piece]) -> list[Chunk]:
    """Build a ``choices`` chunk per piece (one empty one at least); the last has the reason."""
    out = [Chunk({"choices": [{"text": t, "stop_reason": None}]}, s, e) for t, s, e in pieces]
    if not out:
        out = [Chunk({"choices": [{"text": "", "stop_reason": None}]})]
    out[-1].body["choices"][0]["stop_reason"] = stop_name(STOPS, a.generation)
    return out


def validate(model_id: str, body: Mapping[str, Any]) -> InvokeFields:
    """Validate a text completion ``prompt`` body."""
    check_keys(body, "#", ("prompt",), ("max_tokens", "temperature", "top_p", "stop"))
    prompt, limit = str(body["prompt"]), number(body, "max_tokens", "#", 8192)
    return InvokeFields(prompt, limit, stop_list(body.get("stop"), "#/stop"))


# No streaming recording: an educated guess.
PROFILE = Profile(first_token_ms=500, tokens_per_second=40.0, tokens_per_chunk=1)

FAMILY = EmulatedFamily(
    invoke_chunks=invoke_chunks,
    invoke_body=invoke_body,
    validate=validate,
    profile=PROFILE,
    reasoning=True,
)
