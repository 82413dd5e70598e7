"""The body ``useChat`` posts (``DefaultChatTransport``) as a Converse conversation.

``{"id", "messages": [UIMessage, ...], "trigger", "messageId", ...}``: the messages become
Converse messages (consecutive turns of one role merged, as Converse alternates roles), a
``system`` message's text becomes the ``system`` option, and every other field of the body is
kept in :attr:`UIChatRequest.body` for the application (``DefaultChatTransport``'s ``body``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import HTTPError
from .parts import message_turns

if TYPE_CHECKING:
    from ..bedrock.request_options import RequestOptions

__all__ = ["UIChatRequest", "parse_request"]

_TRIGGERS = ("submit-message", "regenerate-message")
_OWN_FIELDS = ("id", "messages", "trigger", "messageId")


@dataclass(frozen=True)
class UIChatRequest:
    """A chat request: Converse ``messages``, ``options`` for them, and the protocol's fields."""

    id: str | None
    messages: list[dict[str, Any]]
    options: RequestOptions
    trigger: str
    message_id: str | None = None
    """The message to regenerate (``regenerate-message``), as the client sent it."""
    body: Mapping[str, Any] = field(default_factory=dict)
    """The body's other fields (``DefaultChatTransport``'s ``body`` option)."""


def _load(body: bytes | str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        return body
    try:
        loaded = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise HTTPError(400, "the request body is not JSON") from None
    if not isinstance(loaded, Mapping):
        raise HTTPError(400, "the request body must be a JSON object")
    return loaded


def _merge(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged: list[dict[str, Any]] = []
    for turn in turns:
        if merged and merged[-1]["role"] == turn["role"]:
            merged[-1]["content"].extend(turn["content"])
        else:
            merged.append(turn)
    return merged


def _system_text(parts: list[Mapping[str, Any]]) -> str:
    if any(not isinstance(p, Mapping) or p.get("type") != "text" for p in parts):
        raise HTTPError(400, "a system message holds text parts only")
    return "\n".join(str(p.get("text", "")) for p in parts)


def parse_request(body: bytes | str | Mapping[str, Any]) -> UIChatRequest:
    """Parse a ``DefaultChatTransport`` body into a :class:`UIChatRequest`.

    Raises:
        HTTPError: 400 for a body that is not a chat request or holds a part Converse cannot
            take (a remote file URL, a tool call with no output yet ...).
    """
    data = _load(body)
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        raise HTTPError(400, "messages must be a non-empty list of UI messages")
    trigger = data.get("trigger", "submit-message")
    if trigger not in _TRIGGERS:
        raise HTTPError(400, f"trigger must be one of {', '.join(_TRIGGERS)}")
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for message in messages:
        if not isinstance(message, Mapping) or not isinstance(message.get("parts"), list):
            raise HTTPError(400, "every message needs a role and a list of parts")
        role = message.get("role")
        if role == "system":
            system.append(_system_text(message["parts"]))
        elif role in ("user", "assistant"):
            turns.extend(message_turns(role, message["parts"]))
        else:
            raise HTTPError(400, "a message's role must be system, user or assistant")
    turns = _merge(turns)
    if not turns or turns[0]["role"] != "user":
        raise HTTPError(400, "the conversation must start with a user message")
    options: RequestOptions = {"system": "\n".join(system)} if system else {}
    chat_id, message_id = data.get("id"), data.get("messageId")
    return UIChatRequest(
        id=chat_id if isinstance(chat_id, str) else None,
        messages=turns,
        options=options,
        trigger=trigger,
        message_id=message_id if isinstance(message_id, str) else None,
        body={k: v for k, v in data.items() if k not in _OWN_FIELDS},
    )
