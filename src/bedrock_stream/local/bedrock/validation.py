"""Bedrock's request validation per operation (no I/O).

Converse bodies have one schema; an InvokeModel body is checked by its family's own
validator (:mod:`.family`, on the checks of :mod:`.schema`). Messages follow Bedrock's
wording where it is known (recorded, or reported by users); see the fidelity notes in the
emulator's documentation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from . import reasoning, tools
from .conversation import GUARDRAIL_BODY_KEY, Conversation, invoke_options
from .converse_request import converse_conversation
from .family import FAMILIES
from .model import count_tokens
from .schema import ERROR_TYPE_SUFFIX as ERROR_TYPE_SUFFIX
from .schema import ServiceError as ServiceError
from .schema import chat_prompt, invalid
from .schema import encode_json as encode_json

if TYPE_CHECKING:
    from bedrock_stream.bedrock.families import Family

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
    conversation: Conversation = field(default_factory=Conversation)
    """Tools, reasoning, documents, cache points, guardrail, tier and latency."""

    @property
    def streaming(self) -> bool:
        """Whether the operation streams."""
        return self.operation in STREAMING

    @property
    def input_tokens(self) -> int:
        """Input tokens: the tokens of :attr:`prompt`."""
        return count_tokens(self.prompt)


def _invoke_request(family: Family, model_id: str, body: Mapping[str, Any]) -> ModelRequest:
    """Validate an InvokeModel body of ``family`` (the model-native schema).

    Bedrock takes its own guardrail key out of the body before the model sees it.
    """
    model_body = {k: v for k, v in body.items() if k != GUARDRAIL_BODY_KEY}
    fields = FAMILIES[family].validate(model_id, model_body)
    return ModelRequest(
        "invoke",
        model_id,
        family,
        fields.prompt,
        fields.max_tokens,
        fields.stop_sequences,
        fields.variant,
        model_body,
        fields.conversation,
    )


def _converse_request(family: Family, model_id: str, body: Mapping[str, Any]) -> ModelRequest:
    """Validate a Converse body (the same schema for every model)."""
    messages = body.get("messages") or []
    if not isinstance(messages, list) or not all(isinstance(m, Mapping) for m in messages):
        raise ServiceError(400, "SerializationException", "Malformed request body.")
    if not messages or messages[0].get("role") != "user":
        raise invalid(
            "A conversation must start with a user message. "
            "Try again with a conversation that starts with a user message."
        )
    for m, message in enumerate(messages):
        if m and message.get("role") == messages[m - 1].get("role"):
            raise invalid(
                "A conversation must alternate between user and assistant roles. Make sure the "
                "conversation alternates between user and assistant roles and try again."
            )
        for b, block in enumerate(message.get("content") or ()):
            if isinstance(block, Mapping) and "text" in block and not str(block["text"]).strip():
                raise invalid(
                    f"The text field in the ContentBlock object at messages.{m}.content.{b} is "
                    "blank. Add text to the text field, and try again."
                )
    config = body.get("inferenceConfig") or {}
    limit = int(config.get("maxTokens") or FAMILIES[family].converse_max_tokens)
    stops = tuple(config.get("stopSequences") or ())
    prompt = chat_prompt(body.get("system"), messages)
    fields = body.get("additionalModelRequestFields") or {}
    anthropic = family == "anthropic"
    thinking = reasoning.requested(model_id, fields, anthropic=anthropic, max_tokens=limit)
    conversation = converse_conversation(body, reasoning=thinking)
    return ModelRequest("converse", model_id, family, prompt, limit, stops, "", body, conversation)


def _check_conversation(family: Family, conversation: Conversation) -> None:
    tools.check_tool_turns(conversation)
    reasoning.check_echoed(conversation)
    if family == "anthropic":
        reasoning.check_anthropic_turns(conversation)


def parse_request(
    operation: Operation,
    family: Family,
    model_id: str,
    raw: bytes,
    header: Callable[[str], str | None] = lambda name: None,
) -> ModelRequest:
    """Validate a request body as Bedrock does for ``operation`` and ``family``.

    ``header`` reads a request header: InvokeModel's ``X-Amzn-Bedrock-Service-Tier`` and
    ``X-Amzn-Bedrock-PerformanceConfig-Latency`` (Converse has them in its body).

    Raises:
        ServiceError: a ``ValidationException`` in Bedrock's words.
    """
    if operation in STREAMING and FAMILIES[family].invoke_chunks is None:
        raise invalid("The model is unsupported for streaming.")
    try:
        body = json.loads(raw) if raw else None
    except (ValueError, RecursionError):  # RecursionError: nested too deep
        body = None
    if not isinstance(body, dict):
        if operation.startswith("converse"):
            raise ServiceError(400, "SerializationException", "Malformed request body.")
        raise invalid("Malformed input request, please reformat your input and try again.")
    try:
        if operation.startswith("converse"):
            request = _converse_request(family, model_id, body)
        else:
            request = _invoke_request(family, model_id, body)
            options = replace(request.conversation, **invoke_options(header, body))
            request = replace(request, conversation=options)
        _check_conversation(family, request.conversation)
    except (AttributeError, TypeError, KeyError, IndexError):  # a field of the wrong shape
        if operation.startswith("converse"):
            raise ServiceError(400, "SerializationException", "Malformed request body.") from None
        raise invalid(
            "Malformed input request, please reformat your input and try again."
        ) from None
    return replace(request, operation=operation)
