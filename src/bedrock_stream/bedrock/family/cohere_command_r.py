"""Cohere Command R (the chat API): ``text-generation`` events, then ``stream-end``.

Stream events by ``event_type``: ``stream-start`` (the reply begins), ``text-generation``,
``citation-generation`` (each citation of the text, as sent: Cohere's ``text`` is the
answer's cited span, ``document_ids`` its sources), ``tool-calls-generation`` (every tool
call, whole, and the text before them: the answer's text, unless ``text-generation`` sent
it already) and ``stream-end`` (the finish reason). Blocks are numbered as :mod:`.blocks`
says: text first, then each tool call. Cohere's tool calls carry no id, so
``ToolUseStart.id`` is empty; their ``parameters`` object is the call's input JSON.

Dropped: ``tool-calls-chunk`` (pieces of the calls that ``tool-calls-generation`` repeats
whole). ``search-queries-generation``, ``search-results`` and any other event type come as
``RawEvent("chunk", ...)``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..events import (
    Citation,
    Event,
    MessageStart,
    RawEvent,
    TextDelta,
    ToolInputDelta,
    ToolUseStart,
)
from ..invoke_views import result_text, text_only, unsupported
from ..request_blocks import block_kind
from .base import ChunkFn, FamilyCodec, InvokeRequest, put, stop
from .blocks import Blocks

__all__ = ["CODEC"]


# JSON schema types as Command R's parameter_definitions name them (Python's type names).
_TYPES = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "array": "list",
    "object": "dict",
}


def _tool(r: InvokeRequest, entry: Mapping[str, Any]) -> dict[str, Any]:
    """Return a tool with ``parameter_definitions``: the top-level properties of its schema."""
    kind = block_kind(entry)
    if kind != "toolSpec":
        raise unsupported(r, f"{kind} entries in tools")
    spec = entry[kind]
    schema = spec["inputSchema"]["json"]
    required = set(schema.get("required") or ())
    parameters: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        native = _TYPES.get(prop.get("type"))
        if native is None:
            raise unsupported(r, f"the JSON type {prop.get('type')!r} of tool parameter {name!r}")
        parameters[name] = {"type": native, "required": name in required}
        put(parameters[name], description=prop.get("description"))
    tool = {"name": spec["name"], "parameter_definitions": parameters}
    put(tool, description=spec.get("description"))
    return tool


def _output(r: InvokeRequest, block: Mapping[str, Any]) -> dict[str, Any]:
    if block_kind(block) == "json" and isinstance(block["json"], Mapping):
        return dict(block["json"])
    return {"text": result_text(r, block)}


def _without(message: Mapping[str, Any], kind: str) -> dict[str, Any]:
    blocks = [b for b in message["content"] if block_kind(b) != kind]
    return {"role": message["role"], "content": blocks}


def _tool_results(r: InvokeRequest) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split the last turn's tool results off, each with the call it answers (the turn before)."""
    *earlier, last = r.messages
    results = [b["toolResult"] for b in last["content"] if block_kind(b) == "toolResult"]
    if not results:
        return r.messages, []
    calls = {
        b["toolUse"]["toolUseId"]: b["toolUse"]
        for b in (earlier[-1]["content"] if earlier else ())
        if block_kind(b) == "toolUse"
    }
    out = []
    for result in results:
        call = calls.get(result["toolUseId"])
        if call is None:
            raise unsupported(r, "a tool result whose call is not in the turn before it")
        outputs = [_output(r, part) for part in result["content"]]
        out.append(
            {"call": {"name": call["name"], "parameters": call["input"]}, "outputs": outputs}
        )
    history = [*earlier[:-1], _without(earlier[-1], "toolUse"), _without(last, "toolResult")]
    return history, out


_TEXT_FORMATS = frozenset({"txt", "md", "html", "csv"})


def _documents(r: InvokeRequest) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Take the document blocks out of the messages, as Cohere's ``documents``.

    A document is ``{"title": name, "snippet": text}``: its text, or its bytes as UTF-8 text
    for the text formats. Command R cites the documents it is given.
    """
    documents: list[dict[str, Any]] = []
    messages = []
    for message in r.messages:
        for block in message["content"]:
            if block_kind(block) == "document":
                documents.append(_document(r, block["document"]))
        messages.append(_without(message, "document"))
    return messages, documents


def _document(r: InvokeRequest, document: Mapping[str, Any]) -> dict[str, Any]:
    source = document["source"]
    if "text" in source:
        text = str(source["text"])
    elif "bytes" in source and document["format"] in _TEXT_FORMATS:
        raw = source["bytes"]
        text = raw if isinstance(raw, str) else bytes(raw).decode("utf-8", "replace")
    else:
        raise unsupported(r, f"document blocks of format {document['format']!r}")
    return {"title": str(document["name"]), "snippet": text}


def build_body(r: InvokeRequest) -> dict[str, Any]:
    """Build a chat body: the last turn is ``message``, the earlier ones ``chat_history``.

    Tools are ``tools``; the last turn's tool results are ``tool_results``, with the calls of
    the turn before; documents are ``documents``. The format has no tool choice, and no tool
    calls deeper in the history.
    """
    if r.tool_choice is not None:
        raise unsupported(r, "tool_choice")
    stripped, documents = _documents(r)
    messages, results = _tool_results(replace(r, messages=stripped))
    system, turns = text_only(replace(r, messages=messages, tools=[]))
    history = [
        {"role": "USER" if role == "user" else "CHATBOT", "message": text}
        for role, text in turns[:-1]
    ]
    body: dict[str, Any] = {"message": turns[-1][1], "max_tokens": r.max_tokens}
    put(body, chat_history=history, preamble=system, temperature=r.temperature, p=r.top_p)
    put(body, stop_sequences=r.stop_sequences, tool_results=results, documents=documents)
    put(body, tools=[_tool(r, entry) for entry in r.tools])
    return body


class _Reply:
    """One reply, streamed or whole: its blocks numbered across events."""

    __slots__ = ("_blocks", "_texted")

    def __init__(self) -> None:
        self._blocks = Blocks()
        self._texted = False

    def feed(self, chunk: Mapping[str, Any]) -> list[Event]:
        """Return the events of one stream event."""
        kind = chunk.get("event_type")
        if kind in ("text-generation", "citation-generation", "tool-calls-generation"):
            return self._content(chunk)
        if kind == "stream-start":
            return [MessageStart()]
        if kind == "stream-end":
            return [*self._blocks.stop_all(), stop(chunk.get("finish_reason"))]
        if kind == "tool-calls-chunk":
            return []
        return [RawEvent("chunk", chunk)]

    def body(self, body: Mapping[str, Any]) -> list[Event]:
        """Return the events of a whole chat body."""
        content = self._content(body)
        return [MessageStart(), *content, *self._blocks.stop_all(), stop(body.get("finish_reason"))]

    def _content(self, fields: Mapping[str, Any]) -> list[Event]:
        out: list[Event] = []
        plan = fields.get("event_type") == "tool-calls-generation"
        if fields.get("text") and not (plan and self._texted):
            self._texted = True
            out.append(TextDelta(str(fields["text"]), self._blocks.index("text")))
        for cited in fields.get("citations") or ():
            out.append(Citation(self._blocks.index("text"), location=cited))
        for position, call in enumerate(fields.get("tool_calls") or ()):
            index = self._blocks.index(("tool", position))
            out.append(ToolUseStart("", str(call.get("name")), index))
            out.append(ToolInputDelta(json.dumps(call.get("parameters") or {}), index))
        return out


def new_stream() -> ChunkFn:
    """Return the chunk parser of a new stream."""
    return _Reply().feed


def parse_body(body: Mapping[str, Any]) -> list[Event]:
    """Return the events of a chat body (text, citations, tool calls, finish reason)."""
    return _Reply().body(body)


CODEC = FamilyCodec(
    prefixes=("cohere.command-r",),
    build_body=build_body,
    new_stream=new_stream,
    parse_body=parse_body,
)
