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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bedrock_stream.bedrock.eventstream import encode_message

from . import guardrails
from .converse_format import converse_body, converse_events
from .family import FAMILIES
from .schema import encode_json
from .turn import Turn, compose

if TYPE_CHECKING:
    from .family.base import Piece
    from .model import Generation
    from .prompt_cache import PromptCache
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
    "echo_headers",
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
    turn: Turn = field(default_factory=Turn)
    """Reasoning, tool calls, the citation, cache use and a guardrail's intervention."""

    @property
    def input_tokens(self) -> int:
        """Input tokens not read from or written to the prompt cache."""
        cached = self.turn.cache_read + self.turn.cache_write
        return max(self.request.input_tokens - cached, 0)

    @property
    def output_tokens(self) -> int:
        """Output tokens: the text's, the reasoning's and the tool inputs'."""
        return self.generation.output_tokens + self.turn.output_tokens

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


def answer(
    request: ModelRequest,
    *,
    now: float,
    generation: Generation | None = None,
    turn: Turn | None = None,
    cache: PromptCache | None = None,
) -> Answer:
    """Generate the deterministic answer to ``request`` (or wrap ``generation`` and ``turn``).

    ``cache`` is the emulator's prompt cache (None: cache points read and write nothing).
    """
    family = FAMILIES[request.family]
    seed = hashlib.sha256(f"{request.model_id}\n{request.prompt}".encode()).digest()
    if generation is None:
        generation, turn = compose(
            request,
            now=now,
            seed=seed,
            profile=family.profile,
            reasoning_text=family.reasoning and request.operation.startswith("invoke"),
            cache=cache,
        )
    turn = turn or Turn()
    first, latency = family.profile.latency_ms(generation.output_tokens + turn.output_tokens)
    return Answer(request, generation, first, latency, seed, int(now), turn)


# -- invoke streams -----------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One event-stream frame and the output tokens it carries."""

    frame: bytes
    tokens: int = 0
    kind: str = ""
    """The event's kind, for faults that fire after the Nth event of a kind."""


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
    if FAMILIES[a.request.family].cache_counts or a.turn.cached:
        metrics.update(
            cacheReadInputTokenCount=a.turn.cache_read,
            cacheWriteInputTokenCount=a.turn.cache_write,
        )
    return metrics


def _invoke_trace(a: Answer) -> dict[str, Any] | None:
    guard = a.request.conversation.guardrail
    if a.turn.blocked is None or guard is None:
        return None
    return guardrails.invoke_trace(guard, a.turn.blocked)


def invoke_chunks(a: Answer) -> list[tuple[dict[str, Any], int, str]]:
    """Build the inner chunk JSON objects of an invoke stream, with their token counts.

    Bedrock's ``amazon-bedrock-invocationMetrics`` is the last key of the last chunk;
    after a guardrail intervention, chunks carry ``amazon-bedrock-guardrailAction``.
    """
    build = FAMILIES[a.request.family].invoke_chunks
    if build is None:
        raise ValueError(f"{a.request.family} does not stream")
    chunks = build(a, _text_chunks(a))
    found = _invoke_trace(a)
    if found is not None:
        chunks[-1].body["amazon-bedrock-trace"] = found
    chunks[-1].body["amazon-bedrock-invocationMetrics"] = _metrics(a)
    cut = a.generation.intervened_at
    for index, chunk in enumerate(chunks):
        text = chunk.tokens and not chunk.kind and chunk.stop > cut if cut is not None else False
        if cut is not None and (text or index == len(chunks) - 1):
            chunk.body["amazon-bedrock-guardrailAction"] = "INTERVENED"
    return [(c.body, c.tokens, c.kind or ("text" if c.tokens else "")) for c in chunks]


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
        Part(chunk_frame(body, a.padding(i)), tokens, kind)
        for i, (body, tokens, kind) in enumerate(invoke_chunks(a))
    ]


# -- converse ----------------------------------------------------------------------------------


def converse_stream(a: Answer) -> list[Part]:
    """Build the frames of a ConverseStream answer."""
    return [
        Part(event_frame(e.name, e.payload, a.padding(i)), e.tokens, e.kind)
        for i, e in enumerate(converse_events(a))
    ]


# -- InvokeModel ------------------------------------------------------------------------------


def invoke_body(a: Answer) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Build an InvokeModel response body and its ``X-Amzn-Bedrock-*`` headers."""
    family = FAMILIES[a.request.family]
    body = family.invoke_body(a)
    if a.generation.stop == "guardrail_intervened":
        body["amazon-bedrock-guardrailAction"] = "INTERVENED"
    found = _invoke_trace(a)
    if found is not None:
        body["amazon-bedrock-trace"] = found
    headers = [
        ("X-Amzn-Bedrock-Invocation-Latency", str(a.latency_ms)),
        ("X-Amzn-Bedrock-Output-Token-Count", str(a.output_tokens)),
        ("X-Amzn-Bedrock-Input-Token-Count", str(a.input_tokens)),
    ]
    if family.cache_counts or a.turn.cached:
        headers += [
            ("X-Amzn-Bedrock-Cache-Read-Input-Token-Count", str(a.turn.cache_read)),
            ("X-Amzn-Bedrock-Cache-Write-Input-Token-Count", str(a.turn.cache_write)),
        ]
    return body, headers + echo_headers(a)


def echo_headers(a: Answer) -> list[tuple[str, str]]:
    """InvokeModel's ``X-Amzn-Bedrock-Service-Tier`` and ``-PerformanceConfig-Latency``."""
    conversation = a.request.conversation
    out = []
    if conversation.service_tier is not None:
        out.append(("X-Amzn-Bedrock-Service-Tier", conversation.service_tier))
    if conversation.latency is not None:
        out.append(("X-Amzn-Bedrock-PerformanceConfig-Latency", conversation.latency))
    return out
