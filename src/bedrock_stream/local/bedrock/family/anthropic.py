"""Anthropic Claude on the emulator: Messages API chunks, and Text Completions for Claude v2."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bedrock_stream.bedrock.families import base_model_id

from ..schema import chat_prompt, check_keys, invalid, malformed, number, stop_list
from .anthropic_request import anthropic_conversation
from .base import Chunk, EmulatedFamily, InvokeFields, Piece, Profile, StopNames, stop_name

if TYPE_CHECKING:
    from ..formats import Answer
    from ..turn import ToolCall

STOPS: StopNames = ("end_turn", "max_tokens", "stop_sequence")


def model_name(model_id: str) -> str:
    """Anthropic's ``model`` field: ``claude-3-sonnet-20240229`` from the model id."""
    base = base_model_id(model_id).removeprefix("anthropic.")
    return re.sub(r"-v\d+:\d+$", "", base)


def _usage(a: Answer, output_tokens: int) -> dict[str, int]:
    usage = {"input_tokens": a.input_tokens, "output_tokens": output_tokens}
    if a.turn.cached:
        usage.update(
            cache_creation_input_tokens=a.turn.cache_write,
            cache_read_input_tokens=a.turn.cache_read,
        )
    return usage


def _tool_id(a: Answer, call: ToolCall) -> str:
    return "toolu_bdrk_01" + a.ident(f"tool{call.index}")


def _citation(a: Answer) -> dict[str, Any]:
    cited = a.turn.cited
    assert cited is not None
    return {
        "type": "char_location",
        "cited_text": cited.quote,
        "document_index": cited.document_index,
        "document_title": cited.title,
        "start_char_index": cited.start,
        "end_char_index": cited.end,
    }


def _blocks(a: Answer) -> list[tuple[dict[str, Any], int, int]]:
    """Return the message's content blocks (thinking, text, tool uses), with text token ranges.

    A cited opening is a text block of its own, with its ``citations``.
    """
    out: list[tuple[dict[str, Any], int, int]] = []
    thought = a.turn.thought
    if thought is not None and thought.redacted is not None:
        out.append(({"type": "redacted_thinking", "data": thought.redacted}, 0, 0))
    elif thought is not None:
        block = {"type": "thinking", "thinking": thought.text, "signature": thought.signature}
        out.append((block, 0, 0))
    tokens = a.generation.tokens
    split = min(len(a.turn.cited.lead_tokens), len(tokens)) if a.turn.cited else 0
    if split:
        cited = {"type": "text", "text": "".join(tokens[:split]), "citations": [_citation(a)]}
        out.append((cited, 0, split))
    if len(tokens) > split or not (a.turn.calls or split):
        out.append(({"type": "text", "text": "".join(tokens[split:])}, split, len(tokens)))
    for call in a.turn.calls:
        use = {"type": "tool_use", "id": _tool_id(a, call), "name": call.name, "input": call.input}
        out.append((use, 0, 0))
    return out


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
        "content": [block for block, _, _ in _blocks(a)],
        "stop_reason": reason,
        "stop_sequence": g.stop_sequence,
        "usage": _usage(a, a.output_tokens),
    }


def _block_chunks(a: Answer) -> list[Chunk]:
    """Return the stream's content blocks: start, deltas and stop of each, from 0."""
    blocks: list[list[Chunk]] = []
    content = _blocks(a)
    first_tool = len(content) - len(a.turn.calls)
    for index, (start, low, high) in enumerate(content):
        head = {"type": "content_block_start", "index": index}
        kind = start["type"]
        deltas: list[Chunk] = []
        if kind == "thinking":
            thought = a.turn.thought
            assert thought is not None
            deltas = [
                _delta(index, {"type": "thinking_delta", "thinking": t}, s, e, "reasoning")
                for t, s, e in PROFILE.pieces(thought.tokens)
            ]
            deltas.append(
                _delta(
                    index,
                    {"type": "signature_delta", "signature": thought.signature},
                    0,
                    0,
                    "signature",
                )
            )
            start = {"type": "thinking", "thinking": "", "signature": ""}
        elif kind == "text":
            tokens = a.generation.tokens[low:high]
            deltas = [
                _delta(index, {"type": "text_delta", "text": t}, s, e, "")
                for t, s, e in PROFILE.pieces(tokens, low)
            ]
            if "citations" in start:
                citation = {"type": "citations_delta", "citation": start["citations"][0]}
                deltas.append(_delta(index, citation, 0, 0, "citation"))
            start = {
                "type": "text",
                "text": "",
                **({"citations": []} if "citations" in start else {}),
            }
        elif kind == "tool_use":
            call = a.turn.calls[index - first_tool]
            deltas = [_delta(index, {"type": "input_json_delta", "partial_json": ""}, 0, 0, "")]
            deltas += [
                _delta(index, {"type": "input_json_delta", "partial_json": t}, s, e, "tool-input")
                for t, s, e in PROFILE.pieces(call.tokens)
            ]
            start = {**start, "input": {}}
        head_kind = "tool-start" if kind == "tool_use" else ""
        stop = Chunk({"type": "content_block_stop", "index": index})
        blocks.append([Chunk({**head, "content_block": start}, kind=head_kind), *deltas, stop])
    return [chunk for block in blocks for chunk in block]


def _delta(index: int, delta: dict[str, Any], start: int, stop: int, kind: str) -> Chunk:
    return Chunk({"type": "content_block_delta", "index": index, "delta": delta}, start, stop, kind)


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
        "usage": _usage(a, 1),
    }
    end = {"stop_reason": stop_name(STOPS, g), "stop_sequence": g.stop_sequence}
    return [
        Chunk({"type": "message_start", "message": start}),
        *_block_chunks(a),
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
    conversation = anthropic_conversation(model_id, body)
    return InvokeFields(chat_prompt(body.get("system"), messages), limit, stops, "", conversation)


# Medians of the recordings' firstByteLatency and (outputTokens - 1) /
# (invocationLatency - firstByteLatency); see tests/data/bedrock-recordings.
PROFILE = Profile(first_token_ms=500, tokens_per_second=40.0, tokens_per_chunk=4)

FAMILY = EmulatedFamily(
    invoke_chunks=invoke_chunks,
    invoke_body=invoke_body,
    validate=validate,
    profile=PROFILE,
)
