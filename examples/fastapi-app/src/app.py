"""A FastAPI app that streams Amazon Bedrock's answer as Server-Sent Events, on Lambda.

Routes:

* ``POST /ask`` with ``{"message": "..."}``: the answer as Server-Sent Events, one
  ``text`` event per text delta, then ``stop`` and ``usage``, then ``data: [DONE]``.
  A request FastAPI cannot validate gets its 422 JSON error; Bedrock throttling before the
  first event a 429, any other Bedrock failure before it a 502. A failure after it sends an
  ``error`` event and no ``[DONE]``, and the stream ends as failed.
* ``GET /health``: the model and the output cap, as JSON.
* ``GET /error``: a route that fails, as a bug would. An unhandled exception in any route is
  FastAPI's plain 500 ``Internal Server Error``; its text and traceback go to the log, never
  to the client.

The same ``app`` runs under uvicorn (``uvicorn app:app``). On Lambda, ``handler`` runs it:
through bedrock-stream's runtime (the exec wrapper) every SSE event streams as it is sent;
on the plain runtime the response comes back whole.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse

from bedrock_stream.asgi import asgi_handler
from bedrock_stream.bedrock import (
    BedrockError,
    ReplyStream,
    Stop,
    TextDelta,
    ThrottlingError,
    Usage,
    default_client,
    stream_events,
)

MODEL_ID = os.environ.get("MODEL_ID", "global.anthropic.claude-sonnet-4-5-20250929-v1:0")
MAX_TOKENS = int(os.environ.get("MAX_TOKENS", "1024"))
MAX_MESSAGE_CHARS = int(os.environ.get("MAX_MESSAGE_CHARS", "2000"))
SYSTEM_PROMPT = "You are a helpful assistant. Answer clearly and concisely."

log = logging.getLogger("app")
log.setLevel(logging.INFO)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Create the Bedrock client once: on Lambda, during the init phase."""
    app.state.bedrock = default_client()
    log.info("started: model=%s max_tokens=%s", MODEL_ID, MAX_TOKENS)
    yield
    log.info("shutting down")


app = FastAPI(title="bedrock-stream FastAPI example", lifespan=lifespan)


class Ask(BaseModel):
    """The body of ``POST /ask``."""

    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS, pattern=r"\S")
    max_tokens: int = Field(default=MAX_TOKENS, ge=1, le=MAX_TOKENS)


@app.get("/health")
def health() -> dict[str, Any]:
    """What this deployment answers with."""
    return {"status": "ok", "model": MODEL_ID, "max_tokens": MAX_TOKENS}


@app.get("/error")
def error() -> dict[str, Any]:
    """Fail as a bug would: what a client gets then (and what it never gets)."""
    raise RuntimeError("a bug's details, for the log only")


@app.post("/ask")
def ask(body: Ask, request: Request) -> EventSourceResponse:
    """Stream the answer to one message as Server-Sent Events."""
    stream = stream_events(
        body.message,
        model_id=MODEL_ID,
        client=request.app.state.bedrock,
        system=SYSTEM_PROMPT,
        max_tokens=body.max_tokens,
    )
    try:  # the first event, before the status is sent: an error here can still be a 4xx/5xx
        first = next(stream)
    except ThrottlingError:
        busy = "the model is busy; try again shortly"
        raise HTTPException(429, busy, {"Retry-After": "2"}) from None
    except BedrockError:
        log.exception("Bedrock failed before the first event")
        raise HTTPException(502, "the model could not answer; try again later") from None
    return EventSourceResponse(server_sent_events(first, stream))


def server_sent_events(first: object, stream: ReplyStream) -> Iterator[dict[str, str]]:
    """The events of one answer, as sse-starlette takes them; ``[DONE]`` after the last."""
    try:
        for event in itertools.chain([first], stream):
            frame = frame_of(event)
            if frame is not None:
                yield frame
    except BedrockError:
        message = {"message": "the model could not answer; try again later"}
        yield {"event": "error", "data": json.dumps(message)}
        raise  # the stream then ends as failed: no client mistakes it for a whole answer
    finally:
        stream.close()
    yield {"data": "[DONE]"}


def frame_of(event: object) -> dict[str, str] | None:
    """One Bedrock event as an SSE event, or None for the events a client needs not see."""
    if isinstance(event, TextDelta):
        return {"event": "text", "data": json.dumps({"text": event.text})}
    if isinstance(event, Stop):
        return {"event": "stop", "data": json.dumps({"reason": event.reason})}
    if isinstance(event, Usage):
        tokens = {"input_tokens": event.input_tokens, "output_tokens": event.output_tokens}
        return {"event": "usage", "data": json.dumps(tokens)}
    return None


handler = asgi_handler(app)
"""The Lambda handler: API Gateway and function URL events in, the app's response out."""
