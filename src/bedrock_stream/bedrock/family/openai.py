"""OpenAI-style chat completions: gpt-oss, Qwen and Writer on Bedrock (AI21 Jamba too).

The choices (text, ``reasoning_content``/``reasoning``, ``tool_calls``) are
:mod:`.chat_completions`'; this module adds the chunks' own ``usage``. Writer's last chunk,
``"[DONE]"``, is no object and gives nothing. A chunk's ``usage`` (before Bedrock's metrics)
gives ``prompt_tokens_details.cached_tokens``, OpenAI's count of prompt tokens read from
its cache, as ``Usage.cache_read_tokens``; the format has no count of tokens written. An
InvokeModel body of gpt-oss puts its reasoning before the text of ``message.content``, in
``<reasoning>`` tags (AWS's OpenAI models page): it is parsed as reasoning, the rest as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..events import Event, Usage
from ..request_options import reasoning_setting
from .base import ChunkFn, FamilyCodec, InvokeRequest, put
from .chat_completions import ChatReply
from .chat_request import chat_messages, chat_tools

if TYPE_CHECKING:
    from ..request_options import Reasoning, ToolChoice

__all__ = ["CODEC"]

_ABSENT = object()


def _tool_choice(choice: ToolChoice) -> Any:
    if choice == "auto":
        return "auto"
    if choice == "any":
        return "required"
    return {"type": "function", "function": {"name": choice["name"]}}


def build_body(r: InvokeRequest) -> dict[str, Any]:
    """Build a chat completions body.

    The system prompt comes first; tool calls and results are ``tool_calls`` and ``tool``
    messages; tools are functions.
    """
    body: dict[str, Any] = {"messages": chat_messages(r), "max_tokens": r.max_tokens}
    put(body, temperature=r.temperature, top_p=r.top_p, stop=r.stop_sequences)
    if r.tools:
        body["tools"] = chat_tools(r)
    if r.tool_choice is not None:
        body["tool_choice"] = _tool_choice(r.tool_choice)
    body.update(r.reasoning)
    return body


def reasoning_fields(reasoning: Reasoning, family: str) -> dict[str, Any]:
    """Return ``reasoning_effort``: gpt-oss reasons by an effort level only."""
    return {"reasoning_effort": reasoning_setting(reasoning, family, "effort", "reasoning_effort")}


def _usage(usage: Mapping[str, Any]) -> Usage:
    """Return a chunk's ``usage``, with ``prompt_tokens_details.cached_tokens`` where sent."""
    details = usage.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, Mapping) else None
    return Usage(
        int(usage["prompt_tokens"]),
        int(usage.get("completion_tokens") or 0),
        cache_read_tokens=int(cached) if isinstance(cached, int) else None,
    )


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
                out.append(_usage(usage))
        return out


def new_stream() -> ChunkFn:
    """Return the chunk parser of a new stream."""
    return _Stream().feed


_OPEN, _CLOSE = "<reasoning>", "</reasoning>"


def _tagged(choice: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return ``choice`` with a leading ``<reasoning>...</reasoning>`` as its reasoning."""
    message = choice.get("message")
    if not isinstance(message, Mapping):
        return choice
    content = message.get("content")
    if not isinstance(content, str) or not content.startswith(_OPEN) or _CLOSE not in content:
        return choice
    thought, _, text = content[len(_OPEN) :].partition(_CLOSE)
    return {**choice, "message": {**message, "reasoning_content": thought, "content": text}}


def parse_body(body: Mapping[str, Any]) -> list[Event]:
    """Return the events of a chat completion body (``choices[].message``)."""
    reply = ChatReply()
    return [
        event
        for choice in body.get("choices") or ()
        for event in reply.choice(_tagged(choice), whole=True)
    ]


CODEC = FamilyCodec(
    prefixes=("openai.", "qwen.", "writer."),
    build_body=build_body,
    new_stream=new_stream,
    parse_body=parse_body,
    reasoning_fields=reasoning_fields,
)
