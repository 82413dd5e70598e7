"""A Converse-shaped body read into a :class:`~.conversation.Conversation` (no I/O).

Converse and ConverseStream bodies, and Amazon Nova's invoke body (the same blocks), carry
``toolConfig``, content blocks (``toolUse``, ``toolResult``, ``reasoningContent``,
``document``, ``cachePoint``), ``additionalModelRequestFields``, ``guardrailConfig``,
``serviceTier`` and ``performanceConfig``; this module reads them, and the rules in
:mod:`.tools` and :mod:`.reasoning` check them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from .conversation import (
    Block,
    Conversation,
    GuardrailConfig,
    Message,
    Tool,
    converse_options,
    enum_value,
)
from .schema import invalid

__all__ = ["check_schema", "converse_conversation", "converse_messages"]


def _tool_result_text(content: Any) -> str:
    parts = []
    for item in content or ():
        if isinstance(item, Mapping) and "text" in item:
            parts.append(str(item["text"]))
        elif isinstance(item, Mapping) and "json" in item:
            parts.append(json.dumps(item["json"], separators=(",", ":"), sort_keys=True))
    return " ".join(parts)


def _document_text(source: Mapping[str, Any]) -> str:
    if "text" in source:
        return str(source["text"])
    if "content" in source:
        return "".join(str(c.get("text", "")) for c in source["content"])
    raw = source.get("bytes")
    if isinstance(raw, str):  # base64 on the wire
        return base64.b64decode(raw).decode("utf-8", "replace")
    return ""


def _block(raw: Mapping[str, Any], path: str) -> Block | None:
    """Return the neutral block of ``raw``; None for one the conversation rules skip.

    A server tool's use and result (``type`` set, e.g. ``server_tool_use`` and
    ``nova_code_interpreter_result``, both in the assistant turn) are what Bedrock ran: no
    caller tool turn to match, as Bedrock takes them back in a history.
    """
    for member in ("toolUse", "toolResult"):
        if isinstance(raw.get(member), Mapping) and raw[member].get("type"):
            return None
    if "text" in raw:
        return Block("text", text=str(raw["text"]), path=path)
    if "toolUse" in raw:
        use = raw["toolUse"]
        return Block("tool_use", ident=str(use["toolUseId"]), name=str(use["name"]), path=path)
    if "toolResult" in raw:
        result = raw["toolResult"]
        text = _tool_result_text(result.get("content"))
        return Block("tool_result", text=text, ident=str(result["toolUseId"]), path=path)
    if "reasoningContent" in raw:
        content = raw["reasoningContent"]
        if "redactedContent" in content:
            return Block("redacted", signature=str(content["redactedContent"]), path=path)
        reasoning = content.get("reasoningText") or {}
        return Block(
            "reasoning",
            text=str(reasoning.get("text", "")),
            signature=str(reasoning.get("signature", "")),
            path=path,
        )
    if "document" in raw:
        doc = raw["document"]
        cited = bool((doc.get("citations") or {}).get("enabled"))
        text = _document_text(doc.get("source") or {})
        return Block("document", text=text, name=str(doc.get("name", "")), cited=cited)
    if "cachePoint" in raw:
        return Block("cache_point", ttl=str(raw["cachePoint"].get("ttl") or "5m"), path=path)
    return None


def converse_messages(messages: Sequence[Mapping[str, Any]]) -> tuple[Message, ...]:
    """Read Converse messages into neutral :class:`~.conversation.Message` s."""
    out = []
    for m, message in enumerate(messages):
        blocks = []
        for b, raw in enumerate(message.get("content") or ()):
            if isinstance(raw, Mapping):
                block = _block(raw, f"messages.{m}.content.{b}")
                if block is not None:
                    blocks.append(block)
        out.append(Message(str(message.get("role")), tuple(blocks), m))
    return tuple(out)


def _tools(config: Mapping[str, Any]) -> tuple[tuple[Tool, ...], str, str | None]:
    tools: list[Tool] = []
    for t, entry in enumerate(config.get("tools") or ()):
        if "cachePoint" in entry and tools:
            ttl = str(entry["cachePoint"].get("ttl") or "5m")
            last = tools[-1]
            tools[-1] = replace(last, cache_ttl=ttl)
            continue
        spec = entry.get("toolSpec")
        if spec is None:
            continue
        schema = (spec.get("inputSchema") or {}).get("json")
        path = f"toolConfig.tools.{t}.toolSpec.inputSchema"
        if not isinstance(schema, Mapping):
            raise invalid(
                f"The format of the value at {path}.json is invalid. "
                "Provide a json object for the field and try again."
            )
        tool = Tool(str(spec["name"]), schema, str(spec.get("description", "")))
        tools.append(tool)
        check_schema(tool, path, f"{path}.json")
    choice = config.get("toolChoice") or {"auto": {}}
    kind = next(iter(choice), "auto")
    chosen = str(choice["tool"]["name"]) if kind == "tool" else None
    return tuple(tools), str(kind), chosen


def check_schema(tool: Tool, path: str, json_path: str) -> None:
    """Refuse a tool input schema as Bedrock does (the recorded messages).

    ``path`` names the schema's field, ``json_path`` the schema itself.
    """
    if tool.schema.get("type") != "object":
        raise invalid(f"The value at {json_path}.type must be one of the following: object.")
    for key in ("properties", "required"):
        if key in tool.schema:
            value = tool.schema[key]
            expected = (Mapping, "object") if key == "properties" else (list, "array")
            if not isinstance(value, expected[0]):
                found = "null" if value is None else type(value).__name__
                raise invalid(
                    f"The json schema definition at {path} is invalid. Fix the following "
                    f"errors and try again: $.{key}: {found} found, {expected[1]} expected"
                )


def _guardrail(body: Mapping[str, Any]) -> GuardrailConfig | None:
    config = body.get("guardrailConfig")
    if not config:
        return None
    trace = enum_value(
        config.get("trace"), "guardrailConfig.trace", ("enabled", "disabled", "enabled_full")
    )
    mode = enum_value(
        config.get("streamProcessingMode"),
        "guardrailConfig.streamProcessingMode",
        ("sync", "async"),
    )
    return GuardrailConfig(
        str(config.get("guardrailIdentifier", "")),
        str(config.get("guardrailVersion", "")),
        trace or "disabled",
        mode or "sync",
    )


def converse_conversation(body: Mapping[str, Any], *, reasoning: bool) -> Conversation:
    """Read a Converse-shaped body (``reasoning``: whether it switched reasoning on)."""
    system = tuple(
        b
        for i, raw in enumerate(body.get("system") or ())
        if (b := _block(raw, f"system.{i}")) is not None
    )
    tools, choice, chosen = _tools(body.get("toolConfig") or {})
    tier, latency = converse_options(body)
    return Conversation(
        messages=converse_messages(body.get("messages") or ()),
        system=system,
        tools=tools,
        tool_choice=choice,
        chosen_tool=chosen,
        reasoning=reasoning,
        service_tier=tier,
        latency=latency,
        guardrail=_guardrail(body),
    )
