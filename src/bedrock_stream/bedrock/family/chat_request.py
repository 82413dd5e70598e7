"""OpenAI-style chat request messages and tools, which :mod:`.openai` and :mod:`.mistral` send.

A Converse turn becomes chat messages: its tool results first, each a ``tool`` message
answering a ``tool_call_id``, then one message with its text and, for the assistant, its
``tool_calls`` (the input as a JSON string). Tools are ``function`` entries. Each family
keeps its own ``tool_choice`` words.

An assistant turn's reasoning blocks are left out: the chat format has no field for earlier
reasoning, and OpenAI's guide to gpt-oss's format says to drop the earlier turns' chain of
thought (https://cookbook.openai.com/articles/openai-harmony). So a ``Reply.message`` with
reasoning goes back as the next turn's history unchanged.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..invoke_views import result_text, system_text, unsupported
from ..request_blocks import block_kind
from .base import put

if TYPE_CHECKING:
    from .base import InvokeRequest

__all__ = ["chat_messages", "chat_tools"]


def _turn(r: InvokeRequest, role: str, blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the chat messages of one Converse turn: tool results first, as ``tool``."""
    out: list[dict[str, Any]] = []
    text: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in blocks:
        kind = block_kind(block)
        if kind == "text":
            text.append(str(block["text"]))
        elif kind == "toolUse" and role == "assistant":
            use = block[kind]
            function = {"name": use["name"], "arguments": json.dumps(use["input"])}
            calls.append({"id": use["toolUseId"], "type": "function", "function": function})
        elif kind == "reasoningContent" and role == "assistant":
            continue  # earlier reasoning has no place in the chat format (see above)
        elif kind == "toolResult" and role == "user":
            result = block[kind]
            answer = "".join(result_text(r, part) for part in result["content"])
            out.append({"role": "tool", "tool_call_id": result["toolUseId"], "content": answer})
        else:
            raise unsupported(r, f"{kind} blocks in {role} messages")
    if text or calls or not out:
        message: dict[str, Any] = {"role": role}
        if text or not calls:
            message["content"] = "".join(text)
        put(message, tool_calls=calls)
        out.append(message)
    return out


def chat_messages(r: InvokeRequest) -> list[dict[str, Any]]:
    """Return the request's chat messages, the system prompt first as a ``system`` message."""
    system = system_text(r)
    chat = [{"role": "system", "content": system}] if system is not None else []
    for message in r.messages:
        chat += _turn(r, message["role"], message["content"])
    return chat


def chat_tools(r: InvokeRequest) -> list[dict[str, Any]]:
    """Return the request's tools as ``function`` entries (cache points are refused)."""
    out = []
    for entry in r.tools:
        kind = block_kind(entry)
        if kind != "toolSpec":
            raise unsupported(r, f"{kind} entries in tools")
        spec = entry[kind]
        function = {"name": spec["name"], "parameters": spec["inputSchema"]["json"]}
        put(function, description=spec.get("description"), strict=spec.get("strict"))
        out.append({"type": "function", "function": function})
    return out
