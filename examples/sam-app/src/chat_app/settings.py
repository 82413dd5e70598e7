"""The app's settings, read once from the function's environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_MODEL_ID = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
SYSTEM_PROMPT = "You are a helpful assistant. Answer clearly and concisely."
"""The app's own system prompt (``/ask`` and ``/chat``; an OpenAI client sends its own)."""


@dataclass(frozen=True)
class Settings:
    """What the template configures: the models served and every bound of a request.

    ``models`` is ``MODEL_ID`` first, then ``EXTRA_MODEL_IDS`` (comma-separated), the only
    ids a client may ask for; the function's role must allow each one (the template's allows
    ``MODEL_ID`` alone).
    """

    models: tuple[str, ...]
    max_tokens: int
    """The most output tokens of one model call; a client may ask for fewer."""
    max_message_chars: int
    """The longest user message, in characters of text."""
    max_messages: int
    """The most messages of a conversation (its history bound)."""
    max_conversation_chars: int
    """The most characters (and bytes of images) of a conversation: its messages, its
    system messages and the tools it defines."""
    max_steps: int
    """The most model calls of one chat request (each tool round trip takes one more)."""
    reasoning_budget: int
    """Reasoning tokens of each chat model call (``/chat``); 0: no reasoning. Reasoning
    tokens are output tokens: the budget must stay below ``max_tokens``."""
    allowed_origin: str

    @property
    def model_id(self) -> str:
        """The default model: ``MODEL_ID``."""
        return self.models[0]

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        extra = [m.strip() for m in environ.get("EXTRA_MODEL_IDS", "").split(",") if m.strip()]
        model_id = environ.get("MODEL_ID", DEFAULT_MODEL_ID)
        return cls(
            models=tuple(dict.fromkeys([model_id, *extra])),
            max_tokens=int(environ.get("MAX_TOKENS", "1024")),
            max_message_chars=int(environ.get("MAX_MESSAGE_CHARS", "2000")),
            max_messages=int(environ.get("MAX_MESSAGES", "40")),
            max_conversation_chars=int(environ.get("MAX_CONVERSATION_CHARS", "4000")),
            max_steps=int(environ.get("MAX_STEPS", "2")),
            reasoning_budget=int(environ.get("REASONING_BUDGET", "0")),
            allowed_origin=environ.get("ALLOWED_ORIGIN", ""),
        )
