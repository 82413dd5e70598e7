"""The stream objects a call returns: :class:`ReplyStream` (events) and its text view.

Invariants:

- nothing is retried once content has reached the caller: every event that comes before
  the first content (:class:`~.events.MessageStart`, :class:`~.events.BlockStart`, an
  empty block's :class:`~.events.BlockStop`, a raw event ...) is held back until the
  first content or the :class:`~.events.Stop` arrives, so a failure before any content
  is retried and the caller never sees an event twice;
- a stream that ends without its :class:`~.events.Stop` raises
  :class:`~.errors.IncompleteStreamError`: a truncated reply never passes for a whole one;
- closing the stream (or leaving a ``yield from`` early) closes the HTTP response.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .assembly import Reply, ReplyAssembler
from .errors import BedrockError, IncompleteStreamError
from .events import (
    Citation,
    Event,
    Metrics,
    ReasoningDelta,
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

if TYPE_CHECKING:
    from .retry import RetryPolicy

__all__ = ["ReplyStream", "TextStream"]

Call = Callable[[], Generator[Event, None, None]]
"""One attempt: open the response and generate its events; closing it closes the response."""

_CONTENT = (
    TextDelta,
    ReasoningDelta,
    ToolUseStart,
    ToolInputDelta,
    ToolResultStart,
    ToolResultDelta,
    Citation,
)
"""The events whose first arrival is the first token (``time_to_first_token``)."""
_RELEASE = (*_CONTENT, Stop)
"""The events that release the held ones: what came before them can no longer be retried."""


class ReplyStream:
    """Iterator of a reply's typed events; its aggregates are kept as they arrive.

    Yields every event Bedrock sent, in order (see :mod:`.events`), plus a
    :class:`~.events.ToolCall` after each tool-use block. Raises a
    :class:`~.errors.BedrockError` subclass on an exception frame or transport failure,
    :class:`~.errors.ToolInputError` on a tool call whose input is not JSON, and
    :class:`~.errors.IncompleteStreamError` when the stream ends without a stop event.
    """

    def __init__(self, call: Call, retry: RetryPolicy) -> None:
        self._call = call
        self._retry = retry
        self._assembler = ReplyAssembler()
        self._started: float | None = None
        self._first: float | None = None
        self._stopped: float | None = None
        self._gen = self._run()
        self.attempts = 0
        """Requests made so far (retries included)."""

    def __iter__(self) -> ReplyStream:
        return self

    def __next__(self) -> Event:
        return next(self._gen)

    def close(self) -> None:
        """Stop reading and close the HTTP response."""
        self._gen.close()

    @property
    def text(self) -> str:
        """The text so far."""
        return self._assembler.text

    @property
    def reasoning_text(self) -> str:
        """The reasoning text so far (never part of :attr:`text`)."""
        return self._assembler.reasoning_text

    @property
    def tool_calls(self) -> tuple[ToolCall, ...]:
        """The complete tool calls so far."""
        return self._assembler.tool_calls

    @property
    def stop(self) -> Stop | None:
        """The stop event, once received."""
        return self._assembler.stop

    @property
    def usage(self) -> Usage | None:
        """Token usage, once received."""
        return self._assembler.usage

    @property
    def metrics(self) -> Metrics | None:
        """Bedrock's invocation metrics, once received."""
        return self._assembler.metrics

    @property
    def trace(self) -> Trace | None:
        """Converse's trace (e.g. guardrail assessments), once received."""
        return self._assembler.trace

    @property
    def time_to_first_token(self) -> float | None:
        """Seconds from the first request to the first content (retries included)."""
        if self._first is None or self._started is None:
            return None
        return self._first - self._started

    @property
    def output_tokens_per_second(self) -> float | None:
        """Output tokens over the seconds from the first content to the stop, once known."""
        usage, first, stopped = self.usage, self._first, self._stopped
        if usage is None or first is None or stopped is None or stopped <= first:
            return None
        return usage.output_tokens / (stopped - first)

    def reply(self) -> Reply:
        """Return the :class:`~.assembly.Reply` of everything received so far, with timings."""
        return replace(
            self._assembler.reply(),
            time_to_first_token=self.time_to_first_token,
            output_tokens_per_second=self.output_tokens_per_second,
        )

    def tool_inputs(self) -> list[tuple[ToolUseStart, str]]:
        """Every tool-use block's start and raw input JSON so far, complete or not."""
        return self._assembler.tool_inputs()

    def _run(self) -> Generator[Event, None, None]:
        clock = self._retry.clock
        started = self._started = clock()
        attempt = 0
        while True:
            self.attempts = attempt + 1
            self._assembler = assembler = ReplyAssembler()
            self._first = self._stopped = None
            held: list[Event] | None = []
            events = self._call()
            try:
                for event in events:
                    out = assembler.feed(event)
                    if self._first is None and isinstance(event, _CONTENT):
                        self._first = clock()
                    elif type(event) is Stop:
                        self._stopped = clock()
                    if held is not None:
                        if not isinstance(event, _RELEASE):
                            held += out
                            continue
                        out, held = held + out, None
                    yield from out
            except BedrockError as exc:
                delay = None
                if held is not None and exc.retryable:
                    delay = self._retry.delay(attempt, started)
                if delay is None:
                    raise
                events.close()  # release the connection before waiting
                self._retry.sleep(delay)
                attempt += 1
                continue
            finally:
                events.close()  # closes the HTTP response, also on early exit
            if assembler.stop is None:
                raise IncompleteStreamError(
                    "the stream ended without a stop event; the answer is truncated"
                )
            return


class TextStream:
    """The text view of a :class:`ReplyStream`: an iterator of the text deltas.

    ``stop``, ``usage``, ``metrics``, ``trace`` are set as they arrive; :attr:`events` is
    the underlying stream, for everything else. Raises what :class:`ReplyStream` raises.
    """

    def __init__(self, call: Call, retry: RetryPolicy) -> None:
        self.events = ReplyStream(call, retry)
        """The stream of every event, which this view reads."""
        self._gen = self._texts()

    def _texts(self) -> Generator[str, None, None]:
        try:
            for event in self.events:
                if type(event) is TextDelta and event.text:
                    yield event.text
        finally:
            self.events.close()

    def __iter__(self) -> TextStream:
        return self

    def __next__(self) -> str:
        return next(self._gen)

    def close(self) -> None:
        """Stop reading and close the HTTP response."""
        self._gen.close()

    @property
    def attempts(self) -> int:
        """Requests made so far (retries included)."""
        return self.events.attempts

    @property
    def stop(self) -> Stop | None:
        """The stop event, once received."""
        return self.events.stop

    @property
    def usage(self) -> Usage | None:
        """Token usage, once received."""
        return self.events.usage

    @property
    def trace(self) -> Trace | None:
        """ConverseStream's trace (e.g. guardrail assessments), once received."""
        return self.events.trace

    @property
    def metrics(self) -> Metrics | None:
        """Invocation metrics, once received."""
        return self.events.metrics

    @property
    def reasoning_text(self) -> str:
        """Concatenated reasoning text (never part of the yielded text)."""
        return self.events.reasoning_text

    @property
    def tool_uses(self) -> list[dict[str, Any]]:
        """``[{id, name, input_json}]`` per tool-use block (see ``events.tool_calls``)."""
        return [
            {"id": start.id, "name": start.name, "input_json": raw}
            for start, raw in self.events.tool_inputs()
        ]
