"""AI21 Jurassic-2 on the emulator: a ``completions`` body; the model does not stream."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..schema import check_keys, number, stop_list
from .base import EmulatedFamily, InvokeFields, Profile, StopNames, stop_name

if TYPE_CHECKING:
    from ..formats import Answer

STOPS: StopNames = ("endoftext", "length", "stop")


def invoke_body(a: Answer) -> dict[str, Any]:
    """Build the ``completions`` body; a length cut says how long."""
    finish: dict[str, Any] = {"reason": stop_name(STOPS, a.generation)}
    if a.generation.stop == "max_tokens":
        finish["length"] = a.output_tokens
    completion = {"data": {"text": a.generation.text, "tokens": []}, "finishReason": finish}
    return {
        "id": 1234,
        "prompt": {"text": a.request.prompt, "tokens": []},
        "completions": [completion],
    }


def validate(model_id: str, body: Mapping[str, Any]) -> InvokeFields:
    """Validate a ``prompt`` body."""
    check_keys(body, "#", ("prompt",), None)
    prompt, limit = str(body["prompt"]), number(body, "maxTokens", "#", 200)
    return InvokeFields(prompt, limit, stop_list(body.get("stopSequences"), "#/stopSequences"))


# Medians of the recordings' firstByteLatency and (outputTokens - 1) /
# (invocationLatency - firstByteLatency); see tests/data/bedrock-recordings.
PROFILE = Profile(first_token_ms=700, tokens_per_second=60.0, tokens_per_chunk=1)

FAMILY = EmulatedFamily(
    invoke_chunks=None,
    invoke_body=invoke_body,
    validate=validate,
    profile=PROFILE,
)
