"""Amazon Titan Text: ``inputText`` in, ``outputText`` chunks out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..events import Event, TextDelta, Usage
from ..invoke_views import text_only
from .base import FamilyCodec, InvokeRequest, put, stop, text_prompt

__all__ = ["CODEC"]


def build_body(r: InvokeRequest) -> dict[str, Any]:
    """Build a Titan body: the conversation as one text prompt."""
    config: dict[str, Any] = {"maxTokenCount": r.max_tokens}
    put(config, temperature=r.temperature, topP=r.top_p, stopSequences=r.stop_sequences)
    return {"inputText": text_prompt(*text_only(r)), "textGenerationConfig": config}


def parse_chunk(chunk: Mapping[str, Any]) -> list[Event]:
    """Return the events of a Titan chunk; its own token counts when Bedrock's are absent."""
    out: list[Event] = []
    if chunk.get("outputText"):
        out.append(TextDelta(str(chunk["outputText"])))
    if chunk.get("completionReason") is not None:
        out.append(stop(chunk["completionReason"]))
    if (
        "amazon-bedrock-invocationMetrics" not in chunk
        and chunk.get("totalOutputTextTokenCount") is not None
    ):
        out.append(
            Usage(
                input_tokens=int(chunk.get("inputTextTokenCount") or 0),
                output_tokens=int(chunk["totalOutputTextTokenCount"]),
            )
        )
    return out


def parse_body(body: Mapping[str, Any]) -> list[Event]:
    """Return the events of a Titan body (``results``)."""
    out: list[Event] = []
    for result in body.get("results") or ():
        if result.get("outputText"):
            out.append(TextDelta(str(result["outputText"])))
        out.append(stop(result.get("completionReason")))
    return out


CODEC = FamilyCodec(
    prefixes=("amazon.titan-text", "amazon.titan-tg1"),
    build_body=build_body,
    new_stream=lambda: parse_chunk,
    parse_body=parse_body,
)
