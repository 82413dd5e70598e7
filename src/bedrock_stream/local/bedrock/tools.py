"""Tool use on the emulator: when the model calls a tool, with what input, and the checks.

The rule, deterministic so that tests can drive a round trip:

- No call when the request offers no tools, or when its last user message carries tool
  results: then the answer quotes each result first (:func:`result_lead`).
- ``toolChoice`` ``tool`` calls the named tool; Anthropic's ``tool_choice`` ``none`` calls
  none.
- Otherwise every offered tool whose name the last user message mentions (case-insensitive;
  ``get_weather`` also as ``get weather``) is called, once each, in the order they were
  offered; with ``toolChoice`` ``any`` and no tool mentioned, the first tool is called.
- The input has the schema's ``required`` properties (others are left out). A property
  ``name=value`` or ``name: value`` in the last user message gives its value (one of its
  ``enum`` if it has one); else an ``enum``'s first value; a string the longest word of five
  letters or more of the last user message but the tools' names (the first of equals;
  ``text`` if none), an integer or number the first number in it (else 1), a boolean
  ``true``, an array one item, an object its own required properties.

The checks (:func:`check_tool_turns`) follow Bedrock's recorded messages where known.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .schema import invalid

if TYPE_CHECKING:
    from .conversation import Conversation, Message, Tool

__all__ = ["calls", "check_tool_turns", "result_lead", "tool_input"]

_WORD = re.compile(r"[^\W\d_]{5,}")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_MODEL_ERROR = "The model returned the following errors: "


def check_tool_turns(conversation: Conversation) -> None:
    """Refuse tool blocks Bedrock refuses: no ``toolConfig``, unmatched uses and results.

    Raises:
        ServiceError: a ``ValidationException``; the unknown ``toolChoice`` tool's wording is
            the emulator's (no recording), the others Bedrock's or Anthropic's as reported.
    """
    messages = conversation.messages
    used = any(b.kind in ("tool_use", "tool_result") for m in messages for b in m.blocks)
    if used and not conversation.tools:
        raise invalid(
            "The toolConfig field must be defined when using toolUse and toolResult content blocks."
        )
    names = [t.name for t in conversation.tools]
    if conversation.tool_choice == "tool" and conversation.chosen_tool not in names:
        raise invalid(
            f"The tool {conversation.chosen_tool!r} named by toolConfig.toolChoice.tool is not "
            f"one of the tools in toolConfig.tools: {', '.join(names)}."
        )
    for m, message in enumerate(messages):  # results first: the stricter of the two
        _check_results(message, messages[m - 1] if m else None)
    for m, message in enumerate(messages):
        _check_uses(message, messages[m + 1] if m + 1 < len(messages) else None)


def _ids(message: Message | None, kind: str) -> list[str]:
    return [b.ident for b in message.blocks if b.kind == kind] if message else []


def _check_results(message: Message, previous: Message | None) -> None:
    results = [b for b in message.blocks if b.kind == "tool_result"]
    if not results:
        return
    uses = _ids(previous, "tool_use")
    if len(results) > len(uses):
        raise invalid(
            f"The number of toolResult blocks at messages.{message.index}.content exceeds the "
            "number of toolUse blocks of previous turn."
        )
    for block in results:
        if block.ident not in uses:
            raise invalid(
                f"{_MODEL_ERROR}{block.path}: unexpected `tool_use_id` found in `tool_result` "
                f"blocks: {block.ident}. Each `tool_result` block must have a corresponding "
                "`tool_use` block in the previous message."
            )


def _check_uses(message: Message, following: Message | None) -> None:
    uses = _ids(message, "tool_use")
    if not uses or following is None:
        return
    missing = [u for u in uses if u not in _ids(following, "tool_result")]
    if missing:
        raise invalid(
            f"{_MODEL_ERROR}messages.{message.index}: `tool_use` ids were found without "
            f"`tool_result` blocks immediately after: {', '.join(missing)}. Each `tool_use` "
            "block must have a corresponding `tool_result` block in the next message."
        )


def _mentioned(tool: Tool, text: str) -> bool:
    lowered = text.lower()
    name = tool.name.lower()
    return name in lowered or name.replace("_", " ") in lowered


def calls(conversation: Conversation) -> list[tuple[Tool, dict[str, Any]]]:
    """Return the tools the model calls and their inputs (see the module's rule)."""
    last = conversation.last_user
    if not conversation.tools or last is None or conversation.tool_choice == "none":
        return []
    if any(b.kind == "tool_result" for b in last.blocks):
        return []
    text = conversation.last_user_text
    tools = list(conversation.tools)
    if conversation.tool_choice == "tool":
        chosen = [t for t in tools if t.name == conversation.chosen_tool][:1]
    else:
        chosen = [t for t in tools if _mentioned(t, text)]
        if not chosen and conversation.tool_choice == "any":
            chosen = tools[:1]
    for tool in tools:  # their names give no input
        for name in (tool.name, tool.name.replace("_", " ")):
            text = re.sub(re.escape(name), " ", text, flags=re.IGNORECASE)
    return [(tool, tool_input(tool.schema, text)) for tool in chosen]


def _explicit(name: str, text: str) -> str | None:
    pattern = rf"\b{re.escape(name)}\s*[=:]\s*(\"[^\"]*\"|'[^']*'|[^\s,;]+)"
    found = re.search(pattern, text)
    return found.group(1).strip("\"'") if found else None


def _longest_word(text: str) -> str:
    words = _WORD.findall(text)
    return max(words, key=len) if words else "text"


def _number(raw: str | None, text: str, kind: str) -> int | float:
    found = raw if raw is not None and _NUMBER.fullmatch(raw) else None
    if found is None:
        match = _NUMBER.search(text)
        found = match.group(0) if match else "1"
    value = float(found)
    return int(value) if kind == "integer" else value


def _value(prop: Mapping[str, Any], name: str, text: str) -> Any:
    raw = _explicit(name, text)
    kind = prop.get("type", "string")
    if kind in ("integer", "number"):
        return _number(raw, text, str(kind))
    if kind == "boolean":
        return raw != "false"
    if kind == "array":
        return [_value(prop.get("items") or {}, name, text)]
    if kind == "object":
        return tool_input(prop, text)
    enum = prop.get("enum")
    if enum:
        return raw if raw in enum else enum[0]
    return raw if raw is not None else _longest_word(text)


def tool_input(schema: Mapping[str, Any], text: str) -> dict[str, Any]:
    """Build a tool's input from its JSON schema and the prompt's words (the module's rule)."""
    props = schema.get("properties") or {}
    required: Sequence[str] = schema.get("required") or ()
    return {name: _value(props.get(name) or {}, name, text) for name in required}


def result_lead(conversation: Conversation) -> str:
    """Return the answer's opening when the last user message carries tool results: each quoted."""
    last = conversation.last_user
    if last is None or len(conversation.messages) < 2:
        return ""
    names = {b.ident: b.name for b in conversation.messages[-2].blocks if b.kind == "tool_use"}
    lines = [
        f"The {names.get(b.ident, 'tool')} tool returned: {b.text}"
        for b in last.blocks
        if b.kind == "tool_result"
    ]
    return "\n".join(lines) + "\n\n" if lines else ""
