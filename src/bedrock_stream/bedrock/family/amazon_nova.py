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
from ..invoke_views import json_safe, unsupported
from ..request_blocks import block_kind
from ..request_options import Reasoning, converse_tool_choice, reasoning_setting
from .base import FamilyCodec, InvokeRequest, put

__all__ = ["CODEC"]


def build_body(r: InvokeRequest) -> dict[str, Any]:
    """Build a ``messages-v1`` body: Converse's shape, blobs as base64.

    Nova's invoke API takes what Converse takes except documents (its user guide). Its own
    parameters, ``reasoningConfig`` among them, are top-level fields of the invoke body, where
    Converse takes them in ``additionalModelRequestFields`` (the Nova 2 user guide's "Core
    inference" page).
    """
    for message in r.messages:
        for block in message["content"]:
            if block_kind(block) == "document":
                raise unsupported(r, "document blocks")
    for block in r.system:
        if block_kind(block) not in ("text", "cachePoint"):
            raise unsupported(r, f"{block_kind(block)} blocks in the system prompt")
    config: dict[str, Any] = {"maxTokens": r.max_tokens}
    put(config, temperature=r.temperature, topP=r.top_p, stopSequences=r.stop_sequences)
    body = {
        "schemaVersion": "messages-v1",
        "messages": json_safe(r.messages),
        "inferenceConfig": config,
        **r.reasoning,
    }
    put(body, system=json_safe(r.system))
    if r.tools:
        body["toolConfig"] = {"tools": json_safe(r.tools)}
        if r.tool_choice is not None:
            body["toolConfig"]["toolChoice"] = converse_tool_choice(r.tool_choice)
    return body


def reasoning_fields(reasoning: Reasoning, family: str) -> dict[str, Any]:
    """Return ``reasoningConfig``: Nova 2 reasons by an effort level only."""
    effort = reasoning_setting(reasoning, family, "effort", "maxReasoningEffort")
    return {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": effort}}


def parse_body(body: Mapping[str, Any]) -> list[Event]:
    """Return the events of a Converse-shaped body; usage comes from the headers instead."""
    return [e for e in converse_response_events(body) if not isinstance(e, Usage)]


CODEC = FamilyCodec(
    prefixes=("amazon.nova",),
    build_body=build_body,
    new_stream=lambda: converse_events,
    parse_body=parse_body,
    reasoning_fields=reasoning_fields,
)
