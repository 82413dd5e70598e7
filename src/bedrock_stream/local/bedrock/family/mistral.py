"""Mistral on the emulator: text completion ``outputs``, or chat ``choices`` (``chat``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..schema import chat_prompt, check_keys, number, stop_list
from .base import Chunk, EmulatedFamily, InvokeFields, Piece, Profile, StopNames, stop_name

if TYPE_CHECKING:
    from ..formats import Answer

STOPS: StopNames = ("stop", "length", "stop")


def invoke_body(a: Answer) -> dict[str, Any]:
    """Build the ``outputs`` body, or the ``choices`` one (``chat``)."""
    text, reason = a.generation.text, stop_name(STOPS, a.generation)
    if a.request.variant == "chat":
        message = {"role": "assistant", "content": text}
        return {"choices": [{"index": 0, "message": message, "stop_reason": reason}]}
    return {"outputs": [{"text": text, "stop_reason": reason}]}


def invoke_chunks(a: Answer, pieces: Sequence[Piece]) -> list[Chunk]:
    """Build one chunk per piece; the last one has the stop reason."""
    reason = stop_name(STOPS, a.generation)
    out = []
    for text, s, e in pieces or [("", 0, 0)]:
        if a.request.variant == "chat":
            choice = {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "stop_reason": None,
            }
            out.append(Chunk({"choices": [choice]}, s, e))
        else:
            out.append(Chunk({"outputs": [{"text": text, "stop_reason": None}]}, s, e))
    key = "choices" if a.request.variant == "chat" else "outputs"
    out[-1].body[key][0]["stop_reason"] = reason
    return out


def validate(model_id: str, body: Mapping[str, Any]) -> InvokeFields:
    """Validate a text completion ``prompt`` body, or a chat ``messages`` one (``chat``)."""
    if "messages" in body:
        prompt = chat_prompt(None, body["messages"])
        limit = number(body, "max_tokens", "#", 8192)
        return InvokeFields(prompt, limit, stop_list(body.get("stop"), "#/stop"), "chat")
    check_keys(body, "#", ("prompt",), ("max_tokens", "stop", "temperature", "top_p", "top_k"))
    prompt, limit = str(body["prompt"]), number(body, "max_tokens", "#", 512)
    return InvokeFields(prompt, limit, stop_list(body.get("stop"), "#/stop"))


# Medians of the recordings' firstByteLatency and (outputTokens - 1) /
# (invocationLatency - firstByteLatency); see tests/data/bedrock-recordings.
PROFILE = Profile(first_token_ms=135, tokens_per_second=70.0, tokens_per_chunk=1)

FAMILY = EmulatedFamily(
    invoke_chunks=invoke_chunks,
    invoke_body=invoke_body,
    validate=validate,
    profile=PROFILE,
    converse_max_tokens=512,
    trailing_empty_delta=True,
)
