"""The record a model family fills in for the emulator, and the helpers its modules share."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from ..conversation import Conversation

if TYPE_CHECKING:
    from ..formats import Answer
    from ..model import Generation, StopReason

__all__ = [
    "BodyFn",
    "Chunk",
    "ChunksFn",
    "EmulatedFamily",
    "InvokeFields",
    "Piece",
    "Profile",
    "StopNames",
    "ValidateFn",
    "converse_usage",
    "stop_name",
]

Piece: TypeAlias = tuple[str, int, int]
"""The text of one stream chunk and its ``(start, stop)`` output token range."""

StopNames: TypeAlias = tuple[str, str, str]
"""A family's words for (natural end, max tokens, stop sequence)."""


@dataclass
class Chunk:
    """The JSON body of one invoke stream chunk and the output token range it carries."""

    body: dict[str, Any]
    start: int = 0
    stop: int = 0
    kind: str = ""
    """The event's kind for fault triggers (``tool-input``, ...; text chunks need none)."""

    @property
    def tokens(self) -> int:
        """Output tokens the chunk carries."""
        return self.stop - self.start


ChunksFn: TypeAlias = "Callable[[Answer, Sequence[Piece]], list[Chunk]]"
"""Build an invoke stream's chunks from the answer and its text pieces (the family's chunking)."""
BodyFn: TypeAlias = "Callable[[Answer], dict[str, Any]]"
"""Build an InvokeModel response body."""


@dataclass(frozen=True, slots=True)
class InvokeFields:
    """What a valid InvokeModel body asks of the model."""

    prompt: str
    """The text the model reads."""
    max_tokens: int
    stop_sequences: tuple[str, ...] = ()
    variant: str = ""
    """The family's sub-format (see ``ModelRequest.variant``)."""
    conversation: Conversation = field(default_factory=Conversation)
    """Tools, reasoning, documents and cache points, for the families that read them."""


ValidateFn: TypeAlias = Callable[[str, Mapping[str, Any]], InvokeFields]
"""Validate the InvokeModel body of a model id; raises ``ServiceError`` in Bedrock's words."""


@dataclass(frozen=True)
class Profile:
    """Timing and chunking of one model family, from the recordings' invocation metrics."""

    first_token_ms: int
    """Time to the first chunk (``firstByteLatency``)."""
    tokens_per_second: float
    """Output rate after the first chunk."""
    tokens_per_chunk: int
    """Tokens the family sends per stream chunk."""

    def chunks(self, count: int) -> Iterator[tuple[int, int]]:
        """``(start, stop)`` token ranges of the stream chunks of ``count`` tokens."""
        size = max(self.tokens_per_chunk, 1)
        for start in range(0, count, size):
            yield start, min(start + size, count)

    def pieces(self, tokens: Sequence[str], start: int = 0) -> list[Piece]:
        """Split ``tokens`` into stream chunks: ``(text, start, stop)``, offset by ``start``."""
        return [("".join(tokens[s:e]), start + s, start + e) for s, e in self.chunks(len(tokens))]

    def delay_ms(self, index: int, tokens: int) -> float:
        """Milliseconds before the chunk ``index`` holding ``tokens`` tokens is sent."""
        if index == 0:
            return float(self.first_token_ms)
        return 1000.0 * tokens / self.tokens_per_second

    def latency_ms(self, output_tokens: int) -> tuple[int, int]:
        """``(firstByteLatency, invocationLatency)`` for ``output_tokens`` tokens."""
        first = min(output_tokens, self.tokens_per_chunk)
        rest = 1000.0 * max(output_tokens - first, 0) / self.tokens_per_second
        return self.first_token_ms, self.first_token_ms + round(rest)


@dataclass(frozen=True, slots=True)
class EmulatedFamily:
    """Everything the emulator knows about one model family: formats, validation, timing."""

    invoke_chunks: ChunksFn | None
    """The chunks of ``invoke-with-response-stream``; None: the family does not stream."""
    invoke_body: BodyFn
    """The ``invoke`` response body."""
    validate: ValidateFn
    """The InvokeModel body's validation (the model-native schema)."""
    profile: Profile
    """Timing and chunking."""
    converse_max_tokens: int = 4096
    """The output token limit of a Converse request that sets none."""
    cache_counts: bool = False
    """Whether invocation metrics and headers carry prompt cache token counts (zero)."""
    trailing_empty_delta: bool = False
    """Whether ConverseStream ends the text with an empty ``contentBlockDelta``."""
    reasoning: bool = False
    """Whether invoke answers start with a thought closed by ``</think>`` (DeepSeek-R1)."""


_STOP_INDEX: Mapping[StopReason, int] = {"end_turn": 0, "max_tokens": 1, "stop_sequence": 2}


def stop_name(names: StopNames, generation: Generation) -> str:
    """Return the word of ``names`` for why ``generation`` stopped.

    After a guardrail intervention the model's own reason is its natural end: invoke
    responses flag the intervention with ``amazon-bedrock-guardrailAction`` instead.
    A tool call is ``tool_use``, the word of every family that calls tools here.
    """
    if generation.stop == "guardrail_intervened":
        return names[0]
    if generation.stop == "tool_use":
        return "tool_use"
    return names[_STOP_INDEX[generation.stop]]


def converse_usage(a: Answer) -> dict[str, int]:
    """Return the Converse-shaped ``usage`` of an answer (cache counts after a cache point)."""
    turn = a.turn
    usage = {
        "inputTokens": a.input_tokens,
        "outputTokens": a.output_tokens,
        "totalTokens": a.input_tokens + a.output_tokens + turn.cache_read + turn.cache_write,
    }
    if turn.cached:
        usage.update(cacheReadInputTokens=turn.cache_read, cacheWriteInputTokens=turn.cache_write)
    return usage
