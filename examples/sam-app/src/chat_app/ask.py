"""``POST /ask``: the seed's contract, one ``{"message"}`` answered as text or as SSE.

The answer streams as UTF-8 text, or as Server-Sent Events (one event per token) when the
client sends ``Accept: text/event-stream``. Errors are JSON ``{"message": ...}``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any

from bedrock_stream import HTTPError, StreamingResponse
from bedrock_stream.bedrock import RequestOptions
from bedrock_stream.bedrock.events import TextDelta
from bedrock_stream.sse import encode_event

from .model import Model, until_first_byte
from .request_body import header, json_text
from .settings import SYSTEM_PROMPT

log = logging.getLogger("app")


def answer(event: Mapping[str, Any], model: Model) -> StreamingResponse:
    """Answer one ``{"message"}`` (``prompt`` is accepted too)."""
    message = read_message(event, model.settings.max_message_chars)
    sse = "text/event-stream" in header(event, "accept")
    content_type = "text/event-stream; charset=utf-8" if sse else "text/plain; charset=utf-8"
    if not model.streaming:  # one piece, as plain text (the seed's buffered answer)
        answer = "".join(until_first_byte(text(model, message), HTTPError))
        return StreamingResponse(body=[answer], content_type=content_type)
    chunks = until_first_byte(text(model, message), HTTPError)
    body = (encode_event(chunk) for chunk in chunks) if sse else chunks
    return StreamingResponse(body=body, content_type=content_type)


def read_message(event: Mapping[str, Any], max_chars: int) -> str:
    """Validate the request body and return the user's message, or raise a 400 or 415."""
    try:
        body = json.loads(json_text(event, HTTPError))
    except ValueError:
        raise HTTPError(400, 'the request body must be JSON like {"message": "..."}') from None
    if not isinstance(body, dict):
        raise HTTPError(400, 'the request body must be a JSON object like {"message": "..."}')
    message = body.get("message", body.get("prompt"))
    if not isinstance(message, str) or not message.strip():
        raise HTTPError(400, "'message' must be a non-empty string")
    if len(message) > max_chars:
        raise HTTPError(400, f"'message' is longer than {max_chars} characters")
    return message


def text(model: Model, message: str) -> Iterator[str]:
    """The answer's text deltas; logs how the answer ended."""
    options = RequestOptions(system=SYSTEM_PROMPT, max_tokens=model.settings.max_tokens)
    call = model.call(message, model.settings.model_id, options)
    try:
        for event in call:
            if isinstance(event, TextDelta):
                yield event.text
    finally:
        call.close()
    reply = call.reply()
    log.info(
        "answered: stop=%s output_tokens=%s",
        reply.stop.reason if reply.stop else None,
        reply.usage.output_tokens if reply.usage else None,
    )
