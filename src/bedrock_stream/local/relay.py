"""Relay a function's response to an HTTP client, as API Gateway and function URLs do.

A streamed response goes out as it arrives: the prelude is split off with
:class:`~bedrock_stream.http_integration.PreludeDecoder`, its status and headers are
sent, and every body chunk is sent the moment the Runtime API hands it over (chunked
transfer encoding; nothing is buffered). A client that reads slowly slows the function:
the next chunk is taken once the last one was sent, and the Runtime API holds at most
:data:`~bedrock_stream.local.invocation.STREAM_BUFFER` for the relay, then stops
reading the function's response. However the relay ends before the stream does (the
client went away, a limit cut the stream, the front door failed), it detaches the
invocation, which lets the function run on to its end. A buffered response is read
whole, under the integration timeout, and translated by the front door's own reader.

What AWS does after a stream has started and then fails is only partly documented.
The emulator's choice, the same for every front door: the chunked body is ended
without its terminating chunk, so any HTTP client reports a truncated response rather
than a complete one. Before anything was sent, a failed invocation is answered with
the front door's own error response.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bedrock_stream.http_integration import CONTENT_TYPE, PreludeDecoder, PreludeError
from bedrock_stream.local.bandwidth import Bandwidth, TokenBucket
from bedrock_stream.local.http_exchange import ClientGone, Exchange
from bedrock_stream.local.invocation import (
    BodyChunk,
    Done,
    Event,
    InvocationError,
    ResponseStarted,
)

if TYPE_CHECKING:
    from bedrock_stream.local.invoker import FunctionInvocation
    from bedrock_stream.local.messages import GatewayResponse

__all__ = ["Outcome", "StreamLimits", "relay_buffered", "relay_stream", "respond"]

_EMPTY_CONTENT_TYPE = "application/octet-stream"
"""A function URL's content type for a streamed response that ended with no byte."""
_CLIENT_CHECK = 0.5
"""Seconds between checks that a waiting client is still connected."""


@dataclass(frozen=True)
class StreamLimits:
    """Time and bandwidth limits a front door applies to a streamed response."""

    max_duration: float = 900.0
    """Seconds from the request to the end of the stream (API Gateway: 15 minutes)."""
    idle_timeout: float = 300.0
    """Seconds without a byte before the stream is cut (regional API Gateway: 5 minutes)."""
    bandwidth: Bandwidth | None = None
    """Shaping of the body, off unless asked for."""


@dataclass(frozen=True)
class Outcome:
    """How an exchange ended, for the front door's log line."""

    status: int
    detail: str
    sent: int = 0


def relay_stream(
    exchange: Exchange,
    invocation: FunctionInvocation,
    *,
    limits: StreamLimits,
    failed: GatewayResponse,
    malformed: GatewayResponse,
    timed_out: GatewayResponse,
    raw_allowed: bool,
    empty_allowed: bool = False,
) -> Outcome:
    """Send a streamed invocation's response to the client as it arrives.

    Args:
        exchange: the client's request, not yet answered.
        invocation: the function's streaming invocation for it.
        limits: duration, idle and bandwidth limits of this front door.
        failed: the answer when the function fails before its prelude is complete.
        malformed: the answer when the prelude is missing or invalid.
        timed_out: the answer when nothing came within the duration limit.
        raw_allowed: a response whose content type is not the HTTP integration type
            is passed through with status 200 (function URLs), its head sent with its
            first byte (a failure before it is still ``failed``); else its first bytes
            must be a prelude (API Gateway).
        empty_allowed: a stream that ends without a single byte is answered 200,
            ``Content-Type: application/octet-stream``, with an empty chunked body
            (function URLs, as reported); else it is ``malformed``.
    """
    start = time.monotonic()
    deadline = start + limits.max_duration
    decoder: PreludeDecoder | None = PreludeDecoder()
    raw: list[tuple[str, str]] = []  # a raw response's head, sent with its first byte
    bucket = TokenBucket(limits.bandwidth) if limits.bandwidth else None
    sent = 0
    received = False
    pending: list[bytes] = []
    events = _timed(invocation, deadline, limits.idle_timeout, exchange)
    try:
        for event in events:
            if isinstance(event, ResponseStarted):
                if raw_allowed and event.content_type.split(";")[0].strip() != CONTENT_TYPE:
                    decoder = None
                    raw = [("Content-Type", event.content_type)]
            elif isinstance(event, BodyChunk):
                received = received or bool(event.data)
                if decoder is not None and decoder.prelude is None:
                    try:
                        parts = decoder.feed(event.data)
                    except PreludeError as exc:
                        invocation.detach()
                        respond(exchange, malformed)
                        return Outcome(malformed.status, f"bad prelude: {exc}")
                    if decoder.prelude is None:
                        continue
                    prelude = decoder.prelude
                    exchange.start(prelude.status_code, prelude.fields())
                    pending = [part for part in parts[1:] if isinstance(part, bytes)]
                else:
                    if not exchange.started:  # a runtime may open its response early
                        exchange.start(200, raw)
                    pending = [event.data]
                for data in pending:
                    if bucket is not None:
                        bucket.take(len(data))
                    exchange.send(data)
                    sent += len(data)
            elif isinstance(event, InvocationError):
                if not exchange.started:
                    respond(exchange, failed)
                    return Outcome(failed.status, f"function error {event.error_type}")
                exchange.abort()
                return Outcome(exchange.status or 0, f"stream cut: {event.error_type}", sent)
            elif isinstance(event, Done):
                if not exchange.started and decoder is None:  # raw, and empty
                    exchange.start(200, raw)
                elif not exchange.started and empty_allowed and not received:
                    exchange.start(200, [("Content-Type", _EMPTY_CONTENT_TYPE)])
                elif not exchange.started:  # ended before a complete prelude
                    respond(exchange, malformed)
                    return Outcome(malformed.status, "no prelude before the end of the stream")
                exchange.end()
                return Outcome(exchange.status or 0, "streamed", sent)
    except TimeoutError as exc:
        invocation.detach()
        if not exchange.started:
            respond(exchange, timed_out)
            return Outcome(timed_out.status, str(exc))
        exchange.abort()
        return Outcome(exchange.status or 0, f"stream cut: {exc}", sent)
    except BaseException:  # ClientGone, or a head h11 refuses: nobody takes the events now
        invocation.detach()
        raise
    raise AssertionError("unreachable: the events end with Done")  # pragma: no cover


def relay_buffered(
    exchange: Exchange,
    invocation: FunctionInvocation,
    *,
    timeout: float,
    read: Callable[[bytes], GatewayResponse],
    failed: GatewayResponse,
    timed_out: GatewayResponse,
) -> Outcome:
    """Wait for a buffered invocation's whole response and answer with ``read(payload)``."""
    body: list[bytes] = []
    try:
        for event in _timed(invocation, time.monotonic() + timeout, None, exchange):
            if isinstance(event, BodyChunk):
                body.append(event.data)
            elif isinstance(event, InvocationError):
                respond(exchange, failed)
                return Outcome(failed.status, f"function error {event.error_type}")
            elif isinstance(event, Done):
                break
    except TimeoutError as exc:
        invocation.detach()
        respond(exchange, timed_out)
        return Outcome(timed_out.status, str(exc))
    except ClientGone:
        invocation.detach()
        raise
    response = read(b"".join(body))
    respond(exchange, response)
    return Outcome(response.status, "buffered", len(response.body))


def _timed(
    invocation: FunctionInvocation, deadline: float, idle: float | None, exchange: Exchange
) -> Iterator[Event]:
    """Yield the events; TimeoutError past ``deadline`` or after ``idle`` quiet seconds.

    While no event comes, the client's connection is checked twice a second: a client
    that reset it, or closed it once the response had started, raises :class:`ClientGone`
    at once, not at the next write. One that closed before (a half-close, or a client
    that left then: TCP cannot tell them apart) is answered, and noticed at the first
    write that fails (see :meth:`~bedrock_stream.local.http_exchange.Exchange.peer_closed`).
    """
    quiet_since = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= deadline:
            raise TimeoutError("the integration timeout was reached")
        if idle is not None and now - quiet_since >= idle:
            raise TimeoutError(f"no byte for {idle:g} s (idle timeout)")
        wait = deadline - now if idle is None else min(deadline - now, quiet_since + idle - now)
        try:
            event = invocation.next_event(min(wait, _CLIENT_CHECK), keep=False)
        except TimeoutError:
            if exchange.peer_closed():
                raise ClientGone("the client closed the connection") from None
            continue  # the checks above name the limit that was reached
        quiet_since = time.monotonic()
        yield event
        if isinstance(event, Done):
            return


def respond(exchange: Exchange, response: GatewayResponse) -> None:
    """Answer ``exchange`` with a whole response the front door generated or read."""
    exchange.respond(response.status, response.headers, response.body)
