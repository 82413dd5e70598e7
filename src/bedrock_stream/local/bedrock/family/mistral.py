"""Mistral on the emulator: text completion ``outputs``, or chat ``choices`` (``chat``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..schema import chat_prompt, check_keys, number, stop_list
from .base import Chunk, EmulatedFamily, InvokeFields, Piece, Profile, StopNames, stop_name
from .chat_request import chat_conversation

if TYPE_CHECKING:
    from ..formats import Answer

STOPS: StopNames = ("stop", "length", "stop")


def _reason(a: Answer) -> str:
    return "tool_calls" if a.turn.calls else stop_name(STOPS, a.generation)


def _tool_calls(a: Answer) -> list[dict[str, Any]]:
    """Mistral's ``tool_calls``: a nine-character id, the arguments as a JSON string."""
    return [
        {"id": a.ident(f"tool{c.index}", 9), "function": {"name": c.name, "arguments": c.json}}
        for c in a.turn.calls
    ]


def invoke_body(a: Answer) -> dict[str, Any]:
    """Build the ``outputs`` body, or the ``choices`` one (``chat``, with ``tool_calls``)."""
    text, reason = a.generation.text, _reason(a)
    if a.request.variant == "chat":
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if a.turn.calls:
            message["tool_calls"] = _tool_calls(a)
        return {"choices": [{"index": 0, "message": message, "stop_reason": reason}]}
    return {"outputs": [{"text": text, "stop_reason": reason}]}


def invoke_chunks(a: Answer, pieces: Sequence[Piece]) -> list[Chunk]:
    """Build one chunk per piece; the last one has the stop reason (and the tool calls)."""
    reason = _reason(a)
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
    if a.turn.calls:  # one chunk with every call, whole
        out[-1].body[key][0]["message"]["tool_calls"] = _tool_calls(a)
        out[-1].kind = "tool-input"
        out[-1].stop = out[-1].start + sum(len(c.tokens) for c in a.turn.calls)
    return out


def validate(model_id: str, body: Mapping[str, Any]) -> InvokeFields:
    """Validate a text completion ``prompt`` body, or a chat ``messages`` one (``chat``)."""
    if "messages" in body:
        prompt = chat_prompt(None, body["messages"])
        limit = number(body, "max_tokens", "#", 8192)
        stops = stop_list(body.get("stop"), "#/stop")
        return InvokeFields(prompt, limit, stops, "chat", chat_conversation(body))
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
