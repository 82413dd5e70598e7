"""What a family's invoke body builder takes of a request, and the refusal of the rest.

Completion-style families read a conversation as ``(role, text)`` turns and a system string;
anything they cannot express (an image, a tool call, a cache point) raises
:class:`~.errors.UnsupportedOptionError` naming the family and the option, never dropped.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import UnsupportedOptionError
from .request_blocks import block_kind

if TYPE_CHECKING:
    from .family.base import InvokeRequest

__all__ = [
    "b64",
    "json_safe",
    "refuse_tools",
    "result_text",
    "system_text",
    "text_only",
    "text_turns",
    "unsupported",
]


def unsupported(r: InvokeRequest, option: str) -> UnsupportedOptionError:
    """Return the error for ``option``, which the ``r.family`` invoke body cannot express."""
    return UnsupportedOptionError(
        f"the {r.family} invoke format cannot express {option}; send it with api='converse'"
        " (if the model takes it there) or leave it out"
    )


def refuse_tools(r: InvokeRequest) -> None:
    """Raise if the request has tools or a tool choice (for a family without tools)."""
    if r.tools:
        raise unsupported(r, "tools")
    if r.tool_choice is not None:
        raise unsupported(r, "tool_choice")


def _text(r: InvokeRequest, blocks: list[dict[str, Any]], where: str) -> str:
    parts = []
    for block in blocks:
        kind = block_kind(block)
        if kind != "text":
            raise unsupported(r, f"{kind} blocks in {where}")
        parts.append(str(block["text"]))
    return "".join(parts)


def system_text(r: InvokeRequest) -> str | None:
    """Return the system prompt as one string (None: none); only text blocks are allowed."""
    return _text(r, r.system, "the system prompt") if r.system else None


def text_turns(r: InvokeRequest) -> list[tuple[str, str]]:
    """Return ``(role, text)`` of each message; only text blocks are allowed."""
    return [(m["role"], _text(r, m["content"], "messages")) for m in r.messages]


def text_only(r: InvokeRequest) -> tuple[str | None, list[tuple[str, str]]]:
    """Return the system string and the turns of a text-only family's request (no tools)."""
    refuse_tools(r)
    return system_text(r), text_turns(r)


def result_text(r: InvokeRequest, block: Mapping[str, Any]) -> str:
    """Return one block of a tool result as text: its text, or its JSON encoded."""
    kind = block_kind(block)
    if kind == "text":
        return str(block["text"])
    if kind == "json":
        return json.dumps(block["json"])
    raise unsupported(r, f"{kind} blocks in a tool result")


def b64(data: bytes | bytearray | str) -> str:
    """Return the base64 text of blob ``data`` (a str as its UTF-8, as botocore sends it)."""
    raw = data.encode() if isinstance(data, str) else bytes(data)
    return base64.b64encode(raw).decode("ascii")


def json_safe(node: Any) -> Any:
    """Return ``node`` with every bytes value as base64 text (Converse blobs in a JSON body)."""
    if isinstance(node, (bytes, bytearray)):
        return b64(node)
    if isinstance(node, Mapping):
        return {key: json_safe(value) for key, value in node.items()}
    if isinstance(node, (list, tuple)):
        return [json_safe(value) for value in node]
    return node
