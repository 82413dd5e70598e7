"""One UI message's parts as Converse content blocks, through a table by part type.

An assistant UI message holds every step of a reply (``step-start`` between them); a step's
tool parts carry the call and, once run, its output. Converse wants the call in an assistant
message and its result in the next user message, so each step becomes an assistant message
followed, when it called tools, by a user message of their results.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import HTTPError
from .files import file_block

__all__ = ["PROVIDER", "message_turns", "part_kind"]

PROVIDER = "bedrock"
"""The ``providerMetadata`` key of the reasoning signature (as ``@ai-sdk/amazon-bedrock``)."""


@dataclass
class _Step:
    """The blocks of one step: the speaker's, and the tool results that answer them."""

    role: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)


def part_kind(part: Mapping[str, Any]) -> str:
    """Return the table key of a part: its type, ``tool`` for ``tool-<name>``, ``data`` for data."""
    kind = part.get("type")
    if not isinstance(kind, str):
        raise HTTPError(400, "every message part needs a string type")
    if kind.startswith("tool-"):
        return "tool"
    if kind.startswith("data-"):
        return "data"
    return kind


def _text(part: Mapping[str, Any], step: _Step) -> None:
    text = part.get("text")
    if not isinstance(text, str):
        raise HTTPError(400, "a text part needs a string text")
    if text.strip():
        step.blocks.append({"text": text})


def _bedrock_metadata(part: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = part.get("providerMetadata") or {}
    found = metadata.get(PROVIDER) if isinstance(metadata, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def _reasoning(part: Mapping[str, Any], step: _Step) -> None:
    if step.role != "assistant":
        raise HTTPError(400, "reasoning parts belong to assistant messages")
    metadata = _bedrock_metadata(part)
    redacted = metadata.get("redactedData")
    if isinstance(redacted, str):
        try:
            blob = base64.b64decode(redacted, validate=True)
        except (binascii.Error, ValueError):
            raise HTTPError(400, "a reasoning part's redactedData is not base64") from None
        step.blocks.append({"reasoningContent": {"redactedContent": blob}})
        return
    text = part.get("text")
    if not isinstance(text, str):
        raise HTTPError(400, "a reasoning part needs a string text")
    signature = metadata.get("signature")
    if not isinstance(signature, str):  # Bedrock takes reasoning back only with its signature
        return
    step.blocks.append(
        {"reasoningContent": {"reasoningText": {"text": text, "signature": signature}}}
    )


def _file(part: Mapping[str, Any], step: _Step) -> None:
    if step.role != "user":
        raise HTTPError(400, "file parts belong to user messages")
    step.blocks.append(file_block(part))


def _result_content(output: Any) -> list[dict[str, Any]]:
    if isinstance(output, str):
        return [{"text": output}]
    if isinstance(output, Mapping):
        return [{"json": dict(output)}]
    return [{"text": json.dumps(output)}]


def _result(part: Mapping[str, Any], call_id: str) -> dict[str, Any] | None:
    state = part.get("state")
    if state == "output-available":
        return {"toolUseId": call_id, "content": _result_content(part.get("output"))}
    if state == "output-error":
        text = str(part.get("errorText") or "the tool failed")
        return {"toolUseId": call_id, "content": [{"text": text}], "status": "error"}
    if state == "output-denied":
        return {"toolUseId": call_id, "content": [{"text": "denied"}], "status": "error"}
    raise HTTPError(400, f"tool call {call_id} is in state {state!r}, which has no output yet")


def _tool(part: Mapping[str, Any], step: _Step) -> None:
    if step.role != "assistant":
        raise HTTPError(400, "tool parts belong to assistant messages")
    kind = part["type"]
    name = part.get("toolName") if kind == "dynamic-tool" else kind[len("tool-") :]
    call_id = part.get("toolCallId")
    if not isinstance(name, str) or not name or not isinstance(call_id, str):
        raise HTTPError(400, "a tool part needs a toolCallId and a tool name")
    tool_input = part.get("input")
    use: dict[str, Any] = {"toolUseId": call_id, "name": name, "input": tool_input or {}}
    result = _result(part, call_id)
    if part.get("providerExecuted"):  # Bedrock ran it: both blocks stay in the assistant turn
        use["type"] = "server_tool_use"
        step.blocks.append({"toolUse": use})
        if result is not None:
            result["type"] = "server_tool_result"
            step.blocks.append({"toolResult": result})
        return
    step.blocks.append({"toolUse": use})
    if result is not None:
        step.results.append({"toolResult": result})


def _ignored(part: Mapping[str, Any], step: _Step) -> None:
    """Parts with no Converse block: sources, app data, step boundaries (handled by the caller)."""


_PARTS: dict[str, Callable[[Mapping[str, Any], _Step], None]] = {
    "text": _text,
    "reasoning": _reasoning,
    "file": _file,
    "tool": _tool,
    "dynamic-tool": _tool,
    "source-url": _ignored,
    "source-document": _ignored,
    "data": _ignored,
    "step-start": _ignored,
}


def _steps(role: str, parts: list[Mapping[str, Any]]) -> list[_Step]:
    steps = [_Step(role)]
    for part in parts:
        if not isinstance(part, Mapping):
            raise HTTPError(400, "every message part must be an object")
        kind = part_kind(part)
        handler = _PARTS.get(kind)
        if handler is None:
            raise HTTPError(400, f"message parts of type {part['type']!r} are not supported")
        if kind == "step-start" and (steps[-1].blocks or steps[-1].results):
            steps.append(_Step(role))
        handler(part, steps[-1])
    return steps


def message_turns(role: str, parts: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return the Converse messages of one UI message's ``parts`` (user or assistant)."""
    turns: list[dict[str, Any]] = []
    for step in _steps(role, parts):
        if step.blocks:
            turns.append({"role": role, "content": step.blocks})
        if step.results:
            turns.append({"role": "user", "content": step.results})
    return turns
