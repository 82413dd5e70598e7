"""Amazon Nova on the emulator: Converse-shaped invoke chunks and body."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .base import Chunk, EmulatedFamily, Piece, StopNames, converse_usage, stop_name

if TYPE_CHECKING:
    from ..formats import Answer

STOPS: StopNames = ("end_turn", "max_tokens", "end_turn")


def invoke_body(a: Answer) -> dict[str, Any]:
    """Build the Converse-shaped body, with zero cache token counts in the usage."""
    usage = {**converse_usage(a), "cacheReadInputTokenCount": 0, "cacheWriteInputTokenCount": 0}
    message = {"role": "assistant", "content": [{"text": a.generation.text}]}
    reason = stop_name(STOPS, a.generation)
    return {"output": {"message": message}, "stopReason": reason, "usage": usage}


def invoke_chunks(a: Answer, pieces: Sequence[Piece]) -> list[Chunk]:
    """Build one content block per piece, the last one empty, then stop and metadata."""
    out = [Chunk({"messageStart": {"role": "assistant"}})]
    end = a.output_tokens
    for index, (text, s, e) in enumerate([*pieces, ("", end, end)]):  # ends with ""
        delta = {"delta": {"text": text}, "contentBlockIndex": index}
        out.append(Chunk({"contentBlockDelta": delta}, s, e))
        out.append(Chunk({"contentBlockStop": {"contentBlockIndex": index}}))
    usage = {
        "inputTokens": a.input_tokens,
        "outputTokens": a.output_tokens,
        "cacheReadInputTokenCount": 0,
        "cacheWriteInputTokenCount": 0,
    }
    return [
        *out,
        Chunk({"messageStop": {"stopReason": stop_name(STOPS, a.generation)}}),
        Chunk({"metadata": {"usage": usage, "metrics": {}, "trace": {}}}),
    ]


FAMILY = EmulatedFamily(
    stops=STOPS, invoke_chunks=invoke_chunks, invoke_body=invoke_body, cache_counts=True
)
