"""``POST /v1/chat/completions``: OpenAI's Chat Completions, through ``chat_completions``.

The request is parsed (and refused) by :mod:`bedrock_stream.chat_completions`; the app adds
its own bounds: the served models (404 ``model_not_found`` for another), the output token
cap, and the conversation's size. ``stream: true`` answers ``chat.completion.chunk`` events
(on the buffered API the whole event stream at once), ``stream: false`` one
``chat.completion``. A client's tools go to the model; the client runs them, as OpenAI's do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from bedrock_stream import HTTPError, StreamingResponse, chat_completions
from bedrock_stream.bedrock import BedrockError, RequestOptions

from . import limits
from .model import Model, refused, until_first_byte
from .request_body import json_text

_TYPES = {400: "invalid_request_error", 404: "invalid_request_error", 415: "invalid_request_error"}


def refuse(
    status: int, message: str, code: str | None = None, param: str | None = None
) -> HTTPError:
    """An error response in OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}``."""
    error = {
        "message": message,
        "type": _TYPES.get(status, "rate_limit_error" if status == 429 else "server_error"),
        "param": param,
        "code": code,
    }
    return HTTPError(status, message, body={"error": error})


def answer(event: Mapping[str, Any], model: Model) -> StreamingResponse:
    """Answer one chat completion request, streamed or whole."""
    request = chat_completions.parse_request(json_text(event, refuse))
    settings = model.settings
    if request.model not in settings.models:
        raise refuse(
            404,
            f"The model `{request.model}` does not exist or you do not have access to it.",
            "model_not_found",
            "model",
        )
    options = RequestOptions(**request.options)
    asked = options.get("max_tokens")
    if asked is not None and asked > settings.max_tokens:
        raise refuse(
            400,
            f"max_tokens is too large: {asked}. This deployment supports at most "
            f"{settings.max_tokens} completion tokens.",
            "invalid_value",
            "max_tokens",
        )
    options["max_tokens"] = asked or settings.max_tokens
    limits.check(request.messages, options, settings, refuse)
    call = model.call(request.messages, request.model, options)
    if not request.stream:
        return StreamingResponse(
            body=[json.dumps(chat_completions.completion(whole(call), request))],
            content_type="application/json",
        )
    encoder = chat_completions.ChunkEncoder.for_request(request)
    chunks = until_first_byte(chat_completions.encode(call, encoder), refuse, in_band=True)
    body: Iterator[bytes] | list[bytes] = chunks if model.streaming else [b"".join(chunks)]
    return StreamingResponse(
        body=body,
        content_type=chat_completions.CONTENT_TYPE,
        headers=chat_completions.HEADERS,
        error_event=encoder.error,
    )


def whole(call: Any) -> Any:
    """Read the call to its end and return its reply; a failure is an HTTP error (none sent)."""
    try:
        for _ in call:
            pass
    except BedrockError as exc:
        raise refused(exc, refuse) from exc
    finally:
        call.close()
    return call.reply()
