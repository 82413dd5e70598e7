"""Amazon Nova on the emulator: Converse-shaped invoke chunks and body."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

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

STOPS: StopNames = ("end_turn", "max_tokens", "end_turn")


def invoke_body(a: Answer) -> dict[str, Any]:
    """Build the Converse-shaped body, with zero cache token counts in the usage."""
    usage = {**converse_usage(a), "cacheReadInputTokenCount": 0, "cacheWriteInputTokenCount": 0}
    message = {"role": "assistant", "content": [{"text": a.generation.text}]}
    reason = stop_name(STOPS, a.generation)
    return {"output": {"message": message}, "stopReason": reason, "usage": usage}


def invoke_chunks(a: Answer, pieces: Sequence[Piece]) -> list[Chunk]:
    """Build one content block per piece, the last one empty, then stop and metadata."""
    out = [Chunk({"messageStart": {"role": "assistant"}})]
    end = a.output_tokens
    for index, (text, s, e) in enumerate([*pieces, ("", end, end)]):  # ends with ""
        delta = {"delta": {"text": text}, "contentBlockIndex": index}
        out.append(Chunk({"contentBlockDelta": delta}, s, e))
        out.append(Chunk({"contentBlockStop": {"contentBlockIndex": index}}))
    usage = {
        "inputTokens": a.input_tokens,
        "outputTokens": a.output_tokens,
        "cacheReadInputTokenCount": 0,
        "cacheWriteInputTokenCount": 0,
    }
    return [
        *out,
        Chunk({"messageStop": {"stopReason": stop_name(STOPS, a.generation)}}),
        Chunk({"metadata": {"usage": usage, "metrics": {}, "trace": {}}}),
    ]


_BLOCKS = ("text", "image", "video", "document", "reasoningContent", "cachePoint", "toolResult")


def validate(model_id: str, body: Mapping[str, Any]) -> InvokeFields:
    """Validate a Converse-shaped body: known keys and content blocks."""
    allowed = ("schemaVersion", "system", "inferenceConfig", "toolConfig")
    check_keys(body, "#", ("messages",), allowed)
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
    return InvokeFields(chat_prompt(body.get("system"), messages), limit, stops)


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
