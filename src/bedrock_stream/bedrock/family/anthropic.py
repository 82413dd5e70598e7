"""Anthropic Claude: the Messages API, and the legacy text completions of Claude v2.

Blocks keep Anthropic's ``index``. A block's start is :class:`~..events.BlockStart`
(``text``, ``thinking`` as ``reasoning``, ``redacted_thinking`` as ``redacted_reasoning``),
:class:`~..events.ToolUseStart` (``tool_use``, and ``server_tool_use``, a tool Bedrock runs,
such as the tool search tool) or :class:`~..events.ToolResultStart` (a server tool's result
block, ``*_tool_result``, its ``content`` as one ``{"json": ...}`` block). Deltas: text,
``input_json_delta``, ``thinking_delta``, ``signature_delta`` and ``citations_delta`` (a
:class:`~..events.Citation`). A buffered body gives the same events as its stream would,
each tool's ``input`` as one :class:`~..events.ToolInputDelta`.

Dropped: ``ping``, and ``message_stop`` (Bedrock's invocation metrics in it are read for
every family). The usage in ``message_start`` and ``message_delta`` is left to Bedrock's
metrics. Any other event type, block type or delta type comes as ``RawEvent("chunk", ...)``
(in a body, an unknown block as ``RawEvent("content", block)``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..events import (
    BlockStart,
    BlockStop,
    Citation,
    Event,
    MessageStart,
    RawEvent,
    ReasoningDelta,
    TextDelta,
    ToolInputDelta,
    ToolResultDelta,
    ToolResultStart,
    ToolUseStart,
)
from ..invoke_views import b64, result_text, unsupported
from ..request_blocks import block_kind
from ..request_options import reasoning_setting
from .base import FamilyCodec, InvokeRequest, put, stop

if TYPE_CHECKING:
    from ..request_options import Reasoning, ToolChoice

__all__ = ["CODEC"]


_MEDIA = {"pdf": "application/pdf"}


def _cached(r: InvokeRequest, out: list[dict[str, Any]], point: Mapping[str, Any]) -> None:
    """Mark the block before a Converse cache point with ``cache_control``."""
    if not out:
        raise unsupported(r, "a cache point before any block")
    control = {"type": "ephemeral"}
    put(control, ttl=point.get("ttl"))
    out[-1]["cache_control"] = control


def _source(r: InvokeRequest, kind: str, value: Mapping[str, Any]) -> dict[str, Any]:
    source = value["source"]
    if "bytes" in source and kind == "image":
        media = f"image/{value['format']}"
        return {"type": "base64", "media_type": media, "data": b64(source["bytes"])}
    if "bytes" in source and value["format"] in _MEDIA:
        return {
            "type": "base64",
            "media_type": _MEDIA[value["format"]],
            "data": b64(source["bytes"]),
        }
    if "text" in source:
        return {"type": "text", "media_type": "text/plain", "data": source["text"]}
    raise unsupported(r, f"{kind} blocks of format {value['format']!r} from {sorted(source)}")


def _result_content(r: InvokeRequest, blocks: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for block in blocks:
        if block_kind(block) == "image":
            out.append({"type": "image", "source": _source(r, "image", block["image"])})
        else:
            out.append({"type": "text", "text": result_text(r, block)})
    return out


def _redacted(r: InvokeRequest, data: bytes | str) -> str:
    """Return redacted thinking's ``data``: the parser keeps it as its UTF-8 bytes."""
    try:
        return data.decode() if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise unsupported(r, "redacted reasoning that is not the text Anthropic sent") from None


def _request_block(r: InvokeRequest, kind: str, value: Any) -> dict[str, Any]:
    """Return the Messages API block of one Converse block (not a cache point)."""
    if kind == "text":
        return {"type": "text", "text": value}
    if kind == "image":
        return {"type": "image", "source": _source(r, kind, value)}
    if kind == "document":
        block = {"type": "document", "source": _source(r, kind, value), "title": value["name"]}
        put(block, context=value.get("context"), citations=value.get("citations"))
        return block
    if kind == "toolUse":
        # A server tool's use keeps its type (``server_tool_use``), as Anthropic sent it.
        use = {"type": value.get("type") or "tool_use", "id": value["toolUseId"]}
        return use | {"name": value["name"], "input": value["input"]}
    if kind == "toolResult" and value.get("type"):
        return _server_tool_result(r, value)
    if kind == "toolResult":
        content = _result_content(r, value["content"])
        block = {"type": "tool_result", "tool_use_id": value["toolUseId"], "content": content}
        if value.get("status") == "error":
            block["is_error"] = True
        return block
    if kind == "reasoningContent" and "reasoningText" in value:
        thinking = {"type": "thinking", "thinking": value["reasoningText"]["text"]}
        put(thinking, signature=value["reasoningText"].get("signature"))
        return thinking
    if kind == "reasoningContent" and "redactedContent" in value:
        return {"type": "redacted_thinking", "data": _redacted(r, value["redactedContent"])}
    raise unsupported(r, f"{kind} blocks")


def _server_tool_result(r: InvokeRequest, value: Mapping[str, Any]) -> dict[str, Any]:
    """Return a server tool's result block (``web_fetch_tool_result`` ...) as it was sent.

    The parser keeps its ``content`` as one ``{"json": ...}`` piece; anything else is not
    a block Anthropic sent.
    """
    pieces = value["content"]
    if len(pieces) != 1 or set(pieces[0]) != {"json"}:
        raise unsupported(r, f"{value['type']} blocks other than the one Anthropic sent")
    return {"type": value["type"], "tool_use_id": value["toolUseId"], "content": pieces[0]["json"]}


def _blocks(r: InvokeRequest, blocks: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for block in blocks:
        kind = block_kind(block)
        if kind == "cachePoint":
            _cached(r, out, block[kind])
        else:
            out.append(_request_block(r, kind, block[kind]))
    return out


def _tools(r: InvokeRequest) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for entry in r.tools:
        kind = block_kind(entry)
        if kind == "cachePoint":
            _cached(r, out, entry[kind])
            continue
        spec = entry[kind]
        if kind != "toolSpec" or "strict" in spec:
            raise unsupported(r, f"{kind} tools" if kind != "toolSpec" else "strict tools")
        tool = {"name": spec["name"], "input_schema": spec["inputSchema"]["json"]}
        put(tool, description=spec.get("description"))
        out.append(tool)
    return out


def _tool_choice(choice: ToolChoice) -> dict[str, Any]:
    if choice == "auto" or choice == "any":
        return {"type": choice}
    return {"type": "tool", "name": choice["name"]}


def build_body(r: InvokeRequest) -> dict[str, Any]:
    """Build a Messages API body: content blocks, tools, thinking and ``cache_control``."""
    body: dict[str, Any] = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": r.max_tokens,
        "messages": [{"role": m["role"], "content": _blocks(r, m["content"])} for m in r.messages],
    }
    if len(r.system) == 1 and block_kind(r.system[0]) == "text":
        body["system"] = r.system[0]["text"]
    elif r.system:
        body["system"] = _blocks(r, r.system)
    put(body, temperature=r.temperature, top_p=r.top_p, stop_sequences=r.stop_sequences)
    if r.tools:
        body["tools"] = _tools(r)
    if r.tool_choice is not None:
        body["tool_choice"] = _tool_choice(r.tool_choice)
    body.update(r.reasoning)
    return body


_BLOCK_KINDS = {"text": "text", "thinking": "reasoning", "redacted_thinking": "redacted_reasoning"}
_TOOL_USES = frozenset({"tool_use", "server_tool_use"})
_DROPPED = frozenset({"ping", "message_stop"})


def _citation(index: int, cited: Mapping[str, Any]) -> Citation:
    """Return the citation of any location type (character, page, block, web or search result)."""
    return Citation(
        index=index,
        title=cited.get("document_title") or cited.get("title"),
        source=cited.get("url") or cited.get("source"),
        text=str(cited.get("cited_text") or ""),
        location=cited,
    )


def _block(index: int, block: Mapping[str, Any], whole: bool) -> list[Event] | None:
    """Return the events of a block's start, with what it already holds; None: an unknown type.

    ``whole``: the block of a body, whose tool input is complete (a stream's comes in deltas).
    """
    kind = block.get("type")
    out: list[Event]
    if kind in _TOOL_USES:
        server = "server_tool_use" if kind == "server_tool_use" else None
        out = [ToolUseStart(str(block.get("id")), str(block.get("name")), index, server)]
        if whole:
            out.append(ToolInputDelta(json.dumps(block.get("input") or {}), index))
        return out
    if isinstance(kind, str) and kind.endswith("_tool_result"):
        out = [ToolResultStart(str(block.get("tool_use_id")), index, kind)]
        if block.get("content") is not None:
            out.append(ToolResultDelta(({"json": block["content"]},), index))
        return out
    if kind not in _BLOCK_KINDS:
        return None
    out = [BlockStart(index, _BLOCK_KINDS[kind], block)]
    if block.get("text"):
        out.append(TextDelta(str(block["text"]), index))
    out += [_citation(index, cited) for cited in block.get("citations") or ()]
    if block.get("thinking"):
        out.append(ReasoningDelta(text=str(block["thinking"]), index=index))
    if block.get("signature"):
        out.append(ReasoningDelta(signature=str(block["signature"]), index=index))
    if kind == "redacted_thinking":
        out.append(ReasoningDelta(redacted=str(block.get("data") or "").encode(), index=index))
    return out


def _delta(index: int, delta: Mapping[str, Any]) -> list[Event] | None:
    """Return the events of a block's delta; None: an unknown type."""
    dtype = delta.get("type")
    if dtype == "text_delta":
        return [TextDelta(str(delta["text"]), index)] if delta.get("text") else []
    if dtype == "input_json_delta":
        return [ToolInputDelta(str(delta.get("partial_json") or ""), index)]
    if dtype == "thinking_delta":
        return [ReasoningDelta(text=str(delta.get("thinking") or ""), index=index)]
    if dtype == "signature_delta":
        return [ReasoningDelta(signature=str(delta.get("signature")), index=index)]
    if dtype == "citations_delta":
        return [_citation(index, delta.get("citation") or {})]
    return None


def reasoning_fields(reasoning: Reasoning, family: str) -> dict[str, Any]:
    """Return ``thinking`` with the budget: Anthropic reasons by a token budget only."""
    budget = reasoning_setting(reasoning, family, "budget_tokens", "thinking budget")
    return {"thinking": {"type": "enabled", "budget_tokens": budget}}


def parse_chunk(chunk: Mapping[str, Any]) -> list[Event]:
    """Return the events of a Messages stream event, or of a legacy completion chunk."""
    kind = chunk.get("type")
    if kind is None and "completion" in chunk:  # legacy text completions
        out: list[Event] = []
        if chunk["completion"]:
            out.append(TextDelta(str(chunk["completion"])))
        if chunk.get("stop_reason") is not None:
            out.append(stop(chunk["stop_reason"]))
        return out
    found: list[Event] | None = None
    if kind == "content_block_delta":
        found = _delta(int(chunk.get("index") or 0), chunk.get("delta") or {})
    elif kind == "content_block_start":
        found = _block(int(chunk.get("index") or 0), chunk.get("content_block") or {}, False)
    elif kind == "content_block_stop":
        found = [BlockStop(int(chunk.get("index") or 0))]
    elif kind == "message_start":
        found = [MessageStart(str((chunk.get("message") or {}).get("role") or "assistant"))]
    elif kind == "message_delta":
        raw = (chunk.get("delta") or {}).get("stop_reason")
        found = [stop(raw)] if raw is not None else []
    elif kind in _DROPPED:
        found = []
    return [RawEvent("chunk", chunk)] if found is None else found


def parse_body(body: Mapping[str, Any]) -> list[Event] | None:
    """Return the events of a Messages body; None for a legacy completion (a chunk's shape)."""
    if "content" not in body:
        return None
    out: list[Event] = [MessageStart(str(body.get("role") or "assistant"))]
    for index, block in enumerate(body.get("content") or ()):
        found = _block(index, block, True)
        if found is None:
            out.append(RawEvent("content", block))
            continue
        out += found
        out.append(BlockStop(index))
    out.append(stop(body.get("stop_reason")))
    return out


CODEC = FamilyCodec(
    prefixes=("anthropic.",),
    build_body=build_body,
    new_stream=lambda: parse_chunk,
    parse_body=parse_body,
    reasoning_fields=reasoning_fields,
)
