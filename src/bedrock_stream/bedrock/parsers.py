"""InvokeModel(-WithResponseStream) parsing for any model family; no I/O.

A :class:`ChunkParser` is fed the decoded JSON of each chunk in order and returns
typed events. Unknown keys are ignored; a chunk without text is normal. The family's
own shapes are its module's (:mod:`.family`); Bedrock's keys
(``amazon-bedrock-invocationMetrics``, ``amazon-bedrock-guardrailAction``,
``amazon-bedrock-trace``) are handled here, for every family. After a guardrail
intervention a stream has exactly one stop, ``guardrail_intervened``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bedrock_stream.protocol.headers import header

from .errors import SHAPE_ERRORS, malformed
from .events import Event, Metrics, Stop, Trace, Usage
from .family import CODECS

if TYPE_CHECKING:
    from .families import Family

__all__ = ["ChunkParser", "parse_invoke_response"]


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


class ChunkParser:
    """Stateful parser for one invoke stream of one family."""

    __slots__ = ("_family", "_intervened", "_parse", "_stop_raw", "_stopped")

    def __init__(self, family: Family) -> None:
        self._family = family
        self._stop_raw: str | None = None
        self._intervened = False
        self._stopped = False
        self._parse = CODECS[family].new_stream()

    def feed(self, chunk: Any) -> list[Event]:
        """Return the events of one decoded chunk.

        Raises:
            MalformedChunkError: the chunk is JSON, but not of the family's shape
                (a field of the wrong type). Unknown keys are ignored, never an error.
        """
        try:
            return self._feed(chunk)
        except SHAPE_ERRORS as exc:
            raise malformed(f"a {self._family} chunk", exc) from exc

    def _feed(self, chunk: Any) -> list[Event]:
        # ``type(...) is dict`` first: json.loads gives dicts, and an ABC check costs more.
        if type(chunk) is not dict and not isinstance(chunk, Mapping):  # e.g. "[DONE]"
            return []
        out = self._parse(chunk)
        metrics = chunk.get("amazon-bedrock-invocationMetrics")
        if metrics is not None and isinstance(metrics, Mapping):
            out.append(
                Usage(
                    input_tokens=int(metrics.get("inputTokenCount") or 0),
                    output_tokens=int(metrics.get("outputTokenCount") or 0),
                    cache_read_tokens=_int(metrics.get("cacheReadInputTokenCount")),
                    cache_write_tokens=_int(metrics.get("cacheWriteInputTokenCount")),
                )
            )
            out.append(
                Metrics(
                    first_byte_latency_ms=_int(metrics.get("firstByteLatency")),
                    invocation_latency_ms=_int(metrics.get("invocationLatency")),
                )
            )
        if (trace := chunk.get("amazon-bedrock-trace")) is not None:
            out.append(Trace(trace))
        if chunk.get("amazon-bedrock-guardrailAction") == "INTERVENED":
            self._intervened = True
        if self._intervened:
            return self._one_guardrail_stop(out, final=metrics is not None)
        return out

    def finish(self) -> list[Event]:
        """Return what the stream's end completes: after an intervention, its one stop.

        Call it once the stream has ended cleanly (not after an error).
        """
        if self._intervened and not self._stopped:
            self._stopped = True
            return [Stop("guardrail_intervened", self._stop_raw)]
        return []

    def _one_guardrail_stop(self, out: list[Event], *, final: bool) -> list[Event]:
        """After an intervention, the stream's one stop: ``guardrail_intervened``.

        Bedrock flags every chunk from the intervention on while text goes on (the
        guardrail's message), so the model's own stops are held back; the one stop comes on
        the last chunk (the one with the invocation metrics), or at :meth:`finish`, with the
        model's own reason as ``raw``.
        """
        kept: list[Event] = []
        for event in out:
            if isinstance(event, Stop):
                self._stop_raw = event.raw
            else:
                kept.append(event)
        if final and not self._stopped:
            self._stopped = True
            kept.insert(_before_totals(kept), Stop("guardrail_intervened", self._stop_raw))
        return kept


def _before_totals(events: list[Event]) -> int:
    """Return the position before the usage, metrics and trace that end a reply."""
    position = len(events)
    while position and isinstance(events[position - 1], (Usage, Metrics, Trace)):
        position -= 1
    return position


def _buffered_guardrail(body: Mapping[str, Any], out: list[Event]) -> list[Event]:
    """Add a body's trace; make its stop ``guardrail_intervened`` if the guardrail acted."""
    if (trace := body.get("amazon-bedrock-trace")) is not None and not any(
        isinstance(e, Trace) for e in out
    ):
        out.append(Trace(trace))
    if body.get("amazon-bedrock-guardrailAction") != "INTERVENED":
        return out
    return [Stop("guardrail_intervened", e.raw) if isinstance(e, Stop) else e for e in out]


def parse_invoke_response(
    family: Family, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> list[Event]:
    """Events of a buffered InvokeModel response body (usage from the token-count headers).

    Raises:
        MalformedChunkError: the body is not of the family's shape.
    """
    try:
        out = CODECS[family].parse_body(body)
        if out is None:
            parser = ChunkParser(family)
            out = parser.feed(body) + parser.finish()
        out = _buffered_guardrail(body, out)
        fields = list((headers or {}).items())
        input_tokens = header(fields, "x-amzn-bedrock-input-token-count")
        if input_tokens is not None:
            output_tokens = header(fields, "x-amzn-bedrock-output-token-count")
            cache_read = header(fields, "x-amzn-bedrock-cache-read-input-token-count")
            cache_write = header(fields, "x-amzn-bedrock-cache-write-input-token-count")
            out.append(
                Usage(
                    input_tokens=int(input_tokens),
                    output_tokens=int(output_tokens or 0),
                    cache_read_tokens=_int(cache_read),
                    cache_write_tokens=_int(cache_write),
                )
            )
        latency = header(fields, "x-amzn-bedrock-invocation-latency")
        if latency is not None:
            out.append(Metrics(invocation_latency_ms=int(latency)))
        return out
    except SHAPE_ERRORS as exc:
        raise malformed("an InvokeModel response body", exc) from exc
