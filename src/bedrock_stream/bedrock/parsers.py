"""InvokeModel(-WithResponseStream) parsing for any model family; no I/O.

A :class:`ChunkParser` is fed the decoded JSON of each chunk in order and returns
typed events. Unknown keys are ignored; a chunk without text is normal. The family's
own shapes are its module's (:mod:`.family`); Bedrock's keys
(``amazon-bedrock-invocationMetrics``, ``amazon-bedrock-guardrailAction``) are handled
here, for every family.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bedrock_stream.protocol.headers import header

from .errors import SHAPE_ERRORS, malformed
from .events import Event, Metrics, Stop, Usage
from .family import CODECS

if TYPE_CHECKING:
    from .families import Family

__all__ = ["ChunkParser", "parse_invoke_response"]


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


class ChunkParser:
    """Stateful parser for one invoke stream of one family."""

    __slots__ = ("_family", "_parse", "_stop_raw")

    def __init__(self, family: Family) -> None:
        self._family = family
        self._stop_raw: str | None = None
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
        for event in out:
            if isinstance(event, Stop):
                self._stop_raw = event.raw
        if chunk.get("amazon-bedrock-guardrailAction") == "INTERVENED":
            # A terminal event of its own; the model's own reason (if any) stays raw.
            out = [e for e in out if not isinstance(e, Stop)]
            out.append(Stop("guardrail_intervened", self._stop_raw))
        return out


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
            out = ChunkParser(family).feed(body)
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
