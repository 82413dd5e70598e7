"""The reference app: one handler behind a streaming and a buffered REST API.

POST /ask with ``{"message": "..."}`` (``prompt`` is accepted too). The answer streams as
UTF-8 text, or as Server-Sent Events when the client sends ``Accept: text/event-stream``.

* Streaming API (bedrock-stream's runtime attaches a sink): ConverseStream, relayed token
  by token. A Bedrock failure before the first token becomes 429 (throttled) or 502; one
  after it ends the stream as failed (error trailers, and ``event: error`` for SSE).
* Buffered API (plain managed runtime, no sink): one Converse call, which needs only
  ``bedrock:InvokeModel``, returned in one piece with the same status codes.

Bad requests get a JSON 400 naming the problem (415 for a body that is not declared
``application/json``, so that a cross-site "simple" request cannot skip the CORS
preflight); nothing internal reaches the client. Cross-origin headers name the one origin
``ALLOWED_ORIGIN`` allows, on answers and errors alike; none when it is empty.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
from collections.abc import Iterator, Mapping
from typing import Any

from bedrock_stream import CORS, HTTPError, StreamingResponse, streaming_handler
from bedrock_stream.bedrock import (
    BedrockError,
    RetryPolicy,
    ThrottlingError,
    complete_text,
    stream_text,
)
from bedrock_stream.sink import current_sink
from bedrock_stream.sse import encode_event

MODEL_ID = os.environ.get("MODEL_ID", "global.anthropic.claude-sonnet-4-5-20250929-v1:0")
MAX_TOKENS = int(os.environ.get("MAX_TOKENS", "1024"))
MAX_MESSAGE_CHARS = int(os.environ.get("MAX_MESSAGE_CHARS", "2000"))
ALLOWED_ORIGIN = os.environ.get("ALLOWED_ORIGIN", "")
SYSTEM_PROMPT = "You are a helpful assistant. Answer clearly and concisely."
CROSS_ORIGIN = (
    CORS(
        allow_origin=ALLOWED_ORIGIN,
        allow_methods=("POST", "OPTIONS"),
        allow_headers=("Content-Type", "Accept", "Authorization", "X-Api-Key"),
        max_age=600,
    )
    if ALLOWED_ORIGIN
    else None
)

BEDROCK: Any = None
"""The bedrock-runtime client; None uses bedrock-stream's per-process default client."""
RETRY: RetryPolicy | None = None
"""Retries before the first token; None uses bedrock-stream's default policy."""

log = logging.getLogger("app")
log.setLevel(logging.INFO)


@streaming_handler(cors=CROSS_ORIGIN)
def handler(event: Mapping[str, Any], context: Any) -> StreamingResponse:
    message = read_message(event)
    sse = "text/event-stream" in header(event, "accept")
    if current_sink() is None:
        return StreamingResponse(body=[buffered_answer(message)], content_type=content_type(sse))
    text = streamed_answer(message)
    body = (encode_event(token) for token in text) if sse else text
    return StreamingResponse(body=body, content_type=content_type(sse))


def content_type(sse: bool) -> str:
    return "text/event-stream; charset=utf-8" if sse else "text/plain; charset=utf-8"


def header(event: Mapping[str, Any], name: str) -> str:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return str(value)
    return ""


def read_message(event: Mapping[str, Any]) -> str:
    """Validate the request body and return the user's message, or raise a 400 or 415."""
    media_type = header(event, "content-type").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise HTTPError(415, "the request body must be sent as Content-Type: application/json")
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(raw, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise HTTPError(400, "the request body must be UTF-8 JSON") from None
    try:
        body = json.loads(raw)
    except ValueError:
        raise HTTPError(400, 'the request body must be JSON like {"message": "..."}') from None
    if not isinstance(body, dict):
        raise HTTPError(400, 'the request body must be a JSON object like {"message": "..."}')
    message = body.get("message", body.get("prompt"))
    if not isinstance(message, str) or not message.strip():
        raise HTTPError(400, "'message' must be a non-empty string")
    if len(message) > MAX_MESSAGE_CHARS:
        raise HTTPError(400, f"'message' is longer than {MAX_MESSAGE_CHARS} characters")
    return message


def model_options() -> dict[str, Any]:
    """The Bedrock call's options, shared by the streamed and the buffered answer."""
    return {
        "model_id": MODEL_ID,
        "system": SYSTEM_PROMPT,
        "max_tokens": MAX_TOKENS,
        "client": BEDROCK,
        "retry": RETRY,
    }


def streamed_answer(message: str) -> Iterator[str]:
    """Relay the model's tokens; map a failure before the first one to an HTTP status."""
    stream = stream_text(message, **model_options())
    started = False
    try:
        for token in stream:
            started = True
            yield token
    except BedrockError as exc:
        if started:
            raise  # mid-stream: reported as a failed stream, never as a complete answer
        raise _as_http_error(exc) from exc
    finally:
        stream.close()  # the client went away or the stream failed: release the connection
    log.info(
        "answered: stop=%s output_tokens=%s",
        stream.stop.reason if stream.stop else None,
        stream.usage.output_tokens if stream.usage else None,
    )


def buffered_answer(message: str) -> str:
    try:
        completion = complete_text(message, **model_options())
    except BedrockError as exc:
        raise _as_http_error(exc) from exc
    return completion.text


def _as_http_error(exc: BedrockError) -> HTTPError:
    log.warning("bedrock failed before the first token: %s (%s)", type(exc).__name__, exc.code)
    if isinstance(exc, ThrottlingError):
        return HTTPError(429, "the model is busy; try again shortly", headers={"Retry-After": "2"})
    return HTTPError(502, "the model could not answer; try again later")
