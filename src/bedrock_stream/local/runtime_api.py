"""A local Lambda Runtime API: the Lambda side of ``AWS_LAMBDA_RUNTIME_API``.

It behaves like the Runtime API as AWS's emulator (RAPID) source defines it: ``/next``
hands out queued invocations with the real headers; ``/response`` takes buffered bodies
and chunked streaming bodies with trailers, handing each chunk to the invoker as it
arrives; ``/error``, ``/init/error`` and ``/restore/next`` are answered with RAPID's
status codes and JSON bodies. HTTP/1.1 framing is h11's; this module only routes.

Records, events and their rules: :mod:`bedrock_stream.local.invocation`; paths, fields, states:
:mod:`bedrock_stream.protocol.runtime_api`. Past :data:`STREAM_BUFFER` waiting for the
invoker, ``/response`` stops reading the runtime's connection, so the function's writes
block on TCP backpressure: a slow client slows the function. An invoker that goes away
calls :meth:`~bedrock_stream.local.invocation.InvocationRecord.detach`: the body is read on
(and dropped) so that the function finishes; closing the server releases every waiting
response (each ends ``Runtime.TruncatedResponse``). A buffered (``Invoke``) response is
read whole, under :data:`BUFFERED_CAP`.

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
from collections.abc import Mapping
from typing import Any

from bedrock_stream.local.bandwidth import Bandwidth, TokenBucket
from bedrock_stream.local.http_exchange import BadRequest, BodyTooLarge, ClientGone, Exchange
from bedrock_stream.local.http_server import HTTPServer
from bedrock_stream.local.invocation import STREAM_BUFFER as STREAM_BUFFER
from bedrock_stream.local.invocation import TRUNCATED_RESPONSE as TRUNCATED_RESPONSE
from bedrock_stream.local.invocation import BodyChunk as BodyChunk
from bedrock_stream.local.invocation import Done as Done
from bedrock_stream.local.invocation import Event as Event
from bedrock_stream.local.invocation import InitError as InitError
from bedrock_stream.local.invocation import InvocationError as InvocationError
from bedrock_stream.local.invocation import InvocationRecord
from bedrock_stream.local.invocation import ResponseStarted as ResponseStarted
from bedrock_stream.local.invocation import Result as Result
from bedrock_stream.local.invocation import Trailers as Trailers
from bedrock_stream.protocol import runtime_api as names
from bedrock_stream.protocol.diagnostic import decode_error_body
from bedrock_stream.protocol.headers import joined_headers
from bedrock_stream.protocol.runtime_api import InvalidStateTransition, InvocationState, Step

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
    "InvocationRecord",
    "ResponseStarted",
    "Result",
    "RuntimeAPIServer",
    "Trailers",
]

BUFFERED_CAP = 6 * 1024 * 1024 + 100
"""RAPID's buffered response cap: 6 MiB + 100 bytes."""
STREAMING_CAP = 200 * 1024 * 1024
"""Default cap on a streamed response body (Lambda's documented 200 MB)."""
_ERROR_TYPE = names.ERROR_TYPE.lower()  # Exchange.header and the trailers are lower-cased
_ERROR_BODY = names.ERROR_BODY.lower()
_RESPONSE_MODE = names.RESPONSE_MODE.lower()
_MAX_HEAD = 1024 * 1024
"""RAPID's limit on a request head (Go's default ``MaxHeaderBytes``); trailers share it."""
_TRACE_ID = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


Invocation = InvocationRecord
"""Former name of :class:`~bedrock_stream.local.invocation.InvocationRecord`."""


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
        self._queue: queue.Queue[InvocationRecord | None] = queue.Queue()
        self._invocations: dict[str, InvocationRecord] = {}
        self._lock = threading.Lock()
        self._init_errors: queue.Queue[InitError] = queue.Queue()
        self._closing = False
        self.restored_at: float | None = None
        """When (``time.time()``) the runtime last called ``/restore/next`` (SnapStart)."""

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
            invocation.release()
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
    ) -> InvocationRecord:
        """Queue an invocation; a runtime's next ``/next`` receives it.

        ``event`` is JSON-serialized unless ``payload`` gives the bytes. ``streaming``
        is the invoke mode (``InvokeWithResponseStream``); it selects the size cap.
        """
        body = payload if payload is not None else json.dumps(event).encode()
        invocation = InvocationRecord(
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

    def submit(self, invocation: InvocationRecord) -> InvocationRecord:
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
            if method == "GET" and target == names.NEXT:
                exchange.read_body()
                self._next(exchange)
            elif method == "POST" and target == names.INIT_ERROR:
                body = exchange.read_body()
                self._init_errors.put(InitError(exchange.header(_ERROR_TYPE) or "", body))
                _accepted(exchange)
            elif method == "GET" and target == names.RESTORE_NEXT:
                exchange.read_body()
                self.restored_at = time.time()
                exchange.respond(200, [("Content-Type", "application/json")])
            elif method == "POST" and (path := names.split_invocation_path(target)):
                request_id, action = path
                report = {"response": self._response, "error": self._error}.get(action)
                if report is None:
                    raise _Reject(404, "InvalidRequest", f"unknown path {target}")
                report(exchange, request_id)
            else:
                raise _Reject(404, "InvalidRequest", f"unknown path {method} {target}")
        except _Reject as reject:
            if not exchange.started:
                exchange.respond_json(reject.status, reject.document)

    def _take(self) -> InvocationRecord | None:
        """Return the next queued invocation, waiting for one; None when closing."""
        return self._queue.get()

    def _next(self, exchange: Exchange) -> None:
        invocation = self._take()
        if invocation is None:  # closing: wake the next poll too
            self._queue.put(None)
            exchange.abort()
            return
        with self._lock:
            # The runtime has moved on: forget what it finished, or a warm server keeps
            # every invocation it ever served. A late post for one is refused like any
            # unknown request id.
            done = InvocationState.DONE
            for ended in [k for k, v in self._invocations.items() if v.state is done]:
                del self._invocations[ended]
            invocation.step(Step.NEXT)
        exchange.respond(200, invocation.next_headers(), invocation.payload)

    def _claim(self, request_id: str, step: Step) -> InvocationRecord:
        """Move the invocation ``request_id`` on by ``step``: RAPID's 403 when it may not."""
        with self._lock:
            invocation = self._invocations.get(request_id)
            try:
                if invocation is None:
                    raise InvalidStateTransition(None, step)
                invocation.step(step)
            except InvalidStateTransition as exc:
                raise _Reject(403, "InvalidStateTransition", str(exc)) from None
            return invocation

    def _end(self, invocation: InvocationRecord) -> None:
        """Record that the invocation's ``/response`` body ended, complete or cut."""
        with self._lock:
            invocation.step(Step.END)

    def _cut(self, invocation: InvocationRecord, error_type: str) -> None:
        """End a ``/response`` whose body broke off: the invocation fails with ``error_type``."""
        self._end(invocation)
        _fail(invocation, error_type)

    def _error(self, exchange: Exchange, request_id: str) -> None:
        invocation = self._claim(request_id, Step.FAIL)
        try:
            body = exchange.read_body()
        except (BadRequest, ClientGone):
            # The error is reported but its body is lost: the invocation still ends.
            error_type = exchange.header(_ERROR_TYPE) or "Runtime.Unknown"
            _fail(invocation, error_type)
            raise
        error_type = exchange.header(_ERROR_TYPE) or _body_type(body)
        headers = tuple(joined_headers(exchange.headers).items())
        invocation.emit(InvocationError(error_type, body, headers))
        invocation.emit(Done("failure"))
        _accepted(exchange)

    def _response(self, exchange: Exchange, request_id: str) -> None:
        mode = exchange.header(_RESPONSE_MODE)
        if mode not in (None, names.STREAMING):
            _fail(self._claim(request_id, Step.FAIL), "Runtime.InvalidResponseModeHeader")
            raise _Reject(400, "InvalidFunctionResponseMode", "Invalid function response mode")
        invocation = self._claim(request_id, Step.RESPOND)
        cap = self.streaming_cap if invocation.streaming else self.buffered_cap
        bucket = TokenBucket(self.bandwidth) if self.bandwidth and invocation.streaming else None
        invocation.emit(
            ResponseStarted(
                exchange.header("content-type") or "application/octet-stream",
                tuple(joined_headers(exchange.headers).items()),
                mode == names.STREAMING,
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
                    self._cut(invocation, TRUNCATED_RESPONSE)
                    exchange.abort()  # no answer, no lingering: the server is going away
                    return
        except BodyTooLarge:
            self._cut(invocation, "Function.ResponseSizeTooLarge")
            raise _Reject(
                413,
                "RequestEntityTooLarge",
                f"Exceeded maximum allowed payload size ({cap} bytes).",
            ) from None
        except (BadRequest, ClientGone):
            self._cut(invocation, TRUNCATED_RESPONSE)
            raise _Reject(
                400, "TruncatedHTTPRequest", "HTTP request detected as truncated"
            ) from None
        trailers = tuple((name.lower(), value) for name, value in exchange.trailers)
        self._end(invocation)
        if trailers:
            invocation.emit(Trailers(trailers))
        fields = dict(trailers)
        if _ERROR_TYPE in fields:
            invocation.emit(
                InvocationError(fields[_ERROR_TYPE], decode_error_body(fields.get(_ERROR_BODY, "")))
            )
            invocation.emit(Done("failure"))
        else:
            invocation.emit(Done("success"))
        _accepted(exchange)


def _accepted(exchange: Exchange) -> None:
    """RAPID's answer to a report it took: ``202 {"status":"OK"}``."""
    exchange.respond(202, [("Content-Type", "application/json")], b'{"status":"OK"}')


def _fail(invocation: InvocationRecord, error_type: str) -> None:
    """End ``invocation`` as failed with ``error_type`` and no error body (its state is done)."""
    invocation.emit(InvocationError(error_type, b""))
    invocation.emit(Done("failure"))


def _body_type(body: bytes) -> str:
    """Read ``errorType`` from an ``/error`` body sent without the error-type header."""
    try:
        error_type = json.loads(body).get("errorType")
    except (ValueError, AttributeError):
        error_type = None
    return error_type if isinstance(error_type, str) and error_type else "Runtime.Unknown"
