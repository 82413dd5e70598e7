"""InvokeModelWithResponseStream chunk parsers, one per model family; no I/O.

A :class:`ChunkParser` is fed the decoded JSON of each chunk in order and returns
typed events. Unknown keys are ignored; a chunk without text is normal. Bedrock's
own keys (``amazon-bedrock-invocationMetrics``, ``amazon-bedrock-guardrailAction``)
are handled for every family.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .converse import converse_events
from .errors import SHAPE_ERRORS, malformed
from .events import (
    Event,
    Metrics,
    ReasoningDelta,
    Stop,
    TextDelta,
    ToolInputDelta,
    ToolUseStart,
    Usage,
    normalize_stop_reason,
)

if TYPE_CHECKING:
    from .families import Family

__all__ = ["ChunkParser", "parse_invoke_response"]

_THINK_END = "</think>"


def _stop(raw: Any) -> Stop:
    text = None if raw is None else str(raw)
    return Stop(normalize_stop_reason(text), text)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


class ChunkParser:
    """Stateful parser for one invoke stream of one family."""

    __slots__ = (
        "_after_think",
        "_family",
        "_in_think",
        "_parse",
        "_pending",
        "_saw_metrics",
        "_stop_raw",
    )

    def __init__(self, family: Family) -> None:
        self._family = family
        self._in_think = family == "deepseek"
        self._after_think = False
        self._pending = ""
        self._saw_metrics = False
        self._stop_raw: str | None = None
        self._parse: Callable[[Mapping[str, Any]], list[Event]] = getattr(
            self, "_" + family.replace("-", "_")
        )

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
            self._saw_metrics = True
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

    # -- families -------------------------------------------------------------

    def _anthropic(self, chunk: Mapping[str, Any]) -> list[Event]:
        kind = chunk.get("type")
        if kind is None and "completion" in chunk:  # legacy text completions
            out: list[Event] = []
            if chunk["completion"]:
                out.append(TextDelta(str(chunk["completion"])))
            if chunk.get("stop_reason") is not None:
                out.append(_stop(chunk["stop_reason"]))
            return out
        if kind == "content_block_start":
            block = chunk.get("content_block") or {}
            if block.get("type") == "tool_use":
                index = int(chunk.get("index") or 0)
                return [ToolUseStart(str(block.get("id")), str(block.get("name")), index)]
            if block.get("type") == "redacted_thinking":
                return [ReasoningDelta(redacted=str(block.get("data") or "").encode())]
            return []
        if kind == "content_block_delta":
            delta = chunk.get("delta") or {}
            dtype = delta.get("type")
            if dtype == "text_delta":
                return [TextDelta(str(delta["text"]))] if delta.get("text") else []
            if dtype == "input_json_delta":
                index = int(chunk.get("index") or 0)
                return [ToolInputDelta(str(delta.get("partial_json") or ""), index)]
            if dtype == "thinking_delta":
                return [ReasoningDelta(text=str(delta.get("thinking") or ""))]
            if dtype == "signature_delta":
                return [ReasoningDelta(signature=str(delta.get("signature")))]
            return []
        if kind == "message_delta":
            raw = (chunk.get("delta") or {}).get("stop_reason")
            return [_stop(raw)] if raw is not None else []
        return []

    def _amazon_nova(self, chunk: Mapping[str, Any]) -> list[Event]:
        return converse_events(chunk)

    def _amazon_titan_text(self, chunk: Mapping[str, Any]) -> list[Event]:
        out: list[Event] = []
        if chunk.get("outputText"):
            out.append(TextDelta(str(chunk["outputText"])))
        if chunk.get("completionReason") is not None:
            out.append(_stop(chunk["completionReason"]))
        if (
            "amazon-bedrock-invocationMetrics" not in chunk
            and chunk.get("totalOutputTextTokenCount") is not None
        ):
            out.append(
                Usage(
                    input_tokens=int(chunk.get("inputTextTokenCount") or 0),
                    output_tokens=int(chunk["totalOutputTextTokenCount"]),
                )
            )
        return out

    def _meta_llama(self, chunk: Mapping[str, Any]) -> list[Event]:
        out: list[Event] = []
        if chunk.get("generation"):
            out.append(TextDelta(str(chunk["generation"])))
        if chunk.get("stop_reason") is not None:
            out.append(_stop(chunk["stop_reason"]))
        return out

    def _mistral(self, chunk: Mapping[str, Any]) -> list[Event]:
        out: list[Event] = []
        for output in chunk.get("outputs") or ():  # text completions
            if output.get("text"):
                out.append(TextDelta(str(output["text"])))
            if output.get("stop_reason") is not None:
                out.append(_stop(output["stop_reason"]))
        for choice in chunk.get("choices") or ():  # chat
            message = choice.get("message") or choice.get("delta") or {}
            if message.get("content"):
                out.append(TextDelta(str(message["content"])))
            raw = choice.get("stop_reason") or choice.get("finish_reason")
            if raw is not None:
                out.append(_stop(raw))
        return out

    def _cohere_command(self, chunk: Mapping[str, Any]) -> list[Event]:
        out: list[Event] = []
        if not chunk.get("is_finished") and chunk.get("text"):
            out.append(TextDelta(str(chunk["text"])))
        generations = chunk.get("generations") or ()
        for generation in generations:  # the whole answer in one chunk
            if generation.get("text"):
                out.append(TextDelta(str(generation["text"])))
        raw = chunk.get("finish_reason")
        if raw is None and generations:
            raw = generations[-1].get("finish_reason")
        if raw is not None:
            out.append(_stop(raw))
        return out

    def _cohere_command_r(self, chunk: Mapping[str, Any]) -> list[Event]:
        kind = chunk.get("event_type")
        if kind == "text-generation" and chunk.get("text"):
            return [TextDelta(str(chunk["text"]))]
        if kind == "stream-end":
            return [_stop(chunk.get("finish_reason"))]
        return []

    def _openai(self, chunk: Mapping[str, Any]) -> list[Event]:
        out: list[Event] = []
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
            if reasoning:
                out.append(ReasoningDelta(text=str(reasoning)))
            if delta.get("content"):
                out.append(TextDelta(str(delta["content"])))
            if choice.get("finish_reason") is not None:
                out.append(_stop(choice["finish_reason"]))
        usage = chunk.get("usage")
        if (
            isinstance(usage, Mapping)
            and "amazon-bedrock-invocationMetrics" not in chunk
            and not self._saw_metrics
            and usage.get("prompt_tokens") is not None
        ):
            out.append(Usage(int(usage["prompt_tokens"]), int(usage.get("completion_tokens") or 0)))
        return out

    _ai21_jamba = _openai

    def _ai21_jurassic(self, chunk: Mapping[str, Any]) -> list[Event]:
        # Jurassic-2 does not stream; this is its InvokeModel body.
        out: list[Event] = []
        for completion in chunk.get("completions") or ():
            text = (completion.get("data") or {}).get("text")
            if text:
                out.append(TextDelta(str(text)))
            out.append(_stop((completion.get("finishReason") or {}).get("reason")))
        return out

    def _deepseek(self, chunk: Mapping[str, Any]) -> list[Event]:
        out: list[Event] = []
        for choice in chunk.get("choices") or ():
            if choice.get("text"):
                out.extend(self._split_think(str(choice["text"])))
            raw = choice.get("stop_reason") or choice.get("finish_reason")
            if raw is not None:
                out.extend(self._flush_think())
                out.append(_stop(raw))
        return out

    def _split_think(self, text: str) -> list[Event]:
        if not self._in_think:
            if self._after_think:  # the newlines after "</think>" may come in later chunks
                text = text.lstrip("\n")
                self._after_think = not text
            return [TextDelta(text)] if text else []
        text = self._pending + text
        self._pending = ""
        head, sep, tail = text.partition(_THINK_END)
        out: list[Event] = []
        if sep:
            self._in_think = False
            self._after_think = True
            if head:
                out.append(ReasoningDelta(text=head))
            return out + self._split_think(tail)
        # Keep a possible partial "</think>" for the next chunk.
        keep = next(
            (n for n in range(len(_THINK_END) - 1, 0, -1) if head.endswith(_THINK_END[:n])), 0
        )
        if keep:
            self._pending, head = head[-keep:], head[:-keep]
        if head:
            out.append(ReasoningDelta(text=head))
        return out

    def _flush_think(self) -> list[Event]:
        pending, self._pending = self._pending, ""
        return [ReasoningDelta(text=pending)] if pending else []


def parse_invoke_response(
    family: Family, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> list[Event]:
    """Events of a buffered InvokeModel response body (usage from the token-count headers).

    Raises:
        MalformedChunkError: the body is not of the family's shape.
    """
    try:
        out: list[Event]
        if family == "amazon-nova":
            from .converse import converse_response_events

            out = [e for e in converse_response_events(body) if not isinstance(e, Usage)]
        elif family == "anthropic" and "content" in body:
            out = []
            for index, block in enumerate(body.get("content") or ()):
                if block.get("type") == "text" and block.get("text"):
                    out.append(TextDelta(str(block["text"])))
                elif block.get("type") == "tool_use":
                    out.append(ToolUseStart(str(block.get("id")), str(block.get("name")), index))
            out.append(_stop(body.get("stop_reason")))
        elif family == "amazon-titan-text":
            out = []
            for result in body.get("results") or ():
                if result.get("outputText"):
                    out.append(TextDelta(str(result["outputText"])))
                out.append(_stop(result.get("completionReason")))
        elif family == "cohere-command-r":
            out = [TextDelta(str(body["text"]))] if body.get("text") else []
            out.append(_stop(body.get("finish_reason")))
        elif family in ("openai", "ai21-jamba"):
            out = []
            for choice in body.get("choices") or ():
                content = (choice.get("message") or {}).get("content")
                if content:
                    out.append(TextDelta(str(content)))
                out.append(_stop(choice.get("finish_reason")))
        else:
            out = ChunkParser(family).feed(body)
        lowered = {k.lower(): v for k, v in (headers or {}).items()}
        if "x-amzn-bedrock-input-token-count" in lowered:
            out.append(
                Usage(
                    input_tokens=int(lowered["x-amzn-bedrock-input-token-count"]),
                    output_tokens=int(lowered.get("x-amzn-bedrock-output-token-count") or 0),
                )
            )
        if "x-amzn-bedrock-invocation-latency" in lowered:
            out.append(
                Metrics(invocation_latency_ms=int(lowered["x-amzn-bedrock-invocation-latency"]))
            )
        return out
    except SHAPE_ERRORS as exc:
        raise malformed("an InvokeModel response body", exc) from exc
