"""Cohere Command R on the emulator: ``text-generation`` events and a ``stream-end`` response.

Tools (``parameter_definitions``) are called in one ``tool-calls-generation`` event and the
response's ``tool_calls``; ``tool_results`` answer them (by name: Cohere's calls have no id).
``documents`` (``title``, ``snippet``; ids ``doc_0``, ``doc_1`` ...) are cited by the rule of
:mod:`..citations`: a ``citation-generation`` event after the cited opening, and the
response's ``citations`` (``start``, ``end``, ``text``: the cited span of the answer;
``document_ids``) and ``documents``, Cohere's v1 chat shapes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..conversation import Block, Conversation, Message, Tool
from ..schema import check_keys, number, stop_list
from .base import Chunk, EmulatedFamily, InvokeFields, Piece, Profile, StopNames, stop_name

if TYPE_CHECKING:
    from ..formats import Answer

STOPS: StopNames = ("COMPLETE", "MAX_TOKENS", "STOP_SEQUENCE")


def invoke_body(a: Answer) -> dict[str, Any]:
    """Build the chat response: text, ids, history with this turn, finish reason."""
    body = a.request.body
    history = [*(body.get("chat_history") or ())]
    history += [
        {"role": "USER", "message": body.get("message")},
        {"role": "CHATBOT", "message": a.generation.text},
    ]
    out = {
        "response_id": a.uuid("response"),
        "text": a.generation.text,
        "generation_id": a.uuid("gen"),
        "chat_history": history,
        "finish_reason": stop_name(STOPS, a.generation),
    }
    if a.turn.calls:  # Cohere's calls have no ids; a turn that calls tools is COMPLETE
        out["tool_calls"] = _tool_calls(a)
        out["finish_reason"] = STOPS[0]
    if a.turn.cited is not None:
        out["citations"] = _citations(a)
        documents = body.get("documents") or ()
        out["documents"] = [{"id": _doc_id(documents, i), **d} for i, d in enumerate(documents)]
    return out


def _citations(a: Answer) -> list[dict[str, Any]]:
    """Cohere's ``citations``: the cited span of the answer and the document's id."""
    cited = a.turn.cited
    assert cited is not None
    end = len(cited.lead)
    span = {"start": end - len(cited.quote), "end": end, "text": cited.quote}
    documents = a.request.body.get("documents") or ()
    return [{**span, "document_ids": [_doc_id(documents, cited.document_index)]}]


def _doc_id(documents: Sequence[Mapping[str, Any]], index: int) -> str:
    """Return a document's ``id``: its own, else ``doc_<index>``."""
    return str(documents[index].get("id") or f"doc_{index}")


def _tool_calls(a: Answer) -> list[dict[str, Any]]:
    return [{"name": call.name, "parameters": call.input} for call in a.turn.calls]


def invoke_chunks(a: Answer, pieces: Sequence[Piece]) -> list[Chunk]:
    """Build ``text-generation`` chunks, then ``stream-end`` with the response and its meta."""
    out = []
    split = len(a.turn.cited.lead_tokens) if a.turn.cited else 0
    for t, s, e in pieces:
        out.append(Chunk({"is_finished": False, "event_type": "text-generation", "text": t}, s, e))
        if split and s < split <= e:  # after the cited opening
            cited = {"is_finished": False, "event_type": "citation-generation"}
            out.append(Chunk({**cited, "citations": _citations(a)}, kind="citation"))
    if a.turn.calls:  # one event with every call, whole
        calls = {"is_finished": False, "event_type": "tool-calls-generation", "text": ""}
        size = sum(len(c.tokens) for c in a.turn.calls)
        out.append(Chunk({**calls, "tool_calls": _tool_calls(a)}, 0, size, "tool-input"))
    response = invoke_body(a)
    tokens = {"input_tokens": a.input_tokens, "output_tokens": a.output_tokens}
    response["meta"] = {"api_version": {"version": "1"}, "billed_units": tokens, "tokens": tokens}
    end = {
        "is_finished": True,
        "event_type": "stream-end",
        "response": response,
        "finish_reason": response["finish_reason"],
    }
    return [*out, Chunk(end)]


_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "dict": "object"}
"""Cohere's parameter types (Python's names) in JSON schema's words; ``list...``: array."""


def _tool(raw: Mapping[str, Any]) -> Tool:
    definitions = raw.get("parameter_definitions") or {}
    properties = {
        name: {
            "type": "array"
            if str(d.get("type")).lower().startswith("list")
            else _TYPES.get(str(d.get("type")), "string")
        }
        for name, d in definitions.items()
    }
    required = [name for name, d in definitions.items() if d.get("required")]
    schema = {"type": "object", "properties": properties, "required": required}
    return Tool(str(raw["name"]), schema, str(raw.get("description", "")))


def _documents(body: Mapping[str, Any]) -> tuple[Block, ...]:
    """Return ``documents`` as cited document blocks (Cohere cites every document given)."""
    return tuple(
        Block(
            "document",
            text=str(d.get("snippet") or d.get("text") or ""),
            name=str(d.get("title") or f"doc_{i}"),
            cited=True,
        )
        for i, d in enumerate(body.get("documents") or ())
    )


def _conversation(body: Mapping[str, Any]) -> Conversation:
    """Return the tools and, after ``tool_results``, a turn of calls and one of their results."""
    ask = Message("user", (*_documents(body), Block("text", text=str(body["message"]))))
    results = body.get("tool_results") or ()
    uses = [
        Block("tool_use", ident=f"call{i}", name=str(r["call"]["name"]))
        for i, r in enumerate(results)
    ]
    outputs = [
        Block(
            "tool_result",
            ident=f"call{i}",
            text=json.dumps(r.get("outputs"), separators=(",", ":")),
        )
        for i, r in enumerate(results)
    ]
    turns = (ask, Message("assistant", tuple(uses), 1), Message("user", tuple(outputs), 2))
    tools = tuple(_tool(t) for t in body.get("tools") or ())
    return Conversation(messages=turns if results else (ask,), tools=tools)


def validate(model_id: str, body: Mapping[str, Any]) -> InvokeFields:
    """Validate a chat ``message`` body; the prompt is preamble, history and message."""
    check_keys(body, "#", ("message",), None)
    history = [
        h.get("message", "") for h in body.get("chat_history") or () if isinstance(h, Mapping)
    ]
    prompt = "\n".join([str(body.get("preamble") or ""), *map(str, history), str(body["message"])])
    limit = number(body, "max_tokens", "#", 4000)
    stops = stop_list(body.get("stop_sequences"), "#/stop_sequences")
    return InvokeFields(prompt, limit, stops, "", _conversation(body))


# Medians of the recordings' firstByteLatency and (outputTokens - 1) /
# (invocationLatency - firstByteLatency); see tests/data/bedrock-recordings.
PROFILE = Profile(first_token_ms=95, tokens_per_second=85.0, tokens_per_chunk=1)

FAMILY = EmulatedFamily(
    invoke_chunks=invoke_chunks,
    invoke_body=invoke_body,
    validate=validate,
    profile=PROFILE,
)
