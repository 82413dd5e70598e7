"""AI21 Jurassic-2 on the emulator: a ``completions`` body; the model does not stream."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import EmulatedFamily, StopNames, stop_name

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


FAMILY = EmulatedFamily(stops=STOPS, invoke_chunks=None, invoke_body=invoke_body)
