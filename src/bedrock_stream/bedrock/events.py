"""Typed events that every Bedrock stream shape is mapped to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "Event",
    "Metrics",
    "ReasoningDelta",
    "Stop",
    "StopReason",
    "TextDelta",
    "ToolInputDelta",
    "ToolUseStart",
    "Trace",
    "Usage",
    "normalize_stop_reason",
]

StopReason = Literal[
    "end_turn",
    "max_tokens",
    "stop_sequence",
    "tool_use",
    "guardrail_intervened",
    "content_filtered",
    "other",
]

_STOP_REASONS: dict[str, StopReason] = {
    # Anthropic, Nova, Converse
    "end_turn": "end_turn",
    "max_tokens": "max_tokens",
    "stop_sequence": "stop_sequence",
    "tool_use": "tool_use",
    "guardrail_intervened": "guardrail_intervened",
    "content_filtered": "content_filtered",
    "model_context_window_exceeded": "max_tokens",
    # Titan
    "finish": "end_turn",
    "length": "max_tokens",
    "stop_criteria_met": "stop_sequence",
    "content_filtered_by_guardrail": "guardrail_intervened",
    # Llama, Mistral, OpenAI-style
    "stop": "end_turn",
    "tool_calls": "tool_use",
    "content_filter": "content_filtered",
    # Cohere
    "complete": "end_turn",
    "error_toxic": "content_filtered",
    # Anthropic legacy text completions
    "stop_sequence_hit": "stop_sequence",
    # AI21
    "endoftext": "end_turn",
}


def normalize_stop_reason(raw: str | None) -> StopReason:
    """Map a model's own stop reason (any case) to the closed set of :data:`StopReason`."""
    if raw is None:
        return "other"
    return _STOP_REASONS.get(raw.lower(), "other")


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the answer's text."""

    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A piece of the model's reasoning: text, a signature, or a redacted blob."""

    text: str = ""
    signature: str | None = None
    redacted: bytes | None = None


@dataclass(frozen=True, slots=True)
class ToolUseStart:
    """The start of a tool-use block."""

    id: str
    name: str
    index: int = 0


@dataclass(frozen=True, slots=True)
class ToolInputDelta:
    """A piece of a tool-use block's input JSON."""

    json: str
    index: int = 0


@dataclass(frozen=True, slots=True)
class Stop:
    """The model stopped: normalized ``reason`` and the ``raw`` value the model reported."""

    reason: StopReason
    raw: str | None


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts."""

    input_tokens: int
    output_tokens: int
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class Metrics:
    """Invocation metrics (milliseconds) as Bedrock reports them.

    ``invocation_latency_ms`` is the total latency, which every API reports.
    ``first_byte_latency_ms`` is set only where Bedrock reports one, in
    InvokeModelWithResponseStream's ``amazon-bedrock-invocationMetrics``. Converse and
    ConverseStream report ``latencyMs`` (the total) alone, and InvokeModel's
    ``X-Amzn-Bedrock-Invocation-Latency`` header is the total too.
    """

    first_byte_latency_ms: int | None = None
    invocation_latency_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Trace:
    """Converse's ``trace`` (guardrail assessments, prompt routing), as Bedrock sent it."""

    data: Mapping[str, Any]


Event = TextDelta | ReasoningDelta | ToolUseStart | ToolInputDelta | Stop | Usage | Metrics | Trace
