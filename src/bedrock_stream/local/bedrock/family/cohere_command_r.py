"""Cohere Command R on the emulator: ``text-generation`` events and a ``stream-end`` response."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..schema import check_keys, number, stop_list
from .base import Chunk, EmulatedFamily, InvokeFields, Piece, Profile, StopNames, stop_name

if TYPE_CHECKING:
    from ..formats import Answer

STOPS: StopNames = ("COMPLETE", "MAX_TOKENS", "STOP_SEQUENCE")


def invoke_body(a: Answer) -> dict[str, Any]:
    """Build the chat response: text, ids, history with this turn, finish reason."""
    body = a.request.body
    history = [*(body.get("chat_history") or ())]
    history += [
        {"role": "USER", "message": body.get("message")},
        {"role": "CHATBOT", "message": a.generation.text},
    ]
    return {
        "response_id": a.uuid("response"),
        "text": a.generation.text,
        "generation_id": a.uuid("gen"),
        "chat_history": history,
        "finish_reason": stop_name(STOPS, a.generation),
    }


def invoke_chunks(a: Answer, pieces: Sequence[Piece]) -> list[Chunk]:
    """Build ``text-generation`` chunks, then ``stream-end`` with the response and its meta."""
    out = [
        Chunk({"is_finished": False, "event_type": "text-generation", "text": t}, s, e)
        for t, s, e in pieces
    ]
    response = invoke_body(a)
    tokens = {"input_tokens": a.input_tokens, "output_tokens": a.output_tokens}
    response["meta"] = {"api_version": {"version": "1"}, "billed_units": tokens, "tokens": tokens}
    end = {
        "is_finished": True,
        "event_type": "stream-end",
        "response": response,
        "finish_reason": response["finish_reason"],
    }
    return [*out, Chunk(end)]


def validate(model_id: str, body: Mapping[str, Any]) -> InvokeFields:
    """Validate a chat ``message`` body; the prompt is preamble, history and message."""
    check_keys(body, "#", ("message",), None)
    history = [
        h.get("message", "") for h in body.get("chat_history") or () if isinstance(h, Mapping)
    ]
    prompt = "\n".join([str(body.get("preamble") or ""), *map(str, history), str(body["message"])])
    limit = number(body, "max_tokens", "#", 4000)
    return InvokeFields(prompt, limit, stop_list(body.get("stop_sequences"), "#/stop_sequences"))


# Medians of the recordings' firstByteLatency and (outputTokens - 1) /
# (invocationLatency - firstByteLatency); see tests/data/bedrock-recordings.
PROFILE = Profile(first_token_ms=95, tokens_per_second=85.0, tokens_per_chunk=1)

FAMILY = EmulatedFamily(
    invoke_chunks=invoke_chunks,
    invoke_body=invoke_body,
    validate=validate,
    profile=PROFILE,
)
