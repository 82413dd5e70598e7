"""Amazon Nova on the emulator: Converse-shaped invoke chunks and body.

A cited document's opening (:mod:`..citations`) is followed by a ``citation`` delta in the
stream and is a ``citationsContent`` block of the body, Converse's shapes. Nova's invoke API
on Bedrock takes no documents (its user guide); the emulator takes them so that the
citation shapes, which Nova's web grounding sends, can be driven by the same rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import reasoning
from ..converse_request import converse_conversation
from ..schema import chat_prompt, check_keys, malformed, number, stop_list
from .base import (
    Chunk,
    EmulatedFamily,
    InvokeFields,
    Piece,
    Profile,
    StopNames,
    converse_usage,
    stop_name,
)

if TYPE_CHECKING:
    from ..formats import Answer
    from ..turn import ToolCall

STOPS: StopNames = ("end_turn", "max_tokens", "end_turn")


def _usage(a: Answer) -> dict[str, int]:
    return {
        "inputTokens": a.input_tokens,
        "outputTokens": a.output_tokens,
        "cacheReadInputTokenCount": a.turn.cache_read,
        "cacheWriteInputTokenCount": a.turn.cache_write,
    }


def _tool_use_id(a: Answer, call: ToolCall) -> str:
    return a.uuid(f"tool{call.index}")  # as recorded: a UUID


def _reasoning_block(a: Answer) -> dict[str, Any] | None:
    thought = a.turn.thought
    if thought is None:
        return None
    if thought.redacted is not None:
        return {"reasoningContent": {"redactedContent": thought.redacted}}
    text = {"text": thought.text, "signature": thought.signature}
    return {"reasoningContent": {"reasoningText": text}}


def invoke_body(a: Answer) -> dict[str, Any]:
    """Build the Converse-shaped body, with the cache token counts in the usage."""
    usage = {**_usage(a), "totalTokens": converse_usage(a)["totalTokens"]}
    content = [b for b in (_reasoning_block(a),) if b is not None]
    tokens, cited = a.generation.tokens, a.turn.cited
    if cited is not None:
        split = min(len(cited.lead_tokens), len(tokens))
        lead = {"content": [{"text": "".join(tokens[:split])}], "citations": [cited.citation()]}
        content.append({"citationsContent": lead})
        tokens = tokens[split:]
    if tokens or not (a.turn.calls or cited):
        content.append({"text": "".join(tokens)})
    for call in a.turn.calls:
        use = {"toolUseId": _tool_use_id(a, call), "name": call.name, "input": call.input}
        content.append({"toolUse": use})
    message = {"role": "assistant", "content": content}
    reason = stop_name(STOPS, a.generation)
    return {"output": {"message": message}, "stopReason": reason, "usage": usage}


def _delta(index: int, delta: dict[str, Any], start: int, stop: int, kind: str = "") -> Chunk:
    return Chunk(
        {"contentBlockDelta": {"delta": delta, "contentBlockIndex": index}}, start, stop, kind
    )


def _stop(index: int) -> Chunk:
    return Chunk({"contentBlockStop": {"contentBlockIndex": index}})


def invoke_chunks(a: Answer, pieces: Sequence[Piece]) -> list[Chunk]:
    """Build the reasoning block, one text block per piece (the last one empty), tool uses."""
    out = [Chunk({"messageStart": {"role": "assistant"}})]
    index = 0
    thought = a.turn.thought
    if thought is not None:
        if thought.redacted is not None:
            out.append(
                _delta(
                    0,
                    {"reasoningContent": {"redactedContent": thought.redacted}},
                    0,
                    0,
                    "reasoning",
                )
            )
        else:
            for text, s, e in PROFILE.pieces(thought.tokens):
                out.append(_delta(0, {"reasoningContent": {"text": text}}, s, e, "reasoning"))
            sig = {"reasoningContent": {"signature": thought.signature}}
            out.append(_delta(0, sig, 0, 0, "signature"))
        out.append(_stop(0))
        index = 1
    end, tokens, cited = a.generation.output_tokens, a.generation.tokens, a.turn.cited
    split = min(len(cited.lead_tokens), len(tokens)) if cited else 0
    if split:  # the opening's pieces, then the rest's
        pieces = [*PROFILE.pieces(tokens[:split]), *PROFILE.pieces(tokens[split:], split)]
    texts = [*pieces, ("", end, end)] if tokens or not a.turn.calls else []
    for text, s, e in texts:  # ends with ""
        out.append(_delta(index, {"text": text}, s, e))
        if cited is not None and e == split and s < split:  # the opening's last piece
            out.append(_delta(index, {"citation": cited.citation()}, 0, 0, "citation"))
        out.append(_stop(index))
        index += 1
    for call in a.turn.calls:
        start = {"toolUse": {"toolUseId": _tool_use_id(a, call), "name": call.name}}
        head = {"contentBlockStart": {"start": start, "contentBlockIndex": index}}
        out.append(Chunk(head, kind="tool-start"))
        for text, s, e in PROFILE.pieces(call.tokens):
            out.append(_delta(index, {"toolUse": {"input": text}}, s, e, "tool-input"))
        out.append(_stop(index))
        index += 1
    return [
        *out,
        Chunk({"messageStop": {"stopReason": stop_name(STOPS, a.generation)}}),
        Chunk({"metadata": {"usage": _usage(a), "metrics": {}, "trace": {}}}),
    ]


_BLOCKS = ("text", "image", "video", "document", "reasoningContent", "cachePoint", "toolResult")


def validate(model_id: str, body: Mapping[str, Any]) -> InvokeFields:
    """Validate a Converse-shaped body: known keys and content blocks."""
    allowed = ("schemaVersion", "system", "inferenceConfig", "toolConfig", "reasoningConfig")
    check_keys(body, "#", ("messages",), allowed)
    fields = {"reasoningConfig": body["reasoningConfig"]} if "reasoningConfig" in body else {}
    thinking = reasoning.requested(model_id, fields, anthropic=False)
    messages = body["messages"]
    if not isinstance(messages, list) or not messages:
        raise malformed("#/messages: expected minimum item count: 1, found: 0")
    for m, message in enumerate(messages):
        for b, block in enumerate(message.get("content") or ()):
            path = f"#/messages/{m}/content/{b}"
            kind = next((k for k in ("toolUse", *_BLOCKS) if k in block), None)
            if kind is None:  # as recorded: the schema's last alternative is reported
                raise malformed(f"{path}: required key [toolUse] not found")
            extra = [k for k in block if k != kind]
            if extra:
                raise malformed(f"{path}: extraneous key [{extra[0]}] is not permitted")
    config = body.get("inferenceConfig") or {}
    key = "max_new_tokens" if "max_new_tokens" in config else "maxTokens"
    limit = number(config, key, "#/inferenceConfig", 5000)
    stops = stop_list(config.get("stopSequences"), "#/inferenceConfig/stopSequences")
    conversation = converse_conversation(body, reasoning=thinking)
    return InvokeFields(chat_prompt(body.get("system"), messages), limit, stops, "", conversation)


# Medians of the recordings' firstByteLatency and (outputTokens - 1) /
# (invocationLatency - firstByteLatency); see tests/data/bedrock-recordings.
PROFILE = Profile(first_token_ms=60, tokens_per_second=200.0, tokens_per_chunk=3)

FAMILY = EmulatedFamily(
    invoke_chunks=invoke_chunks,
    invoke_body=invoke_body,
    validate=validate,
    profile=PROFILE,
    converse_max_tokens=5000,
    cache_counts=True,
)
