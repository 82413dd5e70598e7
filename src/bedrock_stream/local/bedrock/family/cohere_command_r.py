"""Cohere Command R on the emulator: ``text-generation`` events and a ``stream-end`` response."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .base import Chunk, EmulatedFamily, Piece, StopNames, stop_name

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


FAMILY = EmulatedFamily(stops=STOPS, invoke_chunks=invoke_chunks, invoke_body=invoke_body)
