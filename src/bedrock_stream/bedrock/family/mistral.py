"""Mistral: text completions (``outputs``) and chat (``choices``).

The body is the text-completion one (``prompt`` in Mistral's instruction template) unless the
model takes chat only (Mistral Large 2 (24.07), Pixtral Large (25.02): AWS documents only the
chat API for them) or the request has tools, a tool choice or tool use or result blocks: then
it is the chat body of
AWS's Mistral AI chat completion page (``messages`` with ``system``, ``user``, ``assistant``
with ``tool_calls`` and ``tool`` roles, ``tools``, ``tool_choice`` ``auto`` or ``any``).
Chat choices (text and ``tool_calls``, each call whole in one chunk) are parsed as
:mod:`.chat_completions` parses them; text completions carry text alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..events import Event, TextDelta
from ..invoke_views import text_only, unsupported
from ..request_blocks import block_kind
from .base import ChunkFn, FamilyCodec, InvokeRequest, as_chunk, put, stop, text_prompt
from .chat_completions import ChatReply
from .chat_request import chat_messages, chat_tools

__all__ = ["CODEC"]

_TOOL_BLOCKS = frozenset({"toolUse", "toolResult"})
_CHAT_MODELS = re.compile(r"(?:^|[./])mistral\.(?:mistral-large-2407|pixtral-large)")
"""The models AWS documents the chat API alone for (in a base id, profile id or ARN)."""


def _chat(r: InvokeRequest) -> bool:
    """Whether the request needs the chat body: a chat model, tools, a tool choice, tool turns."""
    if _CHAT_MODELS.search(r.model_id):
        return True
    blocks = (block_kind(b) for m in r.messages for b in m["content"])
    return bool(r.tools) or r.tool_choice is not None or any(k in _TOOL_BLOCKS for k in blocks)


def _chat_body(r: InvokeRequest) -> dict[str, Any]:
    body: dict[str, Any] = {"messages": chat_messages(r), "max_tokens": r.max_tokens}
    put(body, temperature=r.temperature, top_p=r.top_p, stop=r.stop_sequences)
    if r.tools:
        body["tools"] = chat_tools(r)
    if r.tool_choice in ("auto", "any"):
        body["tool_choice"] = r.tool_choice
    elif r.tool_choice is not None:  # AWS's page: "auto", "any" or "none"
        raise unsupported(r, "a named tool_choice")
    return body


def build_body(r: InvokeRequest) -> dict[str, Any]:
    """Build the chat body for tools and tool turns, else a text completion body."""
    if _chat(r):
        return _chat_body(r)
    body = {
        "prompt": f"<s>[INST] {text_prompt(*text_only(r))} [/INST]",
        "max_tokens": r.max_tokens,
    }
    put(body, temperature=r.temperature, top_p=r.top_p, stop=r.stop_sequences)
    return body


class _Stream:
    """One stream (or body) of either API; chat blocks are numbered across its chunks."""

    __slots__ = ("_reply",)

    def __init__(self) -> None:
        self._reply = ChatReply()

    def feed(self, chunk: Mapping[str, Any]) -> list[Event]:
        out: list[Event] = []
        for output in chunk.get("outputs") or ():  # text completions
            if output.get("text"):
                out.append(TextDelta(str(output["text"])))
            if output.get("stop_reason") is not None:
                out.append(stop(output["stop_reason"]))
        for choice in chunk.get("choices") or ():  # chat
            out += self._reply.choice(choice)
        return out


def new_stream() -> ChunkFn:
    """Return the chunk parser of a new stream (its body is parsed as one chunk too)."""
    return _Stream().feed


CODEC = FamilyCodec(
    prefixes=("mistral.",),
    build_body=build_body,
    new_stream=new_stream,
    parse_body=as_chunk,
)
