"""Bedrock's request validation per operation and model family (no I/O).

Messages follow Bedrock's wording where it is known (recorded, or reported by users);
see the fidelity notes in the emulator's documentation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from bedrock_stream.bedrock.families import Family, base_model_id

from .model import count_tokens

__all__ = [
    "ERROR_TYPE_SUFFIX",
    "OPERATIONS",
    "STREAMING",
    "ModelRequest",
    "Operation",
    "ServiceError",
    "encode_json",
    "parse_request",
]

Operation = Literal["invoke", "invoke-stream", "converse", "converse-stream"]
OPERATIONS: Mapping[str, Operation] = {
    "invoke": "invoke",
    "invoke-with-response-stream": "invoke-stream",
    "converse": "converse",
    "converse-stream": "converse-stream",
}
"""URL path suffix -> operation."""
STREAMING: frozenset[Operation] = frozenset({"invoke-stream", "converse-stream"})
"""The streaming operations."""

ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/"
_LEGACY_ANTHROPIC = re.compile(r"^anthropic\.claude-(?:v2|instant)")
_NO_STREAMING: frozenset[str] = frozenset({"ai21-jurassic"})


class ServiceError(Exception):
    """A Bedrock error response: HTTP status, error code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def response(self, request_id: str) -> tuple[int, list[tuple[str, str]], bytes]:
        """``(status, headers, body)`` as Bedrock sends it (REST-JSON error)."""
        headers = [
            ("Content-Type", "application/json"),
            ("x-amzn-RequestId", request_id),
            ("x-amzn-ErrorType", self.code + ERROR_TYPE_SUFFIX),
        ]
        return self.status, headers, _json({"message": self.message})


def _invalid(message: str) -> ServiceError:
    return ServiceError(400, "ValidationException", message)


def _malformed(*violations: str) -> ServiceError:
    """Bedrock's JSON-schema message for an invoke body (one violation, or a count)."""
    detail = (
        violations[0] if len(violations) == 1 else f"#: {len(violations)} schema violations found"
    )
    return _invalid(f"Malformed input request: {detail}, please reformat your input and try again.")


def encode_json(document: Any, *, sort: bool = False) -> bytes:
    """Compact UTF-8 JSON, as Bedrock writes it."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, sort_keys=sort).encode()


_json = encode_json


# -- requests -------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelRequest:
    """A validated request: what the model sees and how much it may say."""

    operation: Operation
    model_id: str
    family: Family
    prompt: str
    """The text the model reads: seeds the answer and gives the input token count."""
    max_tokens: int
    stop_sequences: tuple[str, ...] = ()
    variant: str = ""
    """A family's sub-format: ``text-completions`` (Claude v2), ``chat`` (Mistral),
    ``buffered`` (Cohere Command without ``stream``), ``usage`` (OpenAI include_usage)."""
    body: Mapping[str, Any] = field(default_factory=dict)

    @property
    def streaming(self) -> bool:
        """Whether the operation streams."""
        return self.operation in STREAMING

    @property
    def input_tokens(self) -> int:
        """Input tokens: the tokens of :attr:`prompt`."""
        return count_tokens(self.prompt)


def _text_of(content: Any) -> str:
    """Text of a message's content: a string or a list of text blocks (other blocks skipped)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(b.get("text", "")) for b in content if isinstance(b, Mapping))
    return ""


def _number(body: Mapping[str, Any], key: str, path: str, default: int, low: int = 1) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise _malformed(f"{path}/{key}: expected type: Integer, found: {type(value).__name__}")
    if value < low:
        raise _malformed(f"{path}/{key}: {int(value)} is not greater or equal to {low}")
    return int(value)


def _stops(value: Any, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise _malformed(f"{path}: expected type: JSONArray, found: {type(value).__name__}")
    return tuple(value)


def _check_keys(
    body: Mapping[str, Any], path: str, required: Sequence[str], allowed: Sequence[str] | None
) -> None:
    violations = [f"{path}: required key [{k}] not found" for k in required if k not in body]
    if allowed is not None:
        known = {*required, *allowed}
        violations += [
            f"{path}: extraneous key [{k}] is not permitted" for k in body if k not in known
        ]
    if violations:
        raise _malformed(*violations)


def _chat_prompt(system: Any, messages: Sequence[Any]) -> str:
    parts = [_text_of(system)] if system else []
    parts += [_text_of(m.get("content")) for m in messages if isinstance(m, Mapping)]
    return "\n".join(parts)


_ANTHROPIC_KEYS = (
    "anthropic_version", "anthropic_beta", "max_tokens", "messages", "system", "temperature",
    "top_p", "top_k", "stop_sequences", "tools", "tool_choice", "thinking", "metadata",
)  # fmt: skip
_NOVA_BLOCKS = (
    "text",
    "image",
    "video",
    "document",
    "reasoningContent",
    "cachePoint",
    "toolResult",
)


def _anthropic(model_id: str, body: Mapping[str, Any]) -> tuple[str, int, tuple[str, ...], str]:
    base = base_model_id(model_id)
    if "messages" not in body and "prompt" in body:
        if not _LEGACY_ANTHROPIC.match(base):
            name = base.removeprefix("anthropic.").split("-v", 1)[0]
            raise _invalid(
                f'"{name}" is not supported on this API. Please use the Messages API instead.'
            )
        legacy = (
            "prompt",
            "max_tokens_to_sample",
            "temperature",
            "top_p",
            "top_k",
            "stop_sequences",
        )
        _check_keys(body, "#", ("prompt", "max_tokens_to_sample"), (*legacy, "anthropic_version"))
        limit = _number(body, "max_tokens_to_sample", "#", 1, low=1)
        stops = _stops(body.get("stop_sequences"), "#/stop_sequences")
        return str(body["prompt"]), limit, stops, "text-completions"
    _check_keys(body, "#", ("anthropic_version", "max_tokens", "messages"), _ANTHROPIC_KEYS)
    if body["anthropic_version"] != "bedrock-2023-05-31":
        raise _malformed(
            f"#/anthropic_version: {body['anthropic_version']} is not a valid enum value"
        )
    limit = _number(body, "max_tokens", "#", 1)
    messages = body["messages"]
    if not isinstance(messages, list):
        raise _malformed(f"#/messages: expected type: JSONArray, found: {type(messages).__name__}")
    if not messages:
        raise _invalid("messages: at least one message is required")
    if not isinstance(messages[0], Mapping) or messages[0].get("role") != "user":
        raise _invalid('messages: first message must use the "user" role')
    stops = _stops(body.get("stop_sequences"), "#/stop_sequences")
    return _chat_prompt(body.get("system"), messages), limit, stops, ""


def _nova(body: Mapping[str, Any]) -> tuple[str, int, tuple[str, ...]]:
    allowed = ("schemaVersion", "system", "inferenceConfig", "toolConfig")
    _check_keys(body, "#", ("messages",), allowed)
    messages = body["messages"]
    if not isinstance(messages, list) or not messages:
        raise _malformed("#/messages: expected minimum item count: 1, found: 0")
    for m, message in enumerate(messages):
        for b, block in enumerate(message.get("content") or ()):
            path = f"#/messages/{m}/content/{b}"
            kind = next((k for k in ("toolUse", *_NOVA_BLOCKS) if k in block), None)
            if kind is None:  # as recorded: the schema's last alternative is reported
                raise _malformed(f"{path}: required key [toolUse] not found")
            extra = [k for k in block if k != kind]
            if extra:
                raise _malformed(f"{path}: extraneous key [{extra[0]}] is not permitted")
    config = body.get("inferenceConfig") or {}
    key = "max_new_tokens" if "max_new_tokens" in config else "maxTokens"
    limit = _number(config, key, "#/inferenceConfig", 5000)
    stops = _stops(config.get("stopSequences"), "#/inferenceConfig/stopSequences")
    return _chat_prompt(body.get("system"), messages), limit, stops


def _invoke_request(family: Family, model_id: str, body: Mapping[str, Any]) -> ModelRequest:
    """Validate an InvokeModel body of ``family`` (the model-native schema)."""
    variant = ""
    if family == "anthropic":
        prompt, limit, stops, variant = _anthropic(model_id, body)
    elif family == "amazon-nova":
        prompt, limit, stops = _nova(body)
    elif family == "amazon-titan-text":
        _check_keys(body, "#", ("inputText",), ("textGenerationConfig",))
        config = body.get("textGenerationConfig") or {}
        limit = _number(config, "maxTokenCount", "#/textGenerationConfig", 512)
        stops = _stops(config.get("stopSequences"), "#/textGenerationConfig/stopSequences")
        prompt = str(body["inputText"])
    elif family == "meta-llama":
        allowed = ("max_gen_len", "temperature", "top_p", "images")
        _check_keys(body, "#", ("prompt",), allowed)
        prompt, limit, stops = str(body["prompt"]), _number(body, "max_gen_len", "#", 512), ()
    elif family == "mistral" and "messages" in body:
        prompt, variant = _chat_prompt(None, body["messages"]), "chat"
        limit = _number(body, "max_tokens", "#", 8192)
        stops = _stops(body.get("stop"), "#/stop")
    elif family == "mistral":
        _check_keys(body, "#", ("prompt",), ("max_tokens", "stop", "temperature", "top_p", "top_k"))
        prompt, limit = str(body["prompt"]), _number(body, "max_tokens", "#", 512)
        stops = _stops(body.get("stop"), "#/stop")
    elif family == "cohere-command":
        _check_keys(body, "#", ("prompt",), None)
        prompt, limit = str(body["prompt"]), _number(body, "max_tokens", "#", 20)
        stops = _stops(body.get("stop_sequences"), "#/stop_sequences")
        variant = "" if body.get("stream") is True else "buffered"
    elif family == "cohere-command-r":
        _check_keys(body, "#", ("message",), None)
        history = [
            h.get("message", "") for h in body.get("chat_history") or () if isinstance(h, Mapping)
        ]
        prompt = "\n".join(
            [str(body.get("preamble") or ""), *map(str, history), str(body["message"])]
        )
        limit = _number(body, "max_tokens", "#", 4000)
        stops = _stops(body.get("stop_sequences"), "#/stop_sequences")
    elif family == "ai21-jurassic":
        _check_keys(body, "#", ("prompt",), None)
        prompt, limit = str(body["prompt"]), _number(body, "maxTokens", "#", 200)
        stops = _stops(body.get("stopSequences"), "#/stopSequences")
    elif family == "deepseek":
        _check_keys(body, "#", ("prompt",), ("max_tokens", "temperature", "top_p", "stop"))
        prompt, limit = str(body["prompt"]), _number(body, "max_tokens", "#", 8192)
        stops = _stops(body.get("stop"), "#/stop")
    else:  # openai, ai21-jamba: OpenAI chat completions
        _check_keys(body, "#", ("messages",), None)
        if not isinstance(body["messages"], list):
            raise _malformed("#/messages: expected type: JSONArray")
        prompt = _chat_prompt(None, body["messages"])
        key = "max_completion_tokens" if "max_completion_tokens" in body else "max_tokens"
        limit = _number(body, key, "#", 4096)
        stops = _stops(body.get("stop"), "#/stop")
        if (body.get("stream_options") or {}).get("include_usage"):
            variant = "usage"
    return ModelRequest("invoke", model_id, family, prompt, limit, stops, variant, body)


def _converse_request(family: Family, model_id: str, body: Mapping[str, Any]) -> ModelRequest:
    """Validate a Converse body (the same schema for every model)."""
    messages = body.get("messages") or []
    if not isinstance(messages, list) or not all(isinstance(m, Mapping) for m in messages):
        raise ServiceError(400, "SerializationException", "Malformed request body.")
    if not messages or messages[0].get("role") != "user":
        raise _invalid(
            "A conversation must start with a user message. "
            "Try again with a conversation that starts with a user message."
        )
    for m, message in enumerate(messages):
        if m and message.get("role") == messages[m - 1].get("role"):
            raise _invalid(
                "A conversation must alternate between user and assistant roles. Make sure the "
                "conversation alternates between user and assistant roles and try again."
            )
        for b, block in enumerate(message.get("content") or ()):
            if isinstance(block, Mapping) and "text" in block and not str(block["text"]).strip():
                raise _invalid(
                    f"The text field in the ContentBlock object at messages.{m}.content.{b} is "
                    "blank. Add text to the text field, and try again."
                )
    config = body.get("inferenceConfig") or {}
    limit = int(config.get("maxTokens") or _DEFAULT_MAX_TOKENS.get(family, 4096))
    stops = tuple(config.get("stopSequences") or ())
    prompt = _chat_prompt(body.get("system"), messages)
    return ModelRequest("converse", model_id, family, prompt, limit, stops, "", body)


_DEFAULT_MAX_TOKENS: Mapping[str, int] = {
    "amazon-titan-text": 512,
    "meta-llama": 512,
    "mistral": 512,
    "cohere-command": 20,
    "amazon-nova": 5000,
}


def parse_request(operation: Operation, family: Family, model_id: str, raw: bytes) -> ModelRequest:
    """Validate a request body as Bedrock does for ``operation`` and ``family``.

    Raises:
        ServiceError: a ``ValidationException`` in Bedrock's words.
    """
    if operation in STREAMING and family in _NO_STREAMING:
        raise _invalid("The model is unsupported for streaming.")
    try:
        body = json.loads(raw) if raw else None
    except (ValueError, RecursionError):  # RecursionError: nested too deep
        body = None
    if not isinstance(body, dict):
        if operation.startswith("converse"):
            raise ServiceError(400, "SerializationException", "Malformed request body.")
        raise _invalid("Malformed input request, please reformat your input and try again.")
    try:
        if operation.startswith("converse"):
            request = _converse_request(family, model_id, body)
        else:
            request = _invoke_request(family, model_id, body)
    except (AttributeError, TypeError, KeyError, IndexError):  # a field of the wrong shape
        if operation.startswith("converse"):
            raise ServiceError(400, "SerializationException", "Malformed request body.") from None
        raise _invalid(
            "Malformed input request, please reformat your input and try again."
        ) from None
    return replace(request, operation=operation)
