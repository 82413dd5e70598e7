"""Request bodies for InvokeModel (each family's is in :mod:`.family`) and for Converse."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

from .family import CODECS
from .family.base import InvokeRequest

if TYPE_CHECKING:
    from .families import Family

__all__ = [
    "Messages",
    "RequestOptions",
    "build_converse_request",
    "build_invoke_body",
    "to_messages",
]

Messages = Sequence[Mapping[str, Any]]
"""``[{"role": "user", "content": "text" | [{"text": ...}]}, ...]`` (Converse shape)."""


class RequestOptions(TypedDict, total=False):
    """The request options every call takes (``stream_events(..., **options)``)."""

    system: str | None
    max_tokens: int
    temperature: float | None
    top_p: float | None
    stop_sequences: Sequence[str] | None


def to_messages(prompt_or_messages: str | Messages) -> list[dict[str, Any]]:
    """Normalize a prompt or messages to Converse messages (content as a block list)."""
    if isinstance(prompt_or_messages, str):
        return [{"role": "user", "content": [{"text": prompt_or_messages}]}]
    out = []
    for message in prompt_or_messages:
        content = message["content"]
        if isinstance(content, str):
            content = [{"text": content}]
        out.append({"role": message["role"], "content": list(content)})
    return out


def _plain(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(m["role"], "".join(str(b.get("text", "")) for b in m["content"])) for m in messages]


def build_converse_request(
    model_id: str,
    prompt_or_messages: str | Messages,
    *,
    max_tokens: int,
    system: str | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    stop_sequences: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Keyword arguments for ``converse`` / ``converse_stream``."""
    config: dict[str, Any] = {"maxTokens": max_tokens}
    if temperature is not None:
        config["temperature"] = temperature
    if top_p is not None:
        config["topP"] = top_p
    if stop_sequences:
        config["stopSequences"] = list(stop_sequences)
    request: dict[str, Any] = {
        "modelId": model_id,
        "messages": to_messages(prompt_or_messages),
        "inferenceConfig": config,
    }
    if system is not None:
        request["system"] = [{"text": system}]
    return request


def build_invoke_body(
    family: Family,
    prompt_or_messages: str | Messages,
    *,
    max_tokens: int,
    system: str | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    stop_sequences: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Build the JSON body for ``invoke_model(_with_response_stream)`` of ``family``."""
    messages = to_messages(prompt_or_messages)
    request = InvokeRequest(
        messages=messages,
        turns=_plain(messages),
        system=system,
        max_tokens=max_tokens,
        temperature=temperature,
        top_p=top_p,
        stop_sequences=list(stop_sequences or ()),
    )
    return CODECS[family].build_body(request)
