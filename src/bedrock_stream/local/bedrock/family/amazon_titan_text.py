"""Amazon Titan Text on the emulator: ``outputText`` chunks and a ``results`` body."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..schema import check_keys, number, stop_list
from .base import Chunk, EmulatedFamily, InvokeFields, Piece, Profile, StopNames, stop_name

if TYPE_CHECKING:
    from ..formats import Answer

STOPS: StopNames = ("FINISH", "LENGTH", "STOP_CRITERIA_MET")


def invoke_body(a: Answer) -> dict[str, Any]:
    """Build the ``results`` body."""
    reason = stop_name(STOPS, a.generation)
    result = {
        "tokenCount": a.output_tokens,
        "outputText": a.generation.text,
        "completionReason": reason,
    }
    return {"inputTextTokenCount": a.input_tokens, "results": [result]}


def invoke_chunks(a: Answer, pieces: Sequence[Piece]) -> list[Chunk]:
    """Build ``outputText`` chunks; the last one has the token count and completion reason."""
    out = []
    for index, (text, s, e) in enumerate(pieces or [("", 0, 0)]):
        body = {
            "outputText": text,
            "index": 0,
            "totalOutputTextTokenCount": None,
            "completionReason": None,
            "inputTextTokenCount": a.input_tokens if index == 0 else None,
        }
        out.append(Chunk(body, s, e))
    out[-1].body.update(
        totalOutputTextTokenCount=a.output_tokens,
        completionReason=stop_name(STOPS, a.generation),
    )
    return out


def validate(model_id: str, body: Mapping[str, Any]) -> InvokeFields:
    """Validate an ``inputText`` body."""
    check_keys(body, "#", ("inputText",), ("textGenerationConfig",))
    config = body.get("textGenerationConfig") or {}
    limit = number(config, "maxTokenCount", "#/textGenerationConfig", 512)
    stops = stop_list(config.get("stopSequences"), "#/textGenerationConfig/stopSequences")
    return InvokeFields(str(body["inputText"]), limit, stops)


# Medians of the recordings' firstByteLatency and (outputTokens - 1) /
# (invocationLatency - firstByteLatency); see tests/data/bedrock-recordings.
PROFILE = Profile(first_token_ms=650, tokens_per_second=100.0, tokens_per_chunk=48)

FAMILY = EmulatedFamily(
    invoke_chunks=invoke_chunks,
    invoke_body=invoke_body,
    validate=validate,
    profile=PROFILE,
    converse_max_tokens=512,
)
