"""Anthropic Claude on the emulator: Messages API chunks, and Text Completions for Claude v2."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bedrock_stream.bedrock.families import base_model_id

from ..schema import chat_prompt, check_keys, invalid, malformed, number, stop_list
from .base import Chunk, EmulatedFamily, InvokeFields, Piece, Profile, StopNames, stop_name

if TYPE_CHECKING:
    from ..formats import Answer

STOPS: StopNames = ("end_turn", "max_tokens", "stop_sequence")


def model_name(model_id: str) -> str:
    """Anthropic's ``model`` field: ``claude-3-sonnet-20240229`` from the model id."""
    base = base_model_id(model_id).removeprefix("anthropic.")
    return re.sub(r"-v\d+:\d+$", "", base)


def invoke_body(a: Answer) -> dict[str, Any]:
    """Build a Messages API message, or a Text Completions ``completion``."""
    g = a.generation
    reason = stop_name(STOPS, g)
    if a.request.variant == "text-completions":
        stop = g.stop_sequence or ("\n\nHuman:" if g.stop == "end_turn" else None)
        return {"type": "completion", "completion": g.text, "stop_reason": reason, "stop": stop}
    return {
        "id": "msg_bdrk_01" + a.ident("msg"),
        "type": "message",
        "role": "assistant",
        "model": model_name(a.request.model_id),
        "content": [{"type": "text", "text": g.text}],
        "stop_reason": reason,
        "stop_sequence": g.stop_sequence,
        "usage": {"input_tokens": a.input_tokens, "output_tokens": a.output_tokens},
    }


def invoke_chunks(a: Answer, pieces: Sequence[Piece]) -> list[Chunk]:
    """Build Messages API stream events, or Text Completions chunks (``text-completions``)."""
    g, name = a.generation, model_name(a.request.model_id)
    if a.request.variant == "text-completions":
        out = [
            Chunk({"completion": t, "stop_reason": None, "stop": None}, s, e)
            for t, s, e in pieces or [("", 0, 0)]
        ]
        reason = stop_name(STOPS, g)
        stop = g.stop_sequence or (
            "\n\nHuman:" if g.stop in ("end_turn", "guardrail_intervened") else None
        )
        out[-1].body.update(stop_reason="stop_sequence" if stop else reason, stop=stop)
        return out
    start: dict[str, Any] = {
        "id": "msg_bdrk_01" + a.ident("msg"),
        "type": "message",
        "role": "assistant",
        "model": name,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": a.input_tokens, "output_tokens": 1},
    }
    out = [
        Chunk({"type": "message_start", "message": start}),
        Chunk(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            }
        ),
    ]
    for text, s, e in pieces:
        delta = {"type": "text_delta", "text": text}
        out.append(Chunk({"type": "content_block_delta", "index": 0, "delta": delta}, s, e))
    end = {"stop_reason": stop_name(STOPS, g), "stop_sequence": g.stop_sequence}
    return [
        *out,
        Chunk({"type": "content_block_stop", "index": 0}),
        Chunk({"type": "message_delta", "delta": end, "usage": {"output_tokens": a.output_tokens}}),
        Chunk({"type": "message_stop"}),
    ]


_LEGACY = re.compile(r"^anthropic\.claude-(?:v2|instant)")
_KEYS = (
    "anthropic_version", "anthropic_beta", "max_tokens", "messages", "system", "temperature",
    "top_p", "top_k", "stop_sequences", "tools", "tool_choice", "thinking", "metadata",
)  # fmt: skip


def validate(model_id: str, body: Mapping[str, Any]) -> InvokeFields:
    """Validate a Messages API body, or a Text Completions one for Claude v2 and Instant."""
    base = base_model_id(model_id)
    if "messages" not in body and "prompt" in body:
        if not _LEGACY.match(base):
            name = base.removeprefix("anthropic.").split("-v", 1)[0]
            raise invalid(
                f'"{name}" is not supported on this API. Please use the Messages API instead.'
            )
        legacy = (
            "prompt",
            "max_tokens_to_sample",
            "temperature",
            "top_p",
            "top_k",
            "stop_sequences",
        )
        check_keys(body, "#", ("prompt", "max_tokens_to_sample"), (*legacy, "anthropic_version"))
        limit = number(body, "max_tokens_to_sample", "#", 1, low=1)
        stops = stop_list(body.get("stop_sequences"), "#/stop_sequences")
        return InvokeFields(str(body["prompt"]), limit, stops, "text-completions")
    check_keys(body, "#", ("anthropic_version", "max_tokens", "messages"), _KEYS)
    if body["anthropic_version"] != "bedrock-2023-05-31":
        raise malformed(
            f"#/anthropic_version: {body['anthropic_version']} is not a valid enum value"
        )
    limit = number(body, "max_tokens", "#", 1)
    messages = body["messages"]
    if not isinstance(messages, list):
        raise malformed(f"#/messages: expected type: JSONArray, found: {type(messages).__name__}")
    if not messages:
        raise invalid("messages: at least one message is required")
    if not isinstance(messages[0], Mapping) or messages[0].get("role") != "user":
        raise invalid('messages: first message must use the "user" role')
    stops = stop_list(body.get("stop_sequences"), "#/stop_sequences")
    return InvokeFields(chat_prompt(body.get("system"), messages), limit, stops)


# Medians of the recordings' firstByteLatency and (outputTokens - 1) /
# (invocationLatency - firstByteLatency); see tests/data/bedrock-recordings.
PROFILE = Profile(first_token_ms=500, tokens_per_second=40.0, tokens_per_chunk=4)

FAMILY = EmulatedFamily(
    invoke_chunks=invoke_chunks,
    invoke_body=invoke_body,
    validate=validate,
    profile=PROFILE,
)
