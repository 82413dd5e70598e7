"""Amazon Nova: the Converse shape, on InvokeModel too.

A stream chunk holds one ConverseStream event under its name, in JSON (blobs as base64), so
:func:`~..converse.converse_events` reads it: message start, block starts (tool use, tool
result, image), deltas (text, tool input, reasoning, citation, tool result), block stops,
the stop with ``additionalModelResponseFields``, and the metadata. Blocks keep Nova's
``contentBlockIndex``. A body is Converse's response, read by
:func:`~..converse.converse_response_events`; its usage comes from the response headers.
Nothing is dropped: an unknown event, block start or delta comes as a ``RawEvent``.
"""

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
