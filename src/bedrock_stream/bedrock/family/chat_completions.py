"""OpenAI-style chat completion choices to events: text, reasoning and tool calls.

The families whose invoke format is chat completions (:mod:`.openai`, :mod:`.mistral`)
share it. A choice carries a ``delta`` in a stream chunk (Mistral's chunks say ``message``)
or a whole ``message`` in a body. Blocks are numbered as :mod:`.blocks` says. Tool call
``k`` is keyed by its ``index`` (OpenAI-style streams number their fragments) or, without
one, by its place in the list (Mistral sends each call whole): its first fragment, with
``id`` and ``function.name``, gives :class:`~..events.ToolUseStart`, every piece of
``function.arguments`` a :class:`~..events.ToolInputDelta`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..events import Event, MessageStart, ReasoningDelta, TextDelta, ToolInputDelta, ToolUseStart
from .base import stop
from .blocks import Blocks

__all__ = ["ChatReply"]


class ChatReply:
    """The choices of one reply, streamed or whole, as events with block numbers."""

    __slots__ = ("_blocks", "_started")

    def __init__(self) -> None:
        self._blocks = Blocks()
        self._started = False

    def choice(self, choice: Mapping[str, Any], *, whole: bool = False) -> list[Event]:
        """Return the events of one choice; ``whole``: a body's choice, which always stops."""
        out: list[Event] = []
        message = choice.get("delta") or choice.get("message") or {}
        if not self._started and message.get("role"):
            self._started = True
            out.append(MessageStart(str(message["role"])))
        reasoning = message.get("reasoning_content") or message.get("reasoning")
        if reasoning:
            out.append(ReasoningDelta(text=str(reasoning), index=self._blocks.index("reasoning")))
        if message.get("content"):
            out.append(TextDelta(str(message["content"]), self._blocks.index("text")))
        for position, call in enumerate(message.get("tool_calls") or ()):
            out += self._tool_call(call, position)
        raw = choice.get("finish_reason")
        if raw is None:
            raw = choice.get("stop_reason")
        if raw is not None or whole:
            out += self._blocks.stop_all()
            out.append(stop(raw))
        return out

    def _tool_call(self, call: Mapping[str, Any], position: int) -> list[Event]:
        number = call.get("index")
        key = ("tool", position if number is None else int(number))
        function = call.get("function") or {}
        out: list[Event] = []
        if not self._blocks.started(key):
            name = str(function.get("name") or "")
            out.append(ToolUseStart(str(call.get("id") or ""), name, self._blocks.index(key)))
        arguments = function.get("arguments")
        if arguments:
            text = arguments if isinstance(arguments, str) else json.dumps(arguments)
            out.append(ToolInputDelta(text, self._blocks.index(key)))
        return out
