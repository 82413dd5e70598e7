"""The record a model family fills in for the client, and the helpers its modules share."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import UnsupportedOptionError
from ..events import Event, Stop, normalize_stop_reason

if TYPE_CHECKING:
    from ..request_options import Reasoning, ToolChoice

__all__ = [
    "ChunkFn",
    "FamilyCodec",
    "InvokeRequest",
    "as_chunk",
    "no_reasoning",
    "put",
    "stop",
    "text_prompt",
]

ChunkFn = Callable[[Mapping[str, Any]], list[Event]]
"""Turn one decoded chunk of a stream into the family's own events."""


@dataclass(frozen=True, slots=True)
class InvokeRequest:
    """What an InvokeModel body is built from, already normalized (Converse-shaped parts).

    A family's ``build_body`` builds what its format can express and raises
    :class:`~..errors.UnsupportedOptionError` for the rest (:mod:`..invoke_views`).
    """

    family: str
    """The family's name, for error messages."""
    messages: list[dict[str, Any]]
    """Converse-shaped messages (content as a block list)."""
    system: list[dict[str, Any]]
    """Converse system blocks; empty: no system prompt."""
    max_tokens: int
    temperature: float | None
    top_p: float | None
    stop_sequences: list[str]
    tools: list[dict[str, Any]] = field(default_factory=list)
    """Converse ``toolConfig.tools`` entries (tool specs, cache points)."""
    tool_choice: ToolChoice | None = None
    reasoning: dict[str, Any] = field(default_factory=dict)
    """The family's native fields that switch reasoning on (its ``reasoning_fields``)."""
    model_id: str = ""
    """The model id, for a family whose body depends on the model; empty: not known."""


def no_reasoning(reasoning: Reasoning, family: str) -> dict[str, Any]:
    """Refuse ``reasoning`` for a family whose format has no switch for it."""
    raise UnsupportedOptionError(f"the {family} format has no reasoning option")


@dataclass(frozen=True, slots=True)
class FamilyCodec:
    """Everything the client knows about one model family's InvokeModel format."""

    prefixes: tuple[str, ...]
    """Foundation model id prefixes of the family (``anthropic.``); the longest match wins."""
    build_body: Callable[[InvokeRequest], dict[str, Any]]
    """The JSON body of ``invoke_model(_with_response_stream)``."""
    new_stream: Callable[[], ChunkFn]
    """A chunk parser for one new stream (stateful families return a bound method)."""
    parse_body: Callable[[Mapping[str, Any]], list[Event] | None]
    """Events of a whole InvokeModel body; None: the body is one stream chunk, parse it so."""
    reasoning_fields: Callable[[Reasoning, str], dict[str, Any]] = no_reasoning
    """The family's native fields that switch ``reasoning`` on (Converse sends them in
    ``additionalModelRequestFields``); raises for a family that cannot reason."""


def as_chunk(body: Mapping[str, Any]) -> list[Event] | None:
    """Say that an InvokeModel body has the shape of a stream chunk (``parse_body``)."""
    return None


def stop(raw: Any) -> Stop:
    """Return the stop event of a model's own reason ``raw`` (any type; None: unknown)."""
    text = None if raw is None else str(raw)
    return Stop(normalize_stop_reason(text), text)


def put(target: dict[str, Any], **values: Any) -> None:
    """Set the ``values`` that are given (not None, not an empty list) on ``target``."""
    for key, value in values.items():
        if value is not None and value != []:
            target[key] = value


def text_prompt(system: str | None, turns: Sequence[tuple[str, str]]) -> str:
    """Flatten a conversation to ``User:``/``Bot:`` lines, for completion-style models."""
    lines = [system] if system else []
    lines += [f"{'User' if role == 'user' else 'Bot'}: {text}" for role, text in turns]
    return "\n".join(lines) + ("\nBot:" if len(turns) > 1 or system else "")
