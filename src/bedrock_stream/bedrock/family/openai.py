"""OpenAI-style chat completions: gpt-oss, Qwen and Writer on Bedrock (AI21 Jamba too).

The choices (text, ``reasoning_content``/``reasoning``, ``tool_calls``) are
:mod:`.chat_completions`'; this module adds the chunks' own ``usage``. Writer's last chunk,
``"[DONE]"``, is no object and gives nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..events import Event, Usage
from .base import ChunkFn, FamilyCodec, InvokeRequest, put
from .chat_completions import ChatReply

__all__ = ["CODEC"]

_ABSENT = object()


def build_body(r: InvokeRequest) -> dict[str, Any]:
    """Build a chat completions body; the system prompt is the first message."""
    chat = ([{"role": "system", "content": r.system}] if r.system else []) + [
        {"role": role, "content": text} for role, text in r.turns
    ]
    body = {"messages": chat, "max_tokens": r.max_tokens}
    put(body, temperature=r.temperature, top_p=r.top_p, stop=r.stop_sequences)
    return body


class _Stream:
    """One stream: the chunks' own ``usage`` counts only until Bedrock's metrics came."""

    __slots__ = ("_reply", "_saw_metrics")

    def __init__(self) -> None:
        self._saw_metrics = False
        self._reply = ChatReply()

    def feed(self, chunk: Mapping[str, Any]) -> list[Event]:
        out: list[Event] = []
        for choice in chunk.get("choices") or ():
            out += self._reply.choice(choice)
        metrics = chunk.get("amazon-bedrock-invocationMetrics", _ABSENT)
        if metrics is not _ABSENT:  # Bedrock's counts win, now and for the rest of the stream
            if isinstance(metrics, Mapping):
                self._saw_metrics = True
        elif not self._saw_metrics:
            usage = chunk.get("usage")
            if isinstance(usage, Mapping) and usage.get("prompt_tokens") is not None:
                out.append(
                    Usage(int(usage["prompt_tokens"]), int(usage.get("completion_tokens") or 0))
                )
        return out


def new_stream() -> ChunkFn:
    """Return the chunk parser of a new stream."""
    return _Stream().feed


def parse_body(body: Mapping[str, Any]) -> list[Event]:
    """Return the events of a chat completion body (``choices[].message``)."""
    reply = ChatReply()
    return [
        event for choice in body.get("choices") or () for event in reply.choice(choice, whole=True)
    ]


CODEC = FamilyCodec(
    prefixes=("openai.", "qwen.", "writer."),
    build_body=build_body,
    new_stream=new_stream,
    parse_body=parse_body,
)
