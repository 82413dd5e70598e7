"""Folding a reply's events into its aggregates, and deriving complete tool calls (no I/O).

A :class:`ReplyAssembler` is fed the typed events of one reply in order, from any API and
any family. It returns each event back, followed by what the event completes: a
:class:`~.events.ToolCall` when a tool-use block ends (its :class:`~.events.BlockStop`, or
the :class:`~.events.Stop` on wires that close no blocks). At any point :meth:`reply`
gives a :class:`Reply` of what has arrived.

Invariants:

- every event fed comes back, in order, exactly once; derived events follow the event
  that completed them;
- a tool-use block yields exactly one :class:`~.events.ToolCall`, whose ``input`` is the
  block's input JSON parsed (``{}`` for an empty input); input that is not JSON raises
  :class:`~.errors.ToolInputError`, naming the tool, and never a bare ``ValueError``;
- :meth:`ReplyAssembler.reply` never changes what was returned before it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ToolInputError
from .events import (
    BlockStop,
    Citation,
    Event,
    Metrics,
    PerformanceConfig,
    RawEvent,
    ReasoningDelta,
    ServiceTier,
    Stop,
    TextDelta,
    ToolCall,
    ToolInputDelta,
    ToolResultDelta,
    ToolResultStart,
    ToolUseStart,
    Trace,
    Usage,
)

__all__ = ["Reply", "ReplyAssembler", "ToolResult"]


@dataclass(frozen=True, slots=True)
class ToolResult:
    """The result of a tool Bedrock ran on the server side (e.g. a web search)."""

    tool_use_id: str
    content: tuple[Mapping[str, Any], ...]
    index: int = 0
    type: str | None = None
    status: str | None = None

    def as_block(self) -> dict[str, Any]:
        """Return the Converse ``toolResult`` content block, to echo in the next turn.

        Adjacent text pieces, as the stream split them, are joined into one text block.
        """
        content: list[dict[str, Any]] = []
        for piece in self.content:
            if "text" in piece and content and set(content[-1]) == {"text"}:
                content[-1] = {"text": content[-1]["text"] + str(piece["text"])}
            else:
                content.append(dict(piece))
        block: dict[str, Any] = {"toolUseId": self.tool_use_id, "content": content}
        if self.status is not None:
            block["status"] = self.status
        if self.type is not None:
            block["type"] = self.type
        return {"toolResult": block}


@dataclass(frozen=True)
class Reply:
    """Everything one model reply carried, folded: the aggregates of its events.

    ``message`` is the reply as a Converse assistant turn (text, reasoning with its
    signature, tool uses, server tool results, in block order): append it to the
    history for the next turn,
    as multi-turn reasoning and tool use require. ``time_to_first_token`` (seconds, from
    the first request to the first content, retries included) and
    ``output_tokens_per_second`` (output tokens over the time from the first content to
    the stop) are measured by the client; None where not measured (buffered calls) or
    not measurable.
    """

    text: str
    reasoning_text: str
    tool_calls: tuple[ToolCall, ...]
    tool_results: tuple[ToolResult, ...]
    citations: tuple[Citation, ...]
    stop: Stop | None
    usage: Usage | None
    metrics: Metrics | None
    trace: Trace | None
    latency: str | None
    """The latency mode used (``performanceConfig.latency``), where the response says."""
    service_tier: str | None
    """The service tier used, where the response says."""
    raw_events: tuple[RawEvent, ...]
    message: dict[str, Any]
    time_to_first_token: float | None = None
    output_tokens_per_second: float | None = None


@dataclass
class _Block:
    """One content block as it arrives."""

    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    signature: str | None = None
    redacted: bytes | None = None
    tool: ToolUseStart | None = None
    tool_input: list[str] = field(default_factory=list)
    call: ToolCall | None = None

    def content(self) -> dict[str, Any] | None:
        """Return the block as a Converse content block, or None if it has nothing to echo."""
        if self.call is not None:
            return self.call.as_block()
        if self.redacted is not None:
            return {"reasoningContent": {"redactedContent": self.redacted}}
        if self.reasoning or self.signature is not None:
            text: dict[str, Any] = {"text": "".join(self.reasoning)}
            if self.signature is not None:
                text["signature"] = self.signature
            return {"reasoningContent": {"reasoningText": text}}
        if self.text:
            return {"text": "".join(self.text)}
        return None


class ReplyAssembler:
    """Folds the events of one reply; see the module's invariants."""

    def __init__(self) -> None:
        self._blocks: dict[int, _Block] = {}
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._calls: list[ToolCall] = []
        self._results: dict[int, ToolResult] = {}
        self._citations: list[Citation] = []
        self._raw: list[RawEvent] = []
        self.stop: Stop | None = None
        self.usage: Usage | None = None
        self.metrics: Metrics | None = None
        self.trace: Trace | None = None
        self.latency: str | None = None
        self.service_tier: str | None = None

    def feed(self, event: Event) -> list[Event]:
        """Fold ``event``; return it, followed by the events it completes.

        Raises:
            ToolInputError: a tool-use block ended with input that is not JSON.
        """
        fold = _FOLD.get(type(event))
        derived = fold(self, event) if fold is not None else None
        return [event] if derived is None else [event, *derived]

    @property
    def text(self) -> str:
        """The reply's text so far (every text block, in arrival order)."""
        return "".join(self._text)

    @property
    def reasoning_text(self) -> str:
        """The reply's reasoning text so far."""
        return "".join(self._reasoning)

    @property
    def tool_calls(self) -> tuple[ToolCall, ...]:
        """The complete tool calls so far."""
        return tuple(self._calls)

    def tool_inputs(self) -> list[tuple[ToolUseStart, str]]:
        """Every tool-use block's start and its raw input JSON so far, complete or not."""
        return [(b.tool, "".join(b.tool_input)) for b in self._blocks.values() if b.tool]

    def reply(self) -> Reply:
        """Return a :class:`Reply` of everything folded so far."""
        blocks = {i: c for i, b in self._blocks.items() if (c := b.content()) is not None}
        blocks.update((i, result.as_block()) for i, result in self._results.items())
        content = [blocks[i] for i in sorted(blocks)]
        return Reply(
            text=self.text,
            reasoning_text=self.reasoning_text,
            tool_calls=self.tool_calls,
            tool_results=tuple(self._results[i] for i in sorted(self._results)),
            citations=tuple(self._citations),
            stop=self.stop,
            usage=self.usage,
            metrics=self.metrics,
            trace=self.trace,
            latency=self.latency,
            service_tier=self.service_tier,
            raw_events=tuple(self._raw),
            message={"role": "assistant", "content": content},
        )

    # -- folds, one per event type (see _FOLD) ----------------------------------------------

    def _block(self, index: int) -> _Block:
        block = self._blocks.get(index)
        if block is None:
            block = self._blocks[index] = _Block()
        return block

    def _on_text(self, event: TextDelta) -> None:
        self._text.append(event.text)
        self._block(event.index).text.append(event.text)

    def _on_reasoning(self, event: ReasoningDelta) -> None:
        block = self._block(event.index)
        if event.text:
            self._reasoning.append(event.text)
            block.reasoning.append(event.text)
        if event.signature is not None:
            block.signature = (block.signature or "") + event.signature
        if event.redacted is not None:
            block.redacted = (block.redacted or b"") + event.redacted

    def _on_tool_start(self, event: ToolUseStart) -> None:
        self._block(event.index).tool = event

    def _on_tool_input(self, event: ToolInputDelta) -> None:
        self._block(event.index).tool_input.append(event.json)

    def _on_block_stop(self, event: BlockStop) -> list[Event] | None:
        block = self._blocks.get(event.index)
        if block is None or block.tool is None or block.call is not None:
            return None
        return [self._complete(block)]

    def _on_stop(self, event: Stop) -> list[Event] | None:
        self.stop = event
        open_tools = [b for _, b in sorted(self._blocks.items()) if b.tool and b.call is None]
        return [self._complete(b) for b in open_tools] or None

    def _complete(self, block: _Block) -> ToolCall:
        tool = block.tool
        assert tool is not None
        raw = "".join(block.tool_input)
        try:
            value = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as exc:
            raise ToolInputError(
                f"the input of tool call {tool.id!r} to {tool.name!r} (block {tool.index}) "
                f"is not JSON ({exc.msg} at character {exc.pos}); a reply cut by max_tokens "
                "ends inside a tool call's input",
                tool_use_id=tool.id,
                name=tool.name,
                input_json=raw,
            ) from None
        block.call = ToolCall(tool.id, tool.name, value, tool.index, tool.type)
        self._calls.append(block.call)
        return block.call

    def _on_result_start(self, event: ToolResultStart) -> None:
        self._results[event.index] = ToolResult(
            event.tool_use_id, (), event.index, event.type, event.status
        )

    def _on_result_delta(self, event: ToolResultDelta) -> None:
        result = self._results.get(event.index) or ToolResult("", (), event.index)
        self._results[event.index] = ToolResult(
            result.tool_use_id,
            result.content + event.content,
            result.index,
            result.type,
            result.status,
        )

    def _on_citation(self, event: Citation) -> None:
        self._citations.append(event)

    def _on_usage(self, event: Usage) -> None:
        self.usage = event

    def _on_metrics(self, event: Metrics) -> None:
        # Keep the invoke stream's first-byte latency over a later total-only report.
        if self.metrics is None or event.first_byte_latency_ms is not None:
            self.metrics = event

    def _on_trace(self, event: Trace) -> None:
        self.trace = event

    def _on_latency(self, event: PerformanceConfig) -> None:
        self.latency = event.latency

    def _on_tier(self, event: ServiceTier) -> None:
        self.service_tier = event.type

    def _on_raw(self, event: RawEvent) -> None:
        self._raw.append(event)


_FOLD: dict[type, Callable[[ReplyAssembler, Any], list[Event] | None]] = {
    TextDelta: ReplyAssembler._on_text,
    ReasoningDelta: ReplyAssembler._on_reasoning,
    ToolUseStart: ReplyAssembler._on_tool_start,
    ToolInputDelta: ReplyAssembler._on_tool_input,
    BlockStop: ReplyAssembler._on_block_stop,
    Stop: ReplyAssembler._on_stop,
    ToolResultStart: ReplyAssembler._on_result_start,
    ToolResultDelta: ReplyAssembler._on_result_delta,
    Citation: ReplyAssembler._on_citation,
    Usage: ReplyAssembler._on_usage,
    Metrics: ReplyAssembler._on_metrics,
    Trace: ReplyAssembler._on_trace,
    PerformanceConfig: ReplyAssembler._on_latency,
    ServiceTier: ReplyAssembler._on_tier,
    RawEvent: ReplyAssembler._on_raw,
}
"""How each event type is folded; MessageStart, BlockStart and ToolCall need no folding."""
