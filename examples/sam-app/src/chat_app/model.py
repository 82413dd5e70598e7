"""The model calls of one request: ConverseStream behind the streaming API, Converse behind
the buffered one, both as the same typed events; and what a failure before them answers.

The buffered API's function may only call ``bedrock:InvokeModel``, so without a sink a call
is one Converse request whose reply is replayed as the events a stream of it carries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from bedrock_stream import HTTPError
from bedrock_stream.bedrock import (
    BedrockError,
    RequestOptions,
    RetryPolicy,
    ThrottlingError,
    UnsupportedOptionError,
    ValidationError,
    complete_reply,
    stream_events,
)
from bedrock_stream.bedrock.assembly import Reply
from bedrock_stream.bedrock.events import Event
from bedrock_stream.bedrock.replay import replay_events

from .request_body import Refuse
from .settings import Settings

log = logging.getLogger("app")
T = TypeVar("T", str, bytes)

BUSY = "the model is busy; try again shortly"
FAILED = "the model could not answer; try again later"
UNSUPPORTED = "the model cannot take an option of this request"
INVALID = "the model refused this request as invalid"


@dataclass(frozen=True)
class Model:
    """How this request reaches Bedrock: the settings, the client and whether it streams."""

    settings: Settings
    client: Any
    """The bedrock-runtime client; None uses bedrock-stream's per-process default client."""
    retry: RetryPolicy | None
    """Retries before the first token; None uses bedrock-stream's default policy."""
    streaming: bool
    """A sink is attached (the streaming API): ConverseStream, else Converse."""

    def call(self, messages: str | Sequence[Any], model_id: str, options: RequestOptions) -> Call:
        """Start one model call; its events come as a stream of it would carry them."""
        kwargs: dict[str, Any] = {"model_id": model_id, "client": self.client, "retry": self.retry}
        if self.streaming:
            return stream_events(messages, **kwargs, **options)
        return Replayed(lambda: complete_reply(messages, **kwargs, **options))


class Call(Protocol):
    """One model call's events; :meth:`reply` folds those received so far."""

    def __iter__(self) -> Iterator[Event]: ...
    def reply(self) -> Reply: ...
    def close(self) -> None: ...


class Replayed:
    """A buffered reply, iterated as the events a stream of it carries (tool calls included).

    Like a stream, it calls Bedrock when first iterated, so that its failures arise where a
    stream's do.
    """

    def __init__(self, complete: Callable[[], Reply]) -> None:
        self._complete = complete
        self._reply: Reply | None = None

    def __iter__(self) -> Iterator[Event]:
        self._reply = self._complete()
        return replay_events(self._reply)

    def reply(self) -> Reply:
        assert self._reply is not None, "iterate the call first"
        return self._reply

    def close(self) -> None:
        """Nothing to release: the response was read whole."""


def until_first_byte(
    chunks: Iterator[T], refuse: Refuse, *, in_band: bool = False, invalid: int = 502
) -> Iterator[T]:
    """Relay ``chunks``; a Bedrock failure before the first byte becomes an HTTP error.

    After the first chunk the status line is gone: the failure is re-raised, and the response
    ends as failed (its protocol's in-band error frame, then error trailers). With
    ``in_band`` it is re-raised as the HTTP error it would have been, so that the frame
    names it in the same words ("the model is busy ...") instead of a generic failure.
    ``invalid`` is the status of a request Bedrock refuses as invalid (see :func:`refused`).
    """
    started = False
    try:
        for chunk in chunks:
            started = started or bool(chunk)
            yield chunk
    except BedrockError as exc:
        if started and not in_band:
            raise
        raise refused(exc, refuse, invalid=invalid) from exc


def refused(exc: BedrockError, refuse: Refuse, *, invalid: int = 502) -> HTTPError:
    """The HTTP error a Bedrock failure before the first byte answers: 400 for an option the
    model cannot take, 429 when throttled, else 502; no internals.

    A request Bedrock refuses as invalid (``ValidationError``) gets ``invalid``: the chat
    routes pass 400, since their clients choose the history and options, and a 5xx would
    make an SDK retry a request that cannot succeed; ``/ask`` keeps its 502.
    """
    log.warning("bedrock failed before the first token: %s (%s)", type(exc).__name__, exc.code)
    if isinstance(exc, UnsupportedOptionError):  # found before the request was sent
        return refuse(400, UNSUPPORTED)
    if isinstance(exc, ValidationError) and invalid < 500:
        return refuse(invalid, INVALID)
    if isinstance(exc, ThrottlingError):
        error = refuse(429, BUSY)
        error.headers["Retry-After"] = "2"
        return error
    return refuse(502, FAILED)
