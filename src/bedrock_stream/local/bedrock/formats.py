"""Bedrock's response formats per model family: bodies, chunks and frames (no I/O).

Shapes follow the recorded responses in ``tests/data/bedrock-recordings`` and
``shared/research/bedrock-streaming-formats.md``. Everything here is a pure function
of the request, the generated answer and the time: the server only moves bytes.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bedrock_stream.bedrock.eventstream import encode_message
from bedrock_stream.bedrock.families import base_model_id

from .model import PROFILES, Generation, Stop, generate
from .validation import ModelRequest, encode_json

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
    if generation is None:
        generation = generate(
            request.prompt,
            max_tokens=request.max_tokens,
            stop_sequences=request.stop_sequences,
            reasoning=request.family == "deepseek" and request.operation.startswith("invoke"),
        )
    first, latency = PROFILES[request.family].latency_ms(generation.output_tokens)
    seed = hashlib.sha256(f"{request.model_id}\n{request.prompt}".encode()).digest()
    return Answer(request, generation, first, latency, seed, int(now))


# Each family's words for (natural end, max tokens, stop sequence).
_STOPS: Mapping[str, tuple[str, str, str]] = {
    "anthropic": ("end_turn", "max_tokens", "stop_sequence"),
    "amazon-nova": ("end_turn", "max_tokens", "end_turn"),
    "amazon-titan-text": ("FINISH", "LENGTH", "STOP_CRITERIA_MET"),
    "meta-llama": ("stop", "length", "stop"),
    "mistral": ("stop", "length", "stop"),
    "cohere-command": ("COMPLETE", "MAX_TOKENS", "COMPLETE"),
    "cohere-command-r": ("COMPLETE", "MAX_TOKENS", "STOP_SEQUENCE"),
    "ai21-jurassic": ("endoftext", "length", "stop"),
    "deepseek": ("stop", "length", "stop"),
    "openai": ("stop", "length", "stop"),
    "ai21-jamba": ("stop", "length", "stop"),
    "converse": ("end_turn", "max_tokens", "stop_sequence"),
}
_STOP_INDEX: Mapping[Stop, int] = {"end_turn": 0, "max_tokens": 1, "stop_sequence": 2}


def _stop_of(table: str, generation: Generation) -> str:
    if generation.stop == "guardrail_intervened":
        # Invoke streams keep the model's own reason and flag the chunks instead.
        return "guardrail_intervened" if table == "converse" else _STOPS[table][0]
    return _STOPS[table][_STOP_INDEX[generation.stop]]


def _model_name(model_id: str) -> str:
    """Anthropic's ``model`` field: ``claude-3-sonnet-20240229`` from the model id."""
    base = base_model_id(model_id).removeprefix("anthropic.")
    return re.sub(r"-v\d+:\d+$", "", base)


# -- invoke streams -----------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One event-stream frame and the output tokens it carries."""

    frame: bytes
    tokens: int = 0


@dataclass
class _Chunk:
    body: dict[str, Any]
    start: int = 0
    stop: int = 0

    @property
    def tokens(self) -> int:
        return self.stop - self.start


def _text_chunks(a: Answer) -> list[tuple[str, int, int]]:
    tokens = a.generation.tokens
    profile = PROFILES[a.request.family]
    return [("".join(tokens[s:e]), s, e) for s, e in profile.chunks(len(tokens))]


def _anthropic_chunks(a: Answer) -> list[_Chunk]:
    g, name = a.generation, _model_name(a.request.model_id)
    if a.request.variant == "text-completions":
        pieces = _text_chunks(a) or [("", 0, 0)]
        out = [
            _Chunk({"completion": t, "stop_reason": None, "stop": None}, s, e) for t, s, e in pieces
        ]
        reason = _stop_of("anthropic", g)
        stop = g.stop_sequence or (
            "\n\nHuman:" if g.stop in ("end_turn", "guardrail_intervened") else None
        )
        out[-1].body.update(stop_reason="stop_sequence" if stop else reason, stop=stop)
        return out
    start: dict[str, Any] = {
        "id": "msg_bdrk_01" + a.ident("msg"),
        "type": "message",
        "role": "assistant",
        "model": name,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": a.input_tokens, "output_tokens": 1},
    }
    out = [
        _Chunk({"type": "message_start", "message": start}),
        _Chunk(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            }
        ),
    ]
    for text, s, e in _text_chunks(a):
        delta = {"type": "text_delta", "text": text}
        out.append(_Chunk({"type": "content_block_delta", "index": 0, "delta": delta}, s, e))
    end = {"stop_reason": _stop_of("anthropic", g), "stop_sequence": g.stop_sequence}
    return [
        *out,
        _Chunk({"type": "content_block_stop", "index": 0}),
        _Chunk(
            {"type": "message_delta", "delta": end, "usage": {"output_tokens": a.output_tokens}}
        ),
        _Chunk({"type": "message_stop"}),
    ]


def _nova_chunks(a: Answer) -> list[_Chunk]:
    out = [_Chunk({"messageStart": {"role": "assistant"}})]
    end = a.output_tokens
    for index, (text, s, e) in enumerate([*_text_chunks(a), ("", end, end)]):  # ends with ""
        delta = {"delta": {"text": text}, "contentBlockIndex": index}
        out.append(_Chunk({"contentBlockDelta": delta}, s, e))
        out.append(_Chunk({"contentBlockStop": {"contentBlockIndex": index}}))
    usage = {
        "inputTokens": a.input_tokens,
        "outputTokens": a.output_tokens,
        "cacheReadInputTokenCount": 0,
        "cacheWriteInputTokenCount": 0,
    }
    return [
        *out,
        _Chunk({"messageStop": {"stopReason": _stop_of("amazon-nova", a.generation)}}),
        _Chunk({"metadata": {"usage": usage, "metrics": {}, "trace": {}}}),
    ]


def _titan_chunks(a: Answer) -> list[_Chunk]:
    out = []
    for index, (text, s, e) in enumerate(_text_chunks(a) or [("", 0, 0)]):
        body = {
            "outputText": text,
            "index": 0,
            "totalOutputTextTokenCount": None,
            "completionReason": None,
            "inputTextTokenCount": a.input_tokens if index == 0 else None,
        }
        out.append(_Chunk(body, s, e))
    out[-1].body.update(
        totalOutputTextTokenCount=a.output_tokens,
        completionReason=_stop_of("amazon-titan-text", a.generation),
    )
    return out


def _llama_chunks(a: Answer) -> list[_Chunk]:
    out = []
    for index, (text, s, e) in enumerate(_text_chunks(a) or [("", 0, 0)]):
        body = {
            "generation": text,
            "prompt_token_count": a.input_tokens if index == 0 else None,
            "generation_token_count": e,
            "stop_reason": None,
        }
        out.append(_Chunk(body, s, e))
    out[-1].body["stop_reason"] = _stop_of("meta-llama", a.generation)
    return out


def _mistral_chunks(a: Answer) -> list[_Chunk]:
    reason = _stop_of("mistral", a.generation)
    out = []
    for text, s, e in _text_chunks(a) or [("", 0, 0)]:
        if a.request.variant == "chat":
            choice = {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "stop_reason": None,
            }
            out.append(_Chunk({"choices": [choice]}, s, e))
        else:
            out.append(_Chunk({"outputs": [{"text": text, "stop_reason": None}]}, s, e))
    key = "choices" if a.request.variant == "chat" else "outputs"
    out[-1].body[key][0]["stop_reason"] = reason
    return out


def _cohere_chunks(a: Answer) -> list[_Chunk]:
    reason = _stop_of("cohere-command", a.generation)
    if a.request.variant == "buffered":  # no "stream": true: one chunk, the InvokeModel body
        return [_Chunk(_cohere_body(a, reason), 0, a.output_tokens)]
    out = [_Chunk({"is_finished": False, "text": t}, s, e) for t, s, e in _text_chunks(a)]
    return [*out, _Chunk({"finish_reason": reason, "is_finished": True})]


def _cohere_body(a: Answer, reason: str) -> dict[str, Any]:
    generation = {"id": a.uuid("gen"), "text": a.generation.text, "finish_reason": reason}
    return {"id": a.uuid("id"), "generations": [generation], "prompt": a.request.prompt}


def _cohere_r_response(a: Answer) -> dict[str, Any]:
    body = a.request.body
    history = [*(body.get("chat_history") or ())]
    history += [
        {"role": "USER", "message": body.get("message")},
        {"role": "CHATBOT", "message": a.generation.text},
    ]
    return {
        "response_id": a.uuid("response"),
        "text": a.generation.text,
        "generation_id": a.uuid("gen"),
        "chat_history": history,
        "finish_reason": _stop_of("cohere-command-r", a.generation),
    }


def _cohere_r_chunks(a: Answer) -> list[_Chunk]:
    out = [
        _Chunk({"is_finished": False, "event_type": "text-generation", "text": t}, s, e)
        for t, s, e in _text_chunks(a)
    ]
    response = _cohere_r_response(a)
    tokens = {"input_tokens": a.input_tokens, "output_tokens": a.output_tokens}
    response["meta"] = {"api_version": {"version": "1"}, "billed_units": tokens, "tokens": tokens}
    end = {
        "is_finished": True,
        "event_type": "stream-end",
        "response": response,
        "finish_reason": response["finish_reason"],
    }
    return [*out, _Chunk(end)]


def _openai_usage(a: Answer, *, details: bool = False) -> dict[str, Any]:
    usage: dict[str, Any] = {"completion_tokens": a.output_tokens}
    if details:  # as recorded on the invoke stream
        usage["completion_tokens_details"] = dict.fromkeys(
            ("accepted_prediction_tokens", "audio_tokens", "reasoning_tokens"), 0
        ) | {"rejected_prediction_tokens": 0}
    usage["prompt_tokens"] = a.input_tokens
    if details:
        usage["prompt_tokens_details"] = dict.fromkeys(
            ("audio_tokens", "cache_write_tokens", "cached_tokens"), 0
        )
    usage["total_tokens"] = a.input_tokens + a.output_tokens
    return usage


def _openai_chunks(a: Answer) -> list[_Chunk]:
    def chunk(choices: list[Any], index: int, **extra: Any) -> dict[str, Any]:
        return {
            "choices": choices,
            "created": a.created,
            "id": "chatcmpl-" + a.ident("chat", 40).lower(),
            "model": a.request.model_id,
            "object": "chat.completion.chunk",
            "service_tier": "default",
            "system_fingerprint": None,
            "usage": None,
            **extra,
            "obfuscation": a.padding(1000 + index),
        }

    first = {"content": "", "role": "assistant", "refusal": None}
    out = [_Chunk(chunk([{"delta": first, "finish_reason": None, "index": 0}], 0))]
    for i, (text, s, e) in enumerate(_text_chunks(a), 1):
        choice = {"delta": {"content": text}, "finish_reason": None, "index": 0}
        out.append(_Chunk(chunk([choice], i), s, e))
    reason = _stop_of("openai", a.generation)
    usage = _openai_usage(a, details=True) if a.request.variant == "usage" else None
    done = {"delta": {}, "finish_reason": reason, "index": 0}
    out.append(_Chunk(chunk([done], len(out), usage=usage)))
    if usage is not None:
        out.append(_Chunk(chunk([], len(out), usage=usage)))
    return out


def _deepseek_chunks(a: Answer) -> list[_Chunk]:
    out = [
        _Chunk({"choices": [{"text": t, "stop_reason": None}]}, s, e) for t, s, e in _text_chunks(a)
    ]
    if not out:
        out = [_Chunk({"choices": [{"text": "", "stop_reason": None}]})]
    out[-1].body["choices"][0]["stop_reason"] = _stop_of("deepseek", a.generation)
    return out


_INVOKE_CHUNKS = {
    "anthropic": _anthropic_chunks,
    "amazon-nova": _nova_chunks,
    "amazon-titan-text": _titan_chunks,
    "meta-llama": _llama_chunks,
    "mistral": _mistral_chunks,
    "cohere-command": _cohere_chunks,
    "cohere-command-r": _cohere_r_chunks,
    "openai": _openai_chunks,
    "ai21-jamba": _openai_chunks,
    "deepseek": _deepseek_chunks,
}


def _metrics(a: Answer) -> dict[str, int]:
    metrics = {
        "inputTokenCount": a.input_tokens,
        "outputTokenCount": a.output_tokens,
        "invocationLatency": a.latency_ms,
        "firstByteLatency": a.first_byte_ms,
    }
    if a.request.family == "amazon-nova":
        metrics.update(cacheReadInputTokenCount=0, cacheWriteInputTokenCount=0)
    return metrics


def invoke_chunks(a: Answer) -> list[tuple[dict[str, Any], int]]:
    """Build the inner chunk JSON objects of an invoke stream, with their token counts.

    Bedrock's ``amazon-bedrock-invocationMetrics`` is the last key of the last chunk;
    after a guardrail intervention, chunks carry ``amazon-bedrock-guardrailAction``.
    """
    chunks = _INVOKE_CHUNKS[a.request.family](a)
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

_TRAILING_EMPTY_DELTA = frozenset({"meta-llama", "mistral"})


def _guardrail_trace() -> dict[str, Any]:
    blocked = {"action": "BLOCKED", "confidence": "HIGH", "type": "MISCONDUCT", "detected": True}
    return {
        "guardrail": {
            "outputAssessments": {"emulator": [{"contentPolicy": {"filters": [blocked]}}]}
        }
    }


def _converse_usage(a: Answer) -> dict[str, int]:
    return {
        "inputTokens": a.input_tokens,
        "outputTokens": a.output_tokens,
        "totalTokens": a.input_tokens + a.output_tokens,
    }


def converse_events(a: Answer) -> list[tuple[str, dict[str, Any], int]]:
    """Build ConverseStream events ``(name, payload, tokens)``; text gets no block start."""
    out: list[tuple[str, dict[str, Any], int]] = [("messageStart", {"role": "assistant"}, 0)]
    pieces = _text_chunks(a)
    if a.request.family in _TRAILING_EMPTY_DELTA:
        pieces.append(("", 0, 0))
    for text, s, e in pieces:
        out.append(("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": text}}, e - s))
    out.append(("contentBlockStop", {"contentBlockIndex": 0}, 0))
    out.append(("messageStop", {"stopReason": _stop_of("converse", a.generation)}, 0))
    metadata: dict[str, Any] = {"metrics": {"latencyMs": a.latency_ms}, "usage": _converse_usage(a)}
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
        "stopReason": _stop_of("converse", a.generation),
        "usage": _converse_usage(a),
    }
    if a.generation.stop == "guardrail_intervened":
        body["trace"] = _guardrail_trace()
    return body


# -- InvokeModel ------------------------------------------------------------------------------


def invoke_body(a: Answer) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Build an InvokeModel response body and its ``X-Amzn-Bedrock-*`` headers."""
    family, g = a.request.family, a.generation
    text, reason = g.text, _stop_of(family, g)
    body: dict[str, Any]
    if family == "anthropic" and a.request.variant == "text-completions":
        stop = g.stop_sequence or ("\n\nHuman:" if g.stop == "end_turn" else None)
        body = {"type": "completion", "completion": text, "stop_reason": reason, "stop": stop}
    elif family == "anthropic":
        body = {
            "id": "msg_bdrk_01" + a.ident("msg"),
            "type": "message",
            "role": "assistant",
            "model": _model_name(a.request.model_id),
            "content": [{"type": "text", "text": text}],
            "stop_reason": reason,
            "stop_sequence": g.stop_sequence,
            "usage": {"input_tokens": a.input_tokens, "output_tokens": a.output_tokens},
        }
    elif family == "amazon-nova":
        usage = {
            **_converse_usage(a),
            "cacheReadInputTokenCount": 0,
            "cacheWriteInputTokenCount": 0,
        }
        message = {"role": "assistant", "content": [{"text": text}]}
        body = {"output": {"message": message}, "stopReason": reason, "usage": usage}
    elif family == "amazon-titan-text":
        result = {"tokenCount": a.output_tokens, "outputText": text, "completionReason": reason}
        body = {"inputTextTokenCount": a.input_tokens, "results": [result]}
    elif family == "meta-llama":
        body = {
            "generation": text,
            "prompt_token_count": a.input_tokens,
            "generation_token_count": a.output_tokens,
            "stop_reason": reason,
        }
    elif family == "mistral" and a.request.variant == "chat":
        message = {"role": "assistant", "content": text}
        body = {"choices": [{"index": 0, "message": message, "stop_reason": reason}]}
    elif family == "mistral":
        body = {"outputs": [{"text": text, "stop_reason": reason}]}
    elif family == "cohere-command":
        body = _cohere_body(a, reason)
    elif family == "cohere-command-r":
        body = _cohere_r_response(a)
    elif family == "ai21-jurassic":
        finish: dict[str, Any] = {"reason": reason}
        if g.stop == "max_tokens":
            finish["length"] = a.output_tokens
        completion = {"data": {"text": text, "tokens": []}, "finishReason": finish}
        body = {
            "id": 1234,
            "prompt": {"text": a.request.prompt, "tokens": []},
            "completions": [completion],
        }
    elif family == "deepseek":
        body = {"choices": [{"text": text, "stop_reason": reason}]}
    else:  # openai, ai21-jamba
        message = {"role": "assistant", "content": text}
        body = {
            "id": "chatcmpl-" + a.ident("chat", 40).lower(),
            "object": "chat.completion",
            "created": a.created,
            "model": a.request.model_id,
            "choices": [{"index": 0, "message": message, "finish_reason": reason}],
            "usage": _openai_usage(a),
        }
    if g.stop == "guardrail_intervened":
        body["amazon-bedrock-guardrailAction"] = "INTERVENED"
    headers = [
        ("X-Amzn-Bedrock-Invocation-Latency", str(a.latency_ms)),
        ("X-Amzn-Bedrock-Output-Token-Count", str(a.output_tokens)),
        ("X-Amzn-Bedrock-Input-Token-Count", str(a.input_tokens)),
    ]
    if family == "amazon-nova":
        headers += [
            ("X-Amzn-Bedrock-Cache-Read-Input-Token-Count", "0"),
            ("X-Amzn-Bedrock-Cache-Write-Input-Token-Count", "0"),
        ]
    return body, headers
