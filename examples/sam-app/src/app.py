"""The reference app: one handler behind a streaming and a buffered REST API, four routes.

* ``POST /ask`` with ``{"message": "..."}``: the answer as UTF-8 text, or as Server-Sent
  Events with ``Accept: text/event-stream`` (the seed's contract, :mod:`chat_app.ask`).
* ``POST /v1/chat/completions`` and ``GET /v1/models``: OpenAI's Chat Completions, for the
  ``openai`` SDKs and every tool that takes an OpenAI ``base_url``
  (:mod:`chat_app.completions`, :mod:`chat_app.models`).
* ``POST /chat``: the AI SDK's UI message stream, for ``useChat``, with the app's calculator
  tool run within the request (:mod:`chat_app.chat`).

Streaming API (bedrock-stream's runtime attaches a sink): ConverseStream, relayed as it
arrives; a Bedrock failure before the first byte becomes 429 (throttled) or 502, one after it
ends the stream as failed, in the route's protocol. Buffered API (the plain managed runtime,
no sink): Converse, which needs only ``bedrock:InvokeModel``, answered in one piece; a
streamed protocol's whole event stream then arrives at once.

Bad requests get a 400 naming the problem (415 for a body not declared
``application/json``, so that a cross-site "simple" request cannot skip the CORS preflight),
in the route's error shape; nothing internal reaches the client. Cross-origin headers name
the one origin ``ALLOWED_ORIGIN`` allows, on answers and errors alike; none when it is empty.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from chat_app import ask, chat, completions, models
from chat_app.model import Model
from chat_app.settings import Settings

from bedrock_stream import CORS, HTTPError, StreamingResponse, streaming_handler
from bedrock_stream.bedrock import RetryPolicy
from bedrock_stream.sink import current_sink

SETTINGS = Settings.from_environ()
MODEL_ID = SETTINGS.model_id
MAX_TOKENS = SETTINGS.max_tokens
CROSS_ORIGIN = (
    CORS(
        allow_origin=SETTINGS.allowed_origin,
        allow_methods=("GET", "POST", "OPTIONS"),
        allow_headers=("Content-Type", "Accept", "Authorization", "X-Api-Key"),
        max_age=600,
    )
    if SETTINGS.allowed_origin
    else None
)

BEDROCK: Any = None
"""The bedrock-runtime client; None uses bedrock-stream's per-process default client."""
RETRY: RetryPolicy | None = None
"""Retries before the first token; None uses bedrock-stream's default policy."""

Route = Callable[[Mapping[str, Any], Model], StreamingResponse]
ROUTES: dict[tuple[str, str], Route] = {
    ("POST", "/ask"): ask.answer,
    ("POST", "/chat"): chat.answer,
    ("POST", "/v1/chat/completions"): completions.answer,
    ("GET", "/v1/models"): models.answer,
}
"""Each route by method and resource path, as the template declares them."""

log = logging.getLogger("app")
log.setLevel(logging.INFO)


@streaming_handler(cors=CROSS_ORIGIN)
def handler(event: Mapping[str, Any], context: Any) -> StreamingResponse:
    route = ROUTES.get(route_key(event))
    if route is None:
        raise HTTPError(404, "no such route")
    return route(event, Model(SETTINGS, BEDROCK, RETRY, streaming=current_sink() is not None))


def route_key(event: Mapping[str, Any]) -> tuple[str, str]:
    """The request's method and route: API Gateway's ``resource``, a function URL's path."""
    http = (event.get("requestContext") or {}).get("http") or {}  # a function URL's event
    method = str(event.get("httpMethod") or http.get("method") or "").upper()
    return method, str(event.get("resource") or event.get("rawPath") or event.get("path") or "")
