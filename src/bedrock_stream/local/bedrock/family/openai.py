"""OpenAI gpt-oss on the emulator: chat completion chunks and body (AI21 Jamba shares them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..schema import chat_prompt, check_keys, malformed, number, stop_list
from .base import Chunk, EmulatedFamily, InvokeFields, Piece, Profile, StopNames, stop_name
from .chat_request import chat_conversation

if TYPE_CHECKING:
    from ..formats import Answer
    from ..turn import ToolCall

STOPS: StopNames = ("stop", "length", "stop")


def usage(a: Answer, *, details: bool = False) -> dict[str, Any]:
    """Build ``usage``; ``details``: with the token details recorded on the stream."""
    out: dict[str, Any] = {"completion_tokens": a.output_tokens}
    if details:
        out["completion_tokens_details"] = dict.fromkeys(
            ("accepted_prediction_tokens", "audio_tokens", "reasoning_tokens"), 0
        ) | {"rejected_prediction_tokens": 0}
    out["prompt_tokens"] = a.input_tokens
    if details:
        out["prompt_tokens_details"] = dict.fromkeys(
            ("audio_tokens", "cache_write_tokens", "cached_tokens"), 0
        )
    out["total_tokens"] = a.input_tokens + a.output_tokens
    return out


def finish_reason(a: Answer) -> str:
    """Return the ``finish_reason``: ``tool_calls`` after a tool call, else the family's word."""
    return "tool_calls" if a.turn.calls else stop_name(STOPS, a.generation)


def _call_id(a: Answer, call: ToolCall) -> str:
    return "call_" + a.ident(f"tool{call.index}", 24)


def tool_calls(a: Answer) -> list[dict[str, Any]]:
    """Return the message's ``tool_calls`` (the arguments as a JSON string)."""
    return [
        {
            "id": _call_id(a, call),
            "type": "function",
            "function": {"name": call.name, "arguments": call.json},
        }
        for call in a.turn.calls
    ]


def invoke_body(a: Answer) -> dict[str, Any]:
    """Build the ``chat.completion`` body (``tool_calls`` and no content after a tool call)."""
    message: dict[str, Any] = {"role": "assistant", "content": a.generation.text}
    if a.turn.calls:
        message = {"role": "assistant", "content": None, "tool_calls": tool_calls(a)}
    reason = finish_reason(a)
    return {
        "id": "chatcmpl-" + a.ident("chat", 40).lower(),
        "object": "chat.completion",
        "created": a.created,
        "model": a.request.model_id,
        "choices": [{"index": 0, "message": message, "finish_reason": reason}],
        "usage": usage(a),
    }


def invoke_chunks(a: Answer, pieces: Sequence[Piece]) -> list[Chunk]:
    """Build ``chat.completion.chunk`` objects; ``usage``: a last one with only the usage."""

    def chunk(choices: list[Any], index: int, **extra: Any) -> dict[str, Any]:
        return {
            "choices": choices,
            "created": a.created,
            "id": "chatcmpl-" + a.ident("chat", 40).lower(),
            "model": a.request.model_id,
            "object": "chat.completion.chunk",
            "service_tier": "default",
            "system_fingerprint": None,
            "usage": None,
            **extra,
            "obfuscation": a.padding(1000 + index),
        }

    first = {"content": "", "role": "assistant", "refusal": None}
    out = [Chunk(chunk([{"delta": first, "finish_reason": None, "index": 0}], 0))]
    for i, (text, s, e) in enumerate(pieces, 1):
        choice = {"delta": {"content": text}, "finish_reason": None, "index": 0}
        out.append(Chunk(chunk([choice], i), s, e))
    for n, call in enumerate(a.turn.calls):
        head = {"index": n, "id": _call_id(a, call), "type": "function"}
        start = {**head, "function": {"name": call.name, "arguments": ""}}
        deltas: list[tuple[dict[str, Any], int, int, str]] = [(start, 0, 0, "tool-start")]
        deltas += [
            ({"index": n, "function": {"arguments": t}}, s, e, "tool-input")
            for t, s, e in PROFILE.pieces(call.tokens, 0)
        ]
        for delta, s, e, kind in deltas:
            step: dict[str, Any] = {"delta": {"tool_calls": [delta]}, "finish_reason": None}
            out.append(Chunk(chunk([{**step, "index": 0}], len(out)), s, e, kind))
    reason = finish_reason(a)
    totals = usage(a, details=True) if a.request.variant == "usage" else None
    done = {"delta": {}, "finish_reason": reason, "index": 0}
    out.append(Chunk(chunk([done], len(out), usage=totals)))
    if totals is not None:
        out.append(Chunk(chunk([], len(out), usage=totals)))
    return out


def validate(model_id: str, body: Mapping[str, Any]) -> InvokeFields:
    """Validate a chat completions body; ``stream_options.include_usage``: ``usage``."""
    check_keys(body, "#", ("messages",), None)
    if not isinstance(body["messages"], list):
        raise malformed("#/messages: expected type: JSONArray")
    prompt = chat_prompt(None, body["messages"])
    key = "max_completion_tokens" if "max_completion_tokens" in body else "max_tokens"
    limit = number(body, key, "#", 4096)
    stops = stop_list(body.get("stop"), "#/stop")
    variant = "usage" if (body.get("stream_options") or {}).get("include_usage") else ""
    return InvokeFields(prompt, limit, stops, variant, chat_conversation(body))


# No streaming recording: an educated guess.
PROFILE = Profile(first_token_ms=700, tokens_per_second=100.0, tokens_per_chunk=1)

FAMILY = EmulatedFamily(
    invoke_chunks=invoke_chunks,
    invoke_body=invoke_body,
    validate=validate,
    profile=PROFILE,
)
