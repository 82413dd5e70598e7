"""Amazon Nova: the Converse shape, on InvokeModel too."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..converse import converse_events, converse_response_events
from ..events import Event, Usage
from .base import FamilyCodec, InvokeRequest, put

__all__ = ["CODEC"]


def build_body(r: InvokeRequest) -> dict[str, Any]:
    """Build a ``messages-v1`` body."""
    config: dict[str, Any] = {"maxTokens": r.max_tokens}
    put(config, temperature=r.temperature, topP=r.top_p, stopSequences=r.stop_sequences)
    body = {"schemaVersion": "messages-v1", "messages": r.messages, "inferenceConfig": config}
    if r.system:
        body["system"] = [{"text": r.system}]
    return body


def parse_body(body: Mapping[str, Any]) -> list[Event]:
    """Return the events of a Converse-shaped body; usage comes from the headers instead."""
    return [e for e in converse_response_events(body) if not isinstance(e, Usage)]


CODEC = FamilyCodec(
    prefixes=("amazon.nova",),
    build_body=build_body,
    new_stream=lambda: converse_events,
    parse_body=parse_body,
)
