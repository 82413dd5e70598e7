"""Mistral: text completions (``outputs``) and chat (``choices``).

Chat choices (text and ``tool_calls``, each call whole in one chunk) are parsed as
:mod:`.chat_completions` parses them; text completions carry text alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..events import Event, TextDelta
from ..invoke_views import text_only
from .base import ChunkFn, FamilyCodec, InvokeRequest, as_chunk, put, stop, text_prompt
from .chat_completions import ChatReply

__all__ = ["CODEC"]


def build_body(r: InvokeRequest) -> dict[str, Any]:
    """Build a text-completion body in Mistral's instruction template."""
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
