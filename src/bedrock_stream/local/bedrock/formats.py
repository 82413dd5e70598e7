"""Bedrock's responses: the answer, event-stream frames and Converse, for every family (no I/O).

Each family's own invoke chunks and body are in its :mod:`.family` module, found through
:data:`~.family.FAMILIES`; this module adds what they all share. Shapes follow the recorded
responses in ``tests/data/bedrock-recordings`` and
``shared/research/bedrock-streaming-formats.md``. Everything here is a pure function of the
request, the generated answer and the time: the server only moves bytes.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bedrock_stream.bedrock.eventstream import encode_message

from .family import FAMILIES
from .family.base import Piece, StopNames, converse_usage, stop_name
from .model import Generation, generate
from .schema import encode_json

if TYPE_CHECKING:
    from .validation import ModelRequest

__all__ = [
    "EVENTSTREAM",
    "Answer",
    "Part",
    "answer",
    "chunk_frame",
    "converse_body",
    "converse_events",
    "converse_stream",
    "event_frame",
    "exception_frame",
    "invoke_body",
    "invoke_chunks",
    "invoke_stream",
]

EVENTSTREAM = "application/vnd.amazon.eventstream"
_PAD = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_json = encode_json


@dataclass(frozen=True)
class Answer:
    """A request and its generated answer, with everything a response body needs."""

    request: ModelRequest
    generation: Generation
    first_byte_ms: int
    latency_ms: int
    seed: bytes
    created: int
    """Seconds since the epoch (OpenAI-style ``created``)."""

    @property
    def input_tokens(self) -> int:
        """Input tokens."""
        return self.request.input_tokens

    @property
    def output_tokens(self) -> int:
        """Output tokens."""
        return self.generation.output_tokens

    def ident(self, label: str, size: int = 22) -> str:
        """Return a deterministic base-62 identifier derived from the answer's seed."""
        number = int.from_bytes(hashlib.sha256(self.seed + label.encode()).digest(), "big")
        out = []
        for _ in range(size):
            number, digit = divmod(number, 62)
            out.append(_PAD[digit])
        return "".join(out)

    def uuid(self, label: str) -> str:
        """Return a deterministic UUID-shaped identifier."""
        h = hashlib.sha256(self.seed + label.encode()).hexdigest()
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"

    def padding(self, index: int) -> str:
        """Return frame ``index``'s ``p`` padding: a prefix of a-zA-Z0-9, 2 to 61 characters."""
        digest = hashlib.sha256(self.seed + b"p" + index.to_bytes(4, "big")).digest()
        return _PAD[: 2 + digest[0] % 60]


def answer(request: ModelRequest, *, now: float, generation: Generation | None = None) -> Answer:
    """Generate the deterministic answer to ``request`` (or wrap ``generation``)."""
    family = FAMILIES[request.family]
    if generation is None:
        generation = generate(
            request.prompt,
            max_tokens=request.max_tokens,
            stop_sequences=request.stop_sequences,
            reasoning=family.reasoning and request.operation.startswith("invoke"),
        )
    first, latency = family.profile.latency_ms(generation.output_tokens)
    seed = hashlib.sha256(f"{request.model_id}\n{request.prompt}".encode()).digest()
    return Answer(request, generation, first, latency, seed, int(now))


_CONVERSE_STOPS: StopNames = ("end_turn", "max_tokens", "stop_sequence")


def _converse_stop(generation: Generation) -> str:
    if generation.stop == "guardrail_intervened":  # Converse says so; invoke keeps the model's
        return "guardrail_intervened"
    return stop_name(_CONVERSE_STOPS, generation)


# -- invoke streams -----------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One event-stream frame and the output tokens it carries."""

    frame: bytes
    tokens: int = 0


def _text_chunks(a: Answer) -> list[Piece]:
    tokens = a.generation.tokens
    profile = FAMILIES[a.request.family].profile
    return [("".join(tokens[s:e]), s, e) for s, e in profile.chunks(len(tokens))]


def _metrics(a: Answer) -> dict[str, int]:
    metrics = {
        "inputTokenCount": a.input_tokens,
        "outputTokenCount": a.output_tokens,
        "invocationLatency": a.latency_ms,
        "firstByteLatency": a.first_byte_ms,
    }
    if FAMILIES[a.request.family].cache_counts:
        metrics.update(cacheReadInputTokenCount=0, cacheWriteInputTokenCount=0)
    return metrics


def invoke_chunks(a: Answer) -> list[tuple[dict[str, Any], int]]:
    """Build the inner chunk JSON objects of an invoke stream, with their token counts.

    Bedrock's ``amazon-bedrock-invocationMetrics`` is the last key of the last chunk;
    after a guardrail intervention, chunks carry ``amazon-bedrock-guardrailAction``.
    """
    build = FAMILIES[a.request.family].invoke_chunks
    if build is None:
        raise ValueError(f"{a.request.family} does not stream")
    chunks = build(a, _text_chunks(a))
    chunks[-1].body["amazon-bedrock-invocationMetrics"] = _metrics(a)
    cut = a.generation.intervened_at
    for index, chunk in enumerate(chunks):
        if cut is not None and ((chunk.tokens and chunk.stop > cut) or index == len(chunks) - 1):
            chunk.body["amazon-bedrock-guardrailAction"] = "INTERVENED"
    return [(c.body, c.tokens) for c in chunks]


def chunk_frame(inner: Mapping[str, Any], padding: str) -> bytes:
    """Encode an InvokeModelWithResponseStream ``chunk`` frame carrying ``inner``."""
    payload = {"bytes": base64.b64encode(_json(inner)).decode(), "p": padding}
    return encode_message(_event_headers("chunk"), _json(payload))


def event_frame(name: str, payload: Mapping[str, Any], padding: str) -> bytes:
    """Encode a ConverseStream event frame: sorted keys, ``p`` padding inside."""
    return encode_message(_event_headers(name), _json({**payload, "p": padding}, sort=True))


def exception_frame(code: str, message: str) -> bytes:
    """Encode an in-stream exception frame (lowerCamelCase ``code``)."""
    headers = [
        (":exception-type", code),
        (":content-type", "application/json"),
        (":message-type", "exception"),
    ]
    return encode_message(headers, _json({"message": message}))


def _event_headers(event_type: str) -> list[tuple[str, str | bool | int]]:
    return [
        (":event-type", event_type),
        (":content-type", "application/json"),
        (":message-type", "event"),
    ]


def invoke_stream(a: Answer) -> list[Part]:
    """Build the frames of an InvokeModelWithResponseStream answer."""
    return [
        Part(chunk_frame(body, a.padding(i)), tokens)
        for i, (body, tokens) in enumerate(invoke_chunks(a))
    ]


# -- converse ----------------------------------------------------------------------------------


def _guardrail_trace() -> dict[str, Any]:
    blocked = {"action": "BLOCKED", "confidence": "HIGH", "type": "MISCONDUCT", "detected": True}
    return {
        "guardrail": {
            "outputAssessments": {"emulator": [{"contentPolicy": {"filters": [blocked]}}]}
        }
    }


def converse_events(a: Answer) -> list[tuple[str, dict[str, Any], int]]:
    """Build ConverseStream events ``(name, payload, tokens)``; text gets no block start."""
    out: list[tuple[str, dict[str, Any], int]] = [("messageStart", {"role": "assistant"}, 0)]
    pieces = _text_chunks(a)
    if FAMILIES[a.request.family].trailing_empty_delta:
        pieces.append(("", 0, 0))
    for text, s, e in pieces:
        out.append(("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": text}}, e - s))
    out.append(("contentBlockStop", {"contentBlockIndex": 0}, 0))
    out.append(("messageStop", {"stopReason": _converse_stop(a.generation)}, 0))
    metadata: dict[str, Any] = {"metrics": {"latencyMs": a.latency_ms}, "usage": converse_usage(a)}
    if a.generation.stop == "guardrail_intervened":
        metadata["trace"] = _guardrail_trace()
    out.append(("metadata", metadata, 0))
    return out


def converse_stream(a: Answer) -> list[Part]:
    """Build the frames of a ConverseStream answer."""
    return [
        Part(event_frame(name, payload, a.padding(i)), tokens)
        for i, (name, payload, tokens) in enumerate(converse_events(a))
    ]


def converse_body(a: Answer) -> dict[str, Any]:
    """Build a Converse response body."""
    body: dict[str, Any] = {
        "metrics": {"latencyMs": a.latency_ms},
        "output": {"message": {"content": [{"text": a.generation.text}], "role": "assistant"}},
        "stopReason": _converse_stop(a.generation),
        "usage": converse_usage(a),
    }
    if a.generation.stop == "guardrail_intervened":
        body["trace"] = _guardrail_trace()
    return body


# -- InvokeModel ------------------------------------------------------------------------------


def invoke_body(a: Answer) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Build an InvokeModel response body and its ``X-Amzn-Bedrock-*`` headers."""
    family = FAMILIES[a.request.family]
    body = family.invoke_body(a)
    if a.generation.stop == "guardrail_intervened":
        body["amazon-bedrock-guardrailAction"] = "INTERVENED"
    headers = [
        ("X-Amzn-Bedrock-Invocation-Latency", str(a.latency_ms)),
        ("X-Amzn-Bedrock-Output-Token-Count", str(a.output_tokens)),
        ("X-Amzn-Bedrock-Input-Token-Count", str(a.input_tokens)),
    ]
    if family.cache_counts:
        headers += [
            ("X-Amzn-Bedrock-Cache-Read-Input-Token-Count", "0"),
            ("X-Amzn-Bedrock-Cache-Write-Input-Token-Count", "0"),
        ]
    return body, headers
