"""An OpenAI-style chat body read into a :class:`~..conversation.Conversation` (no I/O).

``tools`` (``{"type": "function", "function": {"name", "parameters"}}``), ``tool_choice``
(``auto``, ``none``, ``required`` or Mistral's ``any``, or a named function), assistant
``tool_calls`` and
``tool`` messages (each answering a ``tool_call_id``; consecutive ones make one turn).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..conversation import Block, Conversation, Message, Tool
from ..converse_request import check_schema
from ..schema import text_of

__all__ = ["chat_conversation"]

_CHOICES = {"auto": "auto", "none": "none", "required": "any", "any": "any"}
"""OpenAI's and Mistral's ``tool_choice`` words, in Converse's."""


def _message(raw: Mapping[str, Any], index: int) -> Message:
    path = f"messages.{index}.content"
    blocks = [Block("text", text=text_of(raw.get("content")), path=path)]
    for c, call in enumerate(raw.get("tool_calls") or ()):
        function = call.get("function") or {}
        blocks.append(
            Block("tool_use", ident=str(call["id"]), name=str(function["name"]), path=f"{path}.{c}")
        )
    if raw.get("role") == "tool":
        result = Block(
            "tool_result", text=blocks[0].text, ident=str(raw["tool_call_id"]), path=path
        )
        return Message("user", (result,), index)
    return Message(str(raw.get("role")), tuple(blocks), index)


def _turns(messages: list[Mapping[str, Any]]) -> tuple[Message, ...]:
    """Return the messages as turns: consecutive ``tool`` messages become one user turn."""
    out: list[Message] = []
    for i, raw in enumerate(messages):
        message = _message(raw, i)
        if raw.get("role") == "tool" and out and out[-1].role == "user":
            last = out[-1]
            if all(b.kind == "tool_result" for b in last.blocks):
                out[-1] = Message("user", (*last.blocks, *message.blocks), last.index)
                continue
        out.append(message)
    return tuple(Message(m.role, m.blocks, i) for i, m in enumerate(out))


def chat_conversation(body: Mapping[str, Any]) -> Conversation:
    """Read a chat completions body's tools, tool choice and tool turns."""
    tools = []
    for t, raw in enumerate(body.get("tools") or ()):
        function = raw["function"]
        schema = function.get("parameters") or {"type": "object", "properties": {}}
        tool = Tool(str(function["name"]), schema, str(function.get("description", "")))
        check_schema(tool, f"tools.{t}.function.parameters", f"tools.{t}.function.parameters")
        tools.append(tool)
    choice = body.get("tool_choice") or "auto"
    named = choice.get("function", {}).get("name") if isinstance(choice, Mapping) else None
    kind = "tool" if named else _CHOICES.get(str(choice), "auto")
    return Conversation(
        messages=_turns(list(body["messages"])),
        tools=tuple(tools),
        tool_choice=kind,
        chosen_tool=named,
    )
