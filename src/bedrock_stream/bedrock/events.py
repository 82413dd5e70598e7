"""Typed events that every Bedrock stream shape is mapped to.

One vocabulary for ConverseStream, Converse and every family's invoke format. The parsers
map what the wire says, one event per fact; what is derived from several events (a tool
call's whole input, the reply's text) is :mod:`.assembly`'s. Block ``index`` values are
those of the response's content blocks (ConverseStream's ``contentBlockIndex``, Anthropic's
``index``); a wire that numbers no blocks puts text in block 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "BlockStart",
    "BlockStop",
    "Citation",
    "Event",
    "MessageStart",
    "Metrics",
    "PerformanceConfig",
    "RawEvent",
    "ReasoningDelta",
    "ServiceTier",
    "Stop",
    "StopReason",
    "TextDelta",
    "ToolCall",
    "ToolInputDelta",
    "ToolResultDelta",
    "ToolResultStart",
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
class MessageStart:
    """The reply begins (ConverseStream's ``messageStart``, Anthropic's ``message_start``)."""

    role: str = "assistant"


@dataclass(frozen=True, slots=True)
class BlockStart:
    """A content block begins, where the wire says so and no more specific start applies.

    ``kind`` is ``"text"``, ``"reasoning"``, ``"redacted_reasoning"`` or ``"image"``;
    ``data`` is the block start as sent. Tool-use and tool-result blocks start with
    :class:`ToolUseStart` and :class:`ToolResultStart` instead.
    """

    index: int
    kind: str
    data: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class BlockStop:
    """Content block ``index`` is complete."""

    index: int


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the answer's text."""

    text: str
    index: int = 0


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A piece of the model's reasoning: text, a signature, or a redacted blob."""

    text: str = ""
    signature: str | None = None
    redacted: bytes | None = None
    index: int = 0


@dataclass(frozen=True, slots=True)
class ToolUseStart:
    """The start of a tool-use block: the model calls tool ``name``.

    ``type`` is ``"server_tool_use"`` for a tool Bedrock runs on the server side (its
    result follows as a :class:`ToolResultStart`); None for a tool the caller runs.
    """

    id: str
    name: str
    index: int = 0
    type: str | None = None


@dataclass(frozen=True, slots=True)
class ToolInputDelta:
    """A piece of a tool-use block's input JSON."""

    json: str
    index: int = 0


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A complete tool call: its input JSON parsed (derived when the tool-use block ends)."""

    id: str
    name: str
    input: Any
    index: int = 0
    type: str | None = None
    """``"server_tool_use"`` for a tool Bedrock runs (see :class:`ToolUseStart`)."""

    def as_block(self) -> dict[str, Any]:
        """Return the Converse ``toolUse`` content block of this call, for the next turn."""
        block = {"toolUseId": self.id, "name": self.name, "input": self.input}
        if self.type is not None:
            block["type"] = self.type
        return {"toolUse": block}


@dataclass(frozen=True, slots=True)
class ToolResultStart:
    """A server-side tool's result block begins (a tool Bedrock ran, e.g. a web search)."""

    tool_use_id: str
    index: int = 0
    type: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class ToolResultDelta:
    """A piece of a server-side tool's result: Converse tool result content blocks."""

    content: tuple[Mapping[str, Any], ...]
    index: int = 0


@dataclass(frozen=True, slots=True)
class Citation:
    """A citation of a source document for the text of block ``index``.

    ``text`` is the cited source text (``sourceContent`` joined), ``location`` where in the
    source it is (``documentChar``, ``documentPage``, ``documentChunk``, ``web`` ...), as sent.
    """

    index: int
    title: str | None = None
    source: str | None = None
    text: str = ""
    location: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Stop:
    """The model stopped: normalized ``reason`` and the ``raw`` value the model reported.

    ``additional_fields`` holds ConverseStream's ``additionalModelResponseFields``, the
    model-specific fields asked for with ``additionalModelResponseFieldPaths``.
    """

    reason: StopReason
    raw: str | None
    additional_fields: Mapping[str, Any] | None = None


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


@dataclass(frozen=True, slots=True)
class PerformanceConfig:
    """The latency mode the request was served in (``standard`` or ``optimized``)."""

    latency: str


@dataclass(frozen=True, slots=True)
class ServiceTier:
    """The service tier the request was served in (``default``, ``priority``, ``flex`` ...)."""

    type: str


@dataclass(frozen=True, slots=True)
class RawEvent:
    """Something Bedrock sent that no typed event models yet, as received: never dropped.

    ``name`` is the event (``contentBlockDelta``) or chunk (``chunk``) it came in, ``data``
    its payload.
    """

    name: str
    data: Mapping[str, Any]


Event = (
    MessageStart
    | BlockStart
    | BlockStop
    | TextDelta
    | ReasoningDelta
    | ToolUseStart
    | ToolInputDelta
    | ToolCall
    | ToolResultStart
    | ToolResultDelta
    | Citation
    | Stop
    | Usage
    | Metrics
    | Trace
    | PerformanceConfig
    | ServiceTier
    | RawEvent
)
