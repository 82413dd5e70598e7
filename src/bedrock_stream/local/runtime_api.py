"""A local Lambda Runtime API: the Lambda side of ``AWS_LAMBDA_RUNTIME_API``.

It behaves like the Runtime API as AWS's emulator (RAPID) source defines it: ``/next``
hands out queued invocations with the real headers; ``/response`` takes buffered bodies
and chunked streaming bodies with trailers, handing each chunk to the invoker as it
arrives; ``/error``, ``/init/error`` and ``/restore/next`` are answered with RAPID's
status codes and JSON bodies. HTTP/1.1 framing is h11's; this module only routes.

The invoker sees an invocation as events, in order::

    ResponseStarted(content_type, headers)    # /response began (streaming or buffered)
    BodyChunk(data, arrived)                  # zero or more, each the moment it arrived
    Trailers(headers)                         # the runtime's trailers, if any
    InvocationError(error_type, body)         # /error, a trailer error, or a framing fault
    Done(status)                              # "success" or "failure"

A streamed response is not buffered whole: at most :data:`STREAM_BUFFER` (1 MiB) of its
body waits in the :class:`Invocation` for the invoker. Past that, ``/response`` stops
reading the runtime's connection until the invoker has taken chunks, so the function's
writes block on TCP backpressure: a client that reads slowly slows the function. A
consumer that goes away must say so with :meth:`Invocation.detach`: the chunks waiting
are dropped and the body is read on (and dropped) so that the function finishes; closing
the server releases every waiting response too (each ends ``Runtime.TruncatedResponse``).
A buffered (``Invoke``) response is read whole, under :data:`BUFFERED_CAP`.

Needs the ``local`` extra (h11). Example::

    with RuntimeAPIServer() as api:
        env = {"AWS_LAMBDA_RUNTIME_API": api.address}
        invocation = api.invoke({"hello": "world"})
        ...  # start a runtime with env
        result = invocation.result(timeout=10)
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from bedrock_stream.local.bandwidth import Bandwidth, TokenBucket
from bedrock_stream.local.http_server import (
    BadRequest,
    BodyTooLarge,
    ClientGone,
    Exchange,
    HTTPServer,
)

__all__ = [
    "BUFFERED_CAP",
    "STREAMING_CAP",
    "STREAM_BUFFER",
    "TRUNCATED_RESPONSE",
    "Bandwidth",
    "BodyChunk",
    "Done",
    "Event",
    "InitError",
    "Invocation",
    "InvocationError",
    "ResponseStarted",
    "Result",
    "RuntimeAPIServer",
    "Trailers",
]

BUFFERED_CAP = 6 * 1024 * 1024 + 100
"""RAPID's buffered response cap: 6 MiB + 100 bytes."""
STREAMING_CAP = 200 * 1024 * 1024
"""Default cap on a streamed response body (Lambda's documented 200 MB)."""
STREAM_BUFFER = 1024 * 1024
"""Body bytes of a streamed invocation that may wait for the invoker (1 MiB).

Once that many are queued, ``/response`` reads no more of the runtime's body until the
invoker takes some: what a stalled client costs the stack is this, plus at most one read
(64 KiB), plus socket buffers (kernel memory), whatever the length of the stream. 1 MiB
is 16 reads of 64 KiB: enough that a reader keeping up never waits on the Runtime API.
"""

TRUNCATED_RESPONSE = "Runtime.TruncatedResponse"
"""The error of an invocation whose response connection broke mid-body (RAPID's name)."""

_PREFIX = "/2018-06-01/runtime"
_ERROR_TYPE = "lambda-runtime-function-error-type"
_ERROR_BODY = "lambda-runtime-function-error-body"
_MAX_HEAD = 1024 * 1024
"""RAPID's limit on a request head (Go's default ``MaxHeaderBytes``); trailers share it."""
_TRACE_ID = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


class ResponseStarted(NamedTuple):
    """The runtime began ``/response``; headers are lower-cased name/value pairs."""

    content_type: str
    headers: tuple[tuple[str, str], ...]
    streaming: bool


class BodyChunk(NamedTuple):
    """Response bytes as they arrived (``time.monotonic()``); not the runtime's chunking."""

    data: bytes
    arrived: float


class Trailers(NamedTuple):
    """Trailer fields of a chunked ``/response``; lower-cased names."""

    headers: tuple[tuple[str, str], ...]


class InvocationError(NamedTuple):
    """An error: from ``/error``, from error trailers, or a fault found by the Runtime API."""

    error_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


class Done(NamedTuple):
    """The invocation ended: ``status`` is ``"success"`` or ``"failure"``."""

    status: str


Event = ResponseStarted | BodyChunk | Trailers | InvocationError | Done


class InitError(NamedTuple):
    """A ``/runtime/init/error`` report."""

    error_type: str
    body: bytes


class Result(NamedTuple):
    """An invocation's events folded together (see :meth:`Invocation.result`)."""

    status: str
    content_type: str | None
    headers: dict[str, str]
    body: bytes
    trailers: dict[str, str]
    error_type: str | None
    error_body: bytes | None

    def error_json(self) -> Any:
        """Parse the error body as JSON (trailer bodies arrive base64-decoded already)."""
        if self.error_body is None:
            return None
        return json.loads(self.error_body)


class Invocation:
    """One queued invocation and the events the runtime produced for it.

    The events wait in a queue for the invoker. For a streamed invocation that queue is
    bounded: once ``stream_buffer`` body bytes (:data:`STREAM_BUFFER`, 1 MiB, by default)
    wait in it, the Runtime API stops reading the response (:meth:`wait_for_room`) until
    the invoker takes a chunk, so it holds at most that plus one read whatever the
    length of the stream. Other events are never held back, and a buffered invocation's
    body is bounded by its cap alone.

    An invoker that stops taking events must :meth:`detach`, or the function waits for
    it (in the local Lambda service, until its timeout). Body chunks taken with
    ``keep=False`` are not retained.
    """

    def __init__(
        self,
        payload: bytes,
        *,
        request_id: str,
        deadline_ms: int,
        function_arn: str,
        trace_id: str,
        streaming: bool,
        client_context: str | None,
        cognito_identity: str | None,
        tenant_id: str | None,
        stream_buffer: int = STREAM_BUFFER,
    ) -> None:
        self.payload = payload
        self.request_id = request_id
        self.deadline_ms = deadline_ms
        self.function_arn = function_arn
        self.trace_id = trace_id
        self.streaming = streaming
        self.client_context = client_context
        self.cognito_identity = cognito_identity
        self.tenant_id = tenant_id
        self.stream_buffer = stream_buffer
        """Body bytes of a streamed response that may wait for the invoker."""
        self.state = "queued"  # queued -> dispatched -> responding -> done
        self._pending: deque[Event] = deque()  # emitted, not yet taken
        self._buffered = 0  # body bytes in _pending
        self._changed = threading.Condition()  # guards the above and the flags below
        self._abandoned = False  # detach() was called
        self._released = False  # the server no longer waits for room
        self._finished = False  # Done was emitted
        self._seen: list[Event] = []

    def next_headers(self) -> list[tuple[str, str]]:
        """Return the ``/next`` response headers for this invocation."""
        headers = [
            ("Content-Type", "application/json"),
            ("Lambda-Runtime-Aws-Request-Id", self.request_id),
            ("Lambda-Runtime-Deadline-Ms", str(self.deadline_ms)),
            ("Lambda-Runtime-Invoked-Function-Arn", self.function_arn),
            ("Lambda-Runtime-Trace-Id", self.trace_id),
        ]
        for name, value in (
            ("Lambda-Runtime-Client-Context", self.client_context),
            ("Lambda-Runtime-Cognito-Identity", self.cognito_identity),
            ("Lambda-Runtime-Aws-Tenant-Id", self.tenant_id),
        ):
            if value is not None:
                headers.append((name, value))
        return headers

    @property
    def buffered_bytes(self) -> int:
        """Body bytes emitted and not yet taken by the invoker."""
        return self._buffered

    @property
    def detached(self) -> bool:
        """Whether :meth:`detach` was called."""
        return self._abandoned

    def detach(self) -> None:
        """Say the invoker went away: body chunks, waiting or to come, are dropped.

        A response waiting for room goes on, so that the function can finish. A subclass
        that overrides this calls it.
        """
        with self._changed:
            self._abandoned = True
            self._drop_body()

    def emit(self, event: Event) -> None:
        """Record an event for the invoker (used by the server); never waits."""
        with self._changed:
            if isinstance(event, BodyChunk):
                if self._abandoned or self._finished:
                    return
                self._buffered += len(event.data)
            elif isinstance(event, Done):
                self._finished = True
            self._pending.append(event)
            self._changed.notify_all()

    def wait_for_room(self) -> None:
        """Wait while :attr:`stream_buffer` body bytes wait for the invoker (used by the server).

        Returns at once for a buffered invocation, and as soon as the invocation no longer
        takes body bytes: detached, ended, or released by the server that is closing.
        """
        if not self.streaming:
            return
        with self._changed:
            while self._buffered >= self.stream_buffer:
                if self._released or self._finished:
                    return
                self._changed.wait()  # detach() empties the buffer and wakes us

    def _release(self) -> None:
        """Stop :meth:`wait_for_room` from waiting, now and later (the server is closing)."""
        with self._changed:
            self._released = True
            self._changed.notify_all()

    def _drop_body(self) -> None:
        """Drop the body chunks not yet taken, keeping the other events (lock held)."""
        if self._buffered:
            self._pending = deque(e for e in self._pending if not isinstance(e, BodyChunk))
            self._buffered = 0
        self._changed.notify_all()

    def next_event(self, timeout: float | None = None, *, keep: bool = True) -> Event:
        """Return the next event not yet taken; ``keep=False`` does not retain a body chunk.

        Taking a body chunk makes room for the response to be read on.

        Raises:
            TimeoutError: no event came within ``timeout`` seconds.
        """
        with self._changed:
            if not self._changed.wait_for(lambda: self._pending, timeout):
                raise TimeoutError(f"invocation {self.request_id}: no event")
            event = self._pending.popleft()
            if isinstance(event, BodyChunk):
                self._buffered -= len(event.data)
                self._changed.notify_all()
        if keep or not isinstance(event, BodyChunk):
            self._seen.append(event)
        return event

    def events(self, timeout: float | None = None, *, keep: bool = True) -> Iterator[Event]:
        """Yield every event, the ones already taken first, ending with :class:`Done`.

        With ``keep=False`` body chunks are not retained for :meth:`result` (long streams).

        Raises:
            TimeoutError: no event came within ``timeout`` seconds.
        """
        yield from list(self._seen)
        if self._seen and isinstance(self._seen[-1], Done):
            return
        while True:
            event = self.next_event(timeout, keep=keep)
            yield event
            if isinstance(event, Done):
                return

    def result(self, timeout: float | None = None) -> Result:
        """Wait for the end of the invocation and fold its events together."""
        content_type: str | None = None
        headers: dict[str, str] = {}
        body: list[bytes] = []
        trailers: dict[str, str] = {}
        error_type: str | None = None
        error_body: bytes | None = None
        status = "failure"
        for event in self.events(timeout):
            if isinstance(event, ResponseStarted):
                content_type = event.content_type
                headers = dict(event.headers)
            elif isinstance(event, BodyChunk):
                body.append(event.data)
            elif isinstance(event, Trailers):
                trailers = dict(event.headers)
            elif isinstance(event, InvocationError):
                error_type, error_body = event.error_type, event.body
                headers = headers or dict(event.headers)
            else:
                status = event.status
        return Result(
            status, content_type, headers, b"".join(body), trailers, error_type, error_body
        )


class _Reject(Exception):
    """A request the Runtime API refuses, with RAPID's status and error document."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.document = {"errorMessage": message, "errorType": error_type}


def _error_document(status: int, message: str) -> dict[str, str]:
    """Return the Runtime API's own error body (``errorMessage``, ``errorType``)."""
    error_type = {400: "InvalidRequest", 431: "RequestHeaderFieldsTooLarge"}.get(
        status, "ServiceException"
    )
    return {"errorMessage": message, "errorType": error_type}


class RuntimeAPIServer:
    """An embeddable Runtime API on loopback; one thread per runtime connection.

    Args:
        host: address to listen on.
        port: port; 0 picks a free one (see :attr:`address`).
        streaming_cap: the largest streamed body accepted (413 beyond it).
        buffered_cap: the largest body of a buffered (``Invoke``) invocation.
        bandwidth: shape delivery to the invoker like Lambda; off by default.
        function_arn: the ARN handed out with each invocation.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        streaming_cap: int = STREAMING_CAP,
        buffered_cap: int = BUFFERED_CAP,
        bandwidth: Bandwidth | None = None,
        function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:local",
    ) -> None:
        self.streaming_cap = streaming_cap
        self.buffered_cap = buffered_cap
        self.bandwidth = bandwidth
        self.function_arn = function_arn
        # No timeouts: /next is a long poll, and a function may pause between chunks for as
        # long as its own timeout allows.
        self._server = HTTPServer(
            self._route,
            host,
            port,
            name="runtime-api",
            io_timeout=None,
            idle_timeout=None,
            max_head=_MAX_HEAD,
            browsers=False,
            error_document=_error_document,
        )
        self._queue: queue.Queue[Invocation | None] = queue.Queue()
        self._invocations: dict[str, Invocation] = {}
        self._lock = threading.Lock()
        self._init_errors: queue.Queue[InitError] = queue.Queue()
        self._closing = False

    # -- lifecycle ------------------------------------------------------------

    @property
    def address(self) -> str:
        """``host:port``, the value for ``AWS_LAMBDA_RUNTIME_API``."""
        return f"{self._server.host}:{self._server.port}"

    def start(self) -> RuntimeAPIServer:
        """Start accepting runtime connections."""
        self._server.start()
        return self

    def close(self) -> None:
        """Stop: wake pending ``/next`` polls, close every connection, join every thread.

        A streamed response waiting for its invoker to take chunks is cut: its invocation
        ends ``Runtime.TruncatedResponse``.
        """
        self._closing = True
        with self._lock:
            invocations = list(self._invocations.values())
        for invocation in invocations:
            invocation._release()
        self._queue.put(None)
        self._server.close()

    def __enter__(self) -> RuntimeAPIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- invoker side -----------------------------------------------------------

    def invoke(
        self,
        event: Any = None,
        *,
        payload: bytes | None = None,
        request_id: str | None = None,
        timeout_ms: int = 60_000,
        deadline_ms: int | None = None,
        streaming: bool = True,
        trace_id: str = _TRACE_ID,
        client_context: Mapping[str, Any] | None = None,
        cognito_identity: Mapping[str, Any] | None = None,
        tenant_id: str | None = None,
    ) -> Invocation:
        """Queue an invocation; a runtime's next ``/next`` receives it.

        ``event`` is JSON-serialized unless ``payload`` gives the bytes. ``streaming``
        is the invoke mode (``InvokeWithResponseStream``); it selects the size cap.
        """
        body = payload if payload is not None else json.dumps(event).encode()
        invocation = Invocation(
            body,
            request_id=request_id or str(uuid.uuid4()),
            deadline_ms=(
                deadline_ms if deadline_ms is not None else int(time.time() * 1000) + timeout_ms
            ),
            function_arn=self.function_arn,
            trace_id=trace_id,
            streaming=streaming,
            client_context=None if client_context is None else json.dumps(client_context),
            cognito_identity=None if cognito_identity is None else json.dumps(cognito_identity),
            tenant_id=tenant_id,
        )
        return self.submit(invocation)

    def submit(self, invocation: Invocation) -> Invocation:
        """Queue an invocation built by the caller (e.g. a subclass that watches its events)."""
        with self._lock:
            self._invocations[invocation.request_id] = invocation
        self._queue.put(invocation)
        return invocation

    def init_error(self, timeout: float | None = None) -> InitError:
        """Wait for a ``/runtime/init/error`` report."""
        try:
            return self._init_errors.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError("no init error was reported") from None

    # -- runtime side -----------------------------------------------------------------

    def _route(self, exchange: Exchange) -> None:
        target, method = exchange.target, exchange.method
        try:
            if method == "GET" and target == f"{_PREFIX}/invocation/next":
                exchange.read_body()
                self._next(exchange)
            elif method == "POST" and target == f"{_PREFIX}/init/error":
                body = exchange.read_body()
                self._init_errors.put(InitError(exchange.header(_ERROR_TYPE) or "", body))
                _accepted(exchange)
            elif method == "GET" and target == f"{_PREFIX}/restore/next":
                exchange.read_body()
                exchange.respond(200, [("Content-Type", "application/json")])
            elif method == "POST" and target.startswith(f"{_PREFIX}/invocation/"):
                request_id, _, action = target[len(f"{_PREFIX}/invocation/") :].partition("/")
                if action == "response":
                    self._response(exchange, request_id)
                elif action == "error":
                    self._error(exchange, request_id)
                else:
                    raise _Reject(404, "InvalidRequest", f"unknown path {target}")
            else:
                raise _Reject(404, "InvalidRequest", f"unknown path {method} {target}")
        except _Reject as reject:
            if not exchange.started:
                exchange.respond_json(reject.status, reject.document)

    def _next(self, exchange: Exchange) -> None:
        invocation = self._queue.get()
        if invocation is None:  # closing: wake the next poll too
            self._queue.put(None)
            exchange.abort()
            return
        with self._lock:
            # The runtime has moved on: forget what it finished, or a warm server keeps
            # every invocation it ever served. A late post for one is refused like any
            # unknown request id.
            for done in [k for k, v in self._invocations.items() if v.state == "done"]:
                del self._invocations[done]
        invocation.state = "dispatched"
        exchange.respond(200, invocation.next_headers(), invocation.payload)

    def _claim(self, request_id: str, new_state: str) -> Invocation:
        with self._lock:
            invocation = self._invocations.get(request_id)
            if invocation is None or invocation.state != "dispatched":
                raise _Reject(
                    403,
                    "InvalidStateTransition",
                    f"State transition from {getattr(invocation, 'state', 'unknown')} "
                    f"to {new_state} failed for runtime",
                )
            invocation.state = new_state
            return invocation

    def _error(self, exchange: Exchange, request_id: str) -> None:
        invocation = self._claim(request_id, "done")
        try:
            body = exchange.read_body()
        except (BadRequest, ClientGone):
            # The error is reported but its body is lost: the invocation still ends.
            error_type = exchange.header(_ERROR_TYPE) or "Runtime.Unknown"
            _fail(invocation, error_type)
            raise
        error_type = exchange.header(_ERROR_TYPE) or _body_type(body)
        headers = _joined(exchange.headers)
        invocation.emit(InvocationError(error_type, body, headers))
        invocation.emit(Done("failure"))
        _accepted(exchange)

    def _response(self, exchange: Exchange, request_id: str) -> None:
        mode = exchange.header("lambda-runtime-function-response-mode")
        if mode not in (None, "streaming"):
            _fail(self._claim(request_id, "done"), "Runtime.InvalidResponseModeHeader")
            raise _Reject(400, "InvalidFunctionResponseMode", "Invalid function response mode")
        invocation = self._claim(request_id, "responding")
        cap = self.streaming_cap if invocation.streaming else self.buffered_cap
        bucket = TokenBucket(self.bandwidth) if self.bandwidth and invocation.streaming else None
        invocation.emit(
            ResponseStarted(
                exchange.header("content-type") or "application/octet-stream",
                _joined(exchange.headers),
                mode == "streaming",
            )
        )
        try:
            for data in exchange.iter_body(cap):
                if bucket is not None:
                    bucket.take(len(data))
                invocation.emit(BodyChunk(data, time.monotonic()))
                # Backpressure: read no more while the invoker has a full buffer to take.
                invocation.wait_for_room()
                if self._closing:
                    _fail(invocation, TRUNCATED_RESPONSE)
                    exchange.abort()  # no answer, no lingering: the server is going away
                    return
        except BodyTooLarge:
            _fail(invocation, "Function.ResponseSizeTooLarge")
            raise _Reject(
                413,
                "RequestEntityTooLarge",
                f"Exceeded maximum allowed payload size ({cap} bytes).",
            ) from None
        except (BadRequest, ClientGone):
            _fail(invocation, TRUNCATED_RESPONSE)
            raise _Reject(
                400, "TruncatedHTTPRequest", "HTTP request detected as truncated"
            ) from None
        trailers = tuple((name.lower(), value) for name, value in exchange.trailers)
        invocation.state = "done"
        if trailers:
            invocation.emit(Trailers(trailers))
        fields = dict(trailers)
        if _ERROR_TYPE in fields:
            invocation.emit(InvocationError(fields[_ERROR_TYPE], _b64(fields.get(_ERROR_BODY, ""))))
            invocation.emit(Done("failure"))
        else:
            invocation.emit(Done("success"))
        _accepted(exchange)


def _joined(fields: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """Header fields with lower-case names, repeated ones joined with ``", "`` as HTTP allows."""
    joined: dict[str, str] = {}
    for raw_name, value in fields:
        name = raw_name.lower()
        joined[name] = f"{joined[name]}, {value}" if name in joined else value
    return tuple(joined.items())


def _accepted(exchange: Exchange) -> None:
    """RAPID's answer to a report it took: ``202 {"status":"OK"}``."""
    exchange.respond(202, [("Content-Type", "application/json")], b'{"status":"OK"}')


def _fail(invocation: Invocation, error_type: str) -> None:
    """End ``invocation`` as failed with ``error_type`` and no error body."""
    invocation.state = "done"
    invocation.emit(InvocationError(error_type, b""))
    invocation.emit(Done("failure"))


def _body_type(body: bytes) -> str:
    """Read ``errorType`` from an ``/error`` body sent without the error-type header."""
    try:
        error_type = json.loads(body).get("errorType")
    except (ValueError, AttributeError):
        error_type = None
    return error_type if isinstance(error_type, str) and error_type else "Runtime.Unknown"


def _b64(text: str) -> bytes:
    """Decode a trailer's base64 like RAPID: standard alphabet; empty when it does not decode."""
    import base64
    import binascii

    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return b""
