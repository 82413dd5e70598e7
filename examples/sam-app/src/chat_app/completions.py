"""``POST /v1/chat/completions``: OpenAI's Chat Completions, through ``chat_completions``.

The request is parsed (and refused) by :mod:`bedrock_stream.chat_completions`; the app adds
its own bounds: the served models (404 ``model_not_found`` for another), the output token
cap, and the conversation's size. ``stream: true`` answers ``chat.completion.chunk`` events
(on the buffered API the whole event stream at once), ``stream: false`` one
``chat.completion``. A client's tools go to the model; the client runs them, as OpenAI's do.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from typing import Any

from bedrock_stream import HTTPError, StreamingResponse, chat_completions
from bedrock_stream.bedrock import (
    BedrockError,
    Reasoning,
    RequestOptions,
    resolve_family,
)
from bedrock_stream.bedrock.assembly import Reply

from . import limits
from .model import Call, Model, refused, until_first_byte
from .request_body import json_text

BUDGETS = {"low": 1024, "medium": 2048, "high": 4096}
"""Claude's thinking budget for each ``reasoning_effort`` (1024 is its smallest)."""
MIN_BUDGET = BUDGETS["low"]


def refuse(status: int, message: str) -> HTTPError:
    """An error response in OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}``."""
    return chat_completions.http_error(HTTPError(status, message))


def answer(event: Mapping[str, Any], model: Model) -> StreamingResponse:
    """Answer one chat completion request, streamed or whole."""
    request = chat_completions.parse_request(json_text(event, refuse))
    settings = model.settings
    if request.model not in settings.models:
        raise chat_completions.model_not_found(request.model)
    options = RequestOptions(**request.options)
    asked = options.get("max_tokens")
    if asked is not None and asked > settings.max_tokens:
        raise chat_completions.invalid_request(
            f"max_tokens is too large: {asked}. This deployment supports at most "
            f"{settings.max_tokens} completion tokens.",
            "max_tokens",
            "invalid_value",
        )
    max_tokens = options["max_tokens"] = asked or settings.max_tokens
    limits.check(request.messages, options, settings, refuse)
    reasoning = options.get("reasoning")
    if reasoning and "effort" in reasoning and resolve_family(request.model) == "anthropic":
        # Claude reasons by a token budget: each effort is a budget below max_tokens.
        budget = min(BUDGETS[reasoning["effort"]], max_tokens - 1)
        if budget < MIN_BUDGET:
            raise chat_completions.invalid_request(
                f"reasoning_effort needs max_tokens above {MIN_BUDGET} on this model",
                "reasoning_effort",
                "unsupported_value",
            )
        options["reasoning"] = Reasoning(budget_tokens=budget)
    try:
        call = model.call(request.messages, request.model, options)
    except BedrockError as exc:
        raise refused(exc, refuse, invalid=400) from exc
    if not request.stream:
        return StreamingResponse(
            body=[json.dumps(completion(whole(call), request.model))],
            content_type="application/json",
        )
    encoder = chat_completions.ChunkEncoder(request.model, include_usage=request.include_usage)
    events = chat_completions.encode(call, request.model, encoder=encoder)
    chunks = until_first_byte(events, refuse, in_band=True, invalid=400)
    body: Iterator[bytes] | list[bytes] = chunks if model.streaming else [b"".join(chunks)]
    return StreamingResponse(
        body=body,
        content_type=chat_completions.CONTENT_TYPE,
        headers=chat_completions.HEADERS,
        error_event=encoder.error,
    )


def completion(reply: Reply, model: str) -> dict[str, Any]:
    """The ``chat.completion`` object of a whole reply."""
    return chat_completions.completion(reply, model, created=int(time.time()))


def whole(call: Call) -> Reply:
    """Read the call to its end and return its reply; a failure is an HTTP error (none sent)."""
    try:
        for _ in call:
            pass
    except BedrockError as exc:
        raise refused(exc, refuse, invalid=400) from exc
    finally:
        call.close()
    return call.reply()
