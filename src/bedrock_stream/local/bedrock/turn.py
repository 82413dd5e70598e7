"""The model's whole turn: reasoning, text with its citation, tool calls, cache use (no I/O).

:func:`compose` applies the rules of :mod:`.tools`, :mod:`.reasoning`, :mod:`.citations`,
:mod:`.prompt_cache` and :mod:`.guardrails` to a validated request and returns the text
:class:`~.model.Generation` and a :class:`Turn` with everything else; the Converse and the
families' formats lay them out as content blocks in this order: reasoning, text, tool uses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from . import guardrails, tools
from .citations import Cited, cite
from .model import Generation, generate, intervene, thought, tokenize
from .prompt_cache import PromptCache, cache_point
from .reasoning import REDACTED_TRIGGER, redacted_data, signature

if TYPE_CHECKING:
    from .family.base import Profile
    from .validation import ModelRequest

__all__ = ["Thought", "ToolCall", "Turn", "compose"]


@dataclass(frozen=True)
class ToolCall:
    """One tool call: the tool's name and its input."""

    name: str
    input: Any
    index: int
    """Its place among the turn's calls (seeds its id)."""

    @property
    def json(self) -> str:
        """The input as compact JSON, as streamed."""
        return json.dumps(self.input, separators=(",", ":"), ensure_ascii=False)

    @property
    def tokens(self) -> tuple[str, ...]:
        """The input's tokens (see :func:`~.model.tokenize`)."""
        return tuple(tokenize(self.json))


@dataclass(frozen=True)
class Thought:
    """The reasoning block: its text and signature, or redacted data."""

    text: str
    signature: str
    redacted: str | None = None
    """Base64 data of redacted reasoning (then :attr:`text` only counts its tokens)."""

    @property
    def tokens(self) -> tuple[str, ...]:
        """The reasoning's tokens."""
        return tuple(tokenize(self.text))


@dataclass(frozen=True)
class Turn:
    """Everything of an answer but its text."""

    thought: Thought | None = None
    calls: tuple[ToolCall, ...] = ()
    cited: Cited | None = None
    cached: bool = False
    """Whether the request had a cache point (usage then carries the cache counts)."""
    cache_read: int = 0
    cache_write: int = 0
    blocked: Literal["input", "output"] | None = None
    """What the request's guardrail blocked, if it intervened."""

    @property
    def output_tokens(self) -> int:
        """Output tokens beyond the text: reasoning and tool inputs."""
        reasoning = len(self.thought.tokens) if self.thought else 0
        return reasoning + sum(len(c.tokens) for c in self.calls)


def _thought(request: ModelRequest, seed: bytes) -> Thought:
    text = thought(request.prompt)
    if REDACTED_TRIGGER in request.prompt:
        return Thought(text, "", redacted_data(seed))
    return Thought(text, signature(text))


def _async_cut(generation: Generation, end: int, profile: Profile) -> int:
    """Return the token index past the stream chunk that holds character ``end`` of the text."""
    length = 0
    for index, token in enumerate(generation.tokens):
        length += len(token)
        if length >= end:
            return next(e for s, e in profile.chunks(generation.output_tokens) if e > index)
    return generation.output_tokens


def compose(
    request: ModelRequest,
    *,
    now: float,
    seed: bytes,
    profile: Profile,
    reasoning_text: bool,
    cache: PromptCache | None,
) -> tuple[Generation, Turn]:
    """Answer ``request``: its text and its :class:`Turn` (see the modules' rules).

    ``reasoning_text``: the family's built-in ``</think>`` reasoning (DeepSeek-R1 invoke).
    """
    c = request.conversation
    point = cache_point(request.model_id, c)
    read, write = cache.use(point, now) if point and cache else (0, 0)
    base = Turn(cached=point is not None, cache_read=read, cache_write=write)
    guard = c.guardrail
    asked = c.last_user_text if c.messages else request.prompt  # a family without messages
    if guard and guardrails.blocked_at(asked) is not None:
        blocked = Generation(tuple(tokenize(guardrails.BLOCKED_MESSAGE)), "guardrail_intervened")
        return replace(blocked, intervened_at=0), replace(base, blocked="input")
    calls = tuple(ToolCall(t.name, value, i) for i, (t, value) in enumerate(tools.calls(c)))
    cited = None if calls else cite(c)
    turn = replace(base, thought=_thought(request, seed) if c.reasoning else None)
    if calls:
        return Generation((), "tool_use"), replace(turn, calls=calls)
    lead = (cited.lead + "\n\n" if cited else "") + tools.result_lead(c)
    generation = generate(
        request.prompt,
        max_tokens=request.max_tokens,
        stop_sequences=request.stop_sequences,
        reasoning=reasoning_text,
        lead=lead,
    )
    end = guardrails.blocked_at(generation.text) if guard else None
    if guard and end is not None:
        cut = _async_cut(generation, end, profile) if guard.mode == "async" else 0
        generation = intervene(generation, cut, guardrails.BLOCKED_MESSAGE)
        turn = replace(turn, blocked="output")
    return generation, replace(turn, cited=cited)
