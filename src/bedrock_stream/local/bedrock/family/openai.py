"""OpenAI gpt-oss on the emulator: chat completion chunks and body (AI21 Jamba shares them).

``reasoning_effort`` (``low``, ``medium``, ``high``) switches gpt-oss's reasoning on: the
stream sends it in ``delta.reasoning_content`` pieces before the text, and the InvokeModel
body puts it before the text of ``message.content`` in ``<reasoning>`` tags, as AWS's
OpenAI models page says InvokeModel does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bedrock_stream.bedrock.families import base_model_id

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
        thought = a.turn.thought
        out["completion_tokens_details"] = dict.fromkeys(
            ("accepted_prediction_tokens", "audio_tokens", "rejected_prediction_tokens"), 0
        ) | {"reasoning_tokens": len(thought.tokens) if thought else 0}
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
    thought = a.turn.thought
    reasoning = f"<reasoning>{thought.text}</reasoning>" if thought else ""
    message: dict[str, Any] = {"role": "assistant", "content": reasoning + a.generation.text}
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
    thought = a.turn.thought
    for text, s, e in PROFILE.pieces(thought.tokens) if thought else ():
        choice = {"delta": {"reasoning_content": text}, "finish_reason": None, "index": 0}
        out.append(Chunk(chunk([choice], len(out)), s, e, "reasoning"))
    for text, s, e in pieces:
        choice = {"delta": {"content": text}, "finish_reason": None, "index": 0}
        out.append(Chunk(chunk([choice], len(out)), s, e))
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
    conversation = replace(chat_conversation(body), reasoning=_reasoning(model_id, body))
    return InvokeFields(prompt, limit, stops, variant, conversation)


_EFFORTS = ("low", "medium", "high")
_REASONERS = re.compile(r"^openai\.gpt-oss-")
"""The models of this format that reason (gpt-oss)."""


def _reasoning(model_id: str, body: Mapping[str, Any]) -> bool:
    """Whether ``reasoning_effort`` switches reasoning on (gpt-oss only; checked).

    Raises:
        ServiceError: ``reasoning_effort`` for a model without reasoning, or not one of
            ``low``, ``medium``, ``high`` (the emulator's wording, in the schema's words).
    """
    effort = body.get("reasoning_effort")
    if effort is None:
        return False
    if not _REASONERS.match(base_model_id(model_id)):
        raise malformed("#: extraneous key [reasoning_effort] is not permitted")
    if effort not in _EFFORTS:
        raise malformed(f"#/reasoning_effort: {effort} is not a valid enum value")
    return True


# No streaming recording: an educated guess.
PROFILE = Profile(first_token_ms=700, tokens_per_second=100.0, tokens_per_chunk=1)

FAMILY = EmulatedFamily(
    invoke_chunks=invoke_chunks,
    invoke_body=invoke_body,
    validate=validate,
    profile=PROFILE,
)
