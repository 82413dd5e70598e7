"""The bounds of a conversation a client sends: how many messages, how long each, in all.

A chat client sends its whole history with every turn, so the history is what bounds a
request's input tokens: a conversation past a bound gets a 400 (in the route's protocol)
before Bedrock is called.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .request_body import Refuse
from .settings import Settings


def check(
    messages: Sequence[Mapping[str, Any]],
    options: Mapping[str, Any],
    settings: Settings,
    refuse: Refuse,
) -> None:
    """Refuse a conversation (Converse messages, and the request options that carry its
    system messages and tools) past the settings' bounds."""
    if not messages:
        raise refuse(400, "the conversation has no messages")
    if len(messages) > settings.max_messages:
        raise refuse(400, f"the conversation has more than {settings.max_messages} messages")
    if messages[-1].get("role") != "user":
        raise refuse(400, "the last message must be the user's")
    for message in messages:
        if message.get("role") != "user":
            continue
        if _blank(message):
            raise refuse(400, "a user message is empty")
        if _text_chars(message) > settings.max_message_chars:
            raise refuse(
                400, f"a user message is longer than {settings.max_message_chars} characters"
            )
    if size(messages) + size(options) > settings.max_conversation_chars:
        raise refuse(
            400, f"the conversation is longer than {settings.max_conversation_chars} characters"
        )


def _blank(message: Mapping[str, Any]) -> bool:
    """No content, or only text blocks of white space (which Bedrock refuses)."""
    blocks = message.get("content") or ()
    return all(set(block) == {"text"} and not str(block["text"]).strip() for block in blocks)


def _text_chars(message: Mapping[str, Any]) -> int:
    return sum(len(block.get("text") or "") for block in message.get("content") or ())


def size(value: Any) -> int:
    """Characters of text and bytes of binary data in ``value``, however deeply nested."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, Mapping):
        return sum(size(item) for item in value.values())
    if isinstance(value, Sequence):
        return sum(size(item) for item in value)
    return len(str(value))
