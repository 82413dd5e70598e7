"""An Anthropic Messages API body read into a :class:`~..conversation.Conversation` (no I/O).

``tools`` (``name``, ``input_schema``), ``tool_choice`` (``auto``, ``any``, ``tool``,
``none``), ``thinking``, and the content blocks ``text``, ``tool_use``, ``tool_result``,
``thinking``, ``redacted_thinking`` and ``document`` (``citations.enabled``); a
``cache_control`` on a block or a tool is a cache point right after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import reasoning
from ..conversation import Block, Conversation, Message, Tool
from ..converse_request import check_schema
from ..schema import text_of

__all__ = ["anthropic_conversation"]


def _cache_ttl(raw: Mapping[str, Any]) -> str | None:
    control = raw.get("cache_control")
    return str(control.get("ttl") or "5m") if isinstance(control, Mapping) else None


def _block(raw: Mapping[str, Any], path: str) -> Block | None:
    kind = raw.get("type")
    if kind == "text":
        return Block("text", text=str(raw.get("text", "")), path=path)
    if kind == "tool_use":
        return Block("tool_use", ident=str(raw["id"]), name=str(raw["name"]), path=path)
    if kind == "tool_result":
        text = text_of(raw.get("content"))
        return Block("tool_result", text=text, ident=str(raw["tool_use_id"]), path=path)
    if kind == "thinking":
        text, sig = str(raw.get("thinking", "")), str(raw.get("signature", ""))
        return Block("reasoning", text=text, signature=sig, path=path)
    if kind == "redacted_thinking":
        return Block("redacted", signature=str(raw.get("data", "")), path=path)
    if kind == "document":
        source = raw.get("source") or {}
        cited = bool((raw.get("citations") or {}).get("enabled"))
        text = str(source.get("data", "")) if source.get("type") == "text" else ""
        return Block("document", text=text, name=str(raw.get("title", "")), cited=cited)
    return None


def _blocks(content: Any, path: str) -> tuple[Block, ...]:
    if isinstance(content, str):
        return (Block("text", text=content, path=path),)
    out: list[Block] = []
    for b, raw in enumerate(content or ()):
        if not isinstance(raw, Mapping):
            continue
        block = _block(raw, f"{path}.{b}")
        if block is not None:
            out.append(block)
        ttl = _cache_ttl(raw)
        if ttl is not None:
            out.append(Block("cache_point", ttl=ttl))
    return tuple(out)


def _tools(body: Mapping[str, Any]) -> tuple[Tool, ...]:
    tools = []
    for t, raw in enumerate(body.get("tools") or ()):
        schema = raw.get("input_schema")
        tool = Tool(str(raw["name"]), schema, str(raw.get("description", "")), _cache_ttl(raw))
        check_schema(tool, f"tools.{t}.input_schema", f"tools.{t}.input_schema")
        tools.append(tool)
    return tuple(tools)


def anthropic_conversation(model_id: str, body: Mapping[str, Any]) -> Conversation:
    """Read a Messages API body (the ``thinking`` switch is checked for ``model_id``)."""
    choice = body.get("tool_choice") or {"type": "auto"}
    thinking = {"thinking": body["thinking"]} if "thinking" in body else {}
    messages = tuple(
        Message(str(m.get("role")), _blocks(m.get("content"), f"messages.{i}.content"), i)
        for i, m in enumerate(body["messages"])
    )
    return Conversation(
        messages=messages,
        system=_blocks(body.get("system"), "system"),
        tools=_tools(body),
        tool_choice=str(choice.get("type", "auto")),
        chosen_tool=choice.get("name"),
        reasoning=reasoning.requested(
            model_id, thinking, anthropic=True, max_tokens=body.get("max_tokens")
        ),
    )
