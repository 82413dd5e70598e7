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

Needs the ``local`` extra (h11). Example::

    with RuntimeAPIServer() as api:
        env = {"AWS_LAMBDA_RUNTIME_API": api.address}
        invocation = api.invoke({"hello": "world"})
        ...  # start a runtime with env
        result = invocation.result(timeout=10)
"""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import h11

from bedrock_stream.local.bandwidth import Bandwidth, TokenBucket

__all__ = [
    "BUFFERED_CAP",
    "STREAMING_CAP",
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

_PREFIX = "/2018-06-01/runtime"
_ERROR_TYPE = "lambda-runtime-function-error-type"
_ERROR_BODY = "lambda-runtime-function-error-body"
_READ_SIZE = 256 * 1024
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
    """One queued invocation and the events the runtime produced for it."""

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
        self.state = "queued"  # queued -> dispatched -> responding -> done
        self._events: queue.Queue[Event] = queue.Queue()
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

    def emit(self, event: Event) -> None:
        """Record an event for the invoker (used by the server)."""
        self._events.put(event)

    def next_event(self, timeout: float | None = None, *, keep: bool = True) -> Event:
        """Return the next event not yet taken; ``keep=False`` does not retain a body chunk.

        Raises:
            TimeoutError: no event came within ``timeout`` seconds.
        """
        try:
            event = self._events.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"invocation {self.request_id}: no event") from None
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
    """Answer the current request with an error status and RAPID's JSON body."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = json.dumps({"errorMessage": message, "errorType": error_type}).encode()


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
        self._listener = socket.create_server((host, port))
        self._queue: queue.Queue[Invocation | None] = queue.Queue()
        self._invocations: dict[str, Invocation] = {}
        self._lock = threading.Lock()
        self._init_errors: queue.Queue[InitError] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._connections: set[socket.socket] = set()
        self._closing = False
        self.restore_next_calls = 0
        self._acceptor = threading.Thread(target=self._accept, name="runtime-api", daemon=True)

    # -- lifecycle ------------------------------------------------------------

    @property
    def address(self) -> str:
        """``host:port``, the value for ``AWS_LAMBDA_RUNTIME_API``."""
        host, port = self._listener.getsockname()[:2]
        return f"{host}:{port}"

    def start(self) -> RuntimeAPIServer:
        """Start accepting runtime connections."""
        self._acceptor.start()
        return self

    def close(self) -> None:
        """Stop: wake pending ``/next`` polls, close every connection, join every thread."""
        self._closing = True
        self._queue.put(None)
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._acceptor.is_alive():
            self._acceptor.join()
        for thread in list(self._threads):
            thread.join()

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

    # -- connections ---------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closing:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._connections.add(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            # Only the live ones: a runtime may open a connection per invocation.
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=_MAX_HEAD)
        try:
            while not self._closing:
                try:
                    event = self._next_event(sock, conn)
                    if isinstance(event, h11.Request):
                        if sum(len(k) + len(v) + 4 for k, v in event.headers) > _MAX_HEAD:
                            self._refuse(sock, conn, 431)
                            return
                        self._route(sock, conn, event)
                except h11.RemoteProtocolError as exc:  # a malformed head or body
                    self._refuse(sock, conn, exc.error_status_hint)
                    return
                if event is None or isinstance(event, h11.ConnectionClosed):
                    return
                if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                    return
                if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
                    conn.start_next_cycle()
        except (OSError, h11.ProtocolError):
            return
        finally:
            with self._lock:
                self._connections.discard(sock)
            sock.close()

    @staticmethod
    def _next_event(sock: socket.socket, conn: h11.Connection) -> Any:
        """Return the next h11 event, reading from the socket as needed."""
        while True:
            event = conn.next_event()
            if event is not h11.NEED_DATA:
                return event
            data = sock.recv(_READ_SIZE)
            conn.receive_data(data)

    @staticmethod
    def _send(
        sock: socket.socket,
        conn: h11.Connection,
        status: int,
        body: bytes,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        head = [("Content-Length", str(len(body))), *(headers or [])]
        if not any(name.lower() == "content-type" for name, _ in head):
            head.append(("Content-Type", "application/json"))
        data = conn.send(h11.Response(status_code=status, headers=head))
        data = (data or b"") + (conn.send(h11.Data(data=body)) or b"")
        data += conn.send(h11.EndOfMessage()) or b""
        sock.sendall(data)

    @classmethod
    def _refuse(cls, sock: socket.socket, conn: h11.Connection, status: int) -> None:
        """Answer a request that is not valid HTTP with a JSON error; the connection then ends."""
        if conn.our_state is not h11.SEND_RESPONSE and conn.our_state is not h11.IDLE:
            return
        too_large = status == 431
        body = json.dumps(
            {
                "errorMessage": "Request header fields too large" if too_large else "Bad request",
                "errorType": "RequestHeaderFieldsTooLarge" if too_large else "InvalidRequest",
            }
        ).encode()
        with contextlib.suppress(OSError, h11.ProtocolError):
            cls._send(sock, conn, status, body, [("Connection", "close")])

    def _route(self, sock: socket.socket, conn: h11.Connection, request: h11.Request) -> None:
        target = request.target.decode("latin-1")
        method = request.method.decode("latin-1")
        headers: dict[str, str] = {}
        for raw_name, raw_value in request.headers:  # repeated fields join, as HTTP allows
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("utf-8", "replace")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        try:
            if method == "GET" and target == f"{_PREFIX}/invocation/next":
                self._drain(sock, conn)
                self._next(sock, conn)
            elif method == "POST" and target == f"{_PREFIX}/init/error":
                body = self._drain(sock, conn)
                self._init_errors.put(InitError(headers.get(_ERROR_TYPE, ""), body))
                self._send(sock, conn, 202, b'{"status":"OK"}')
            elif method == "GET" and target == f"{_PREFIX}/restore/next":
                self._drain(sock, conn)
                self.restore_next_calls += 1
                self._send(sock, conn, 200, b"")
            elif method == "POST" and target.startswith(f"{_PREFIX}/invocation/"):
                request_id, _, action = target[len(f"{_PREFIX}/invocation/") :].partition("/")
                if action == "response":
                    self._response(sock, conn, request_id, headers)
                elif action == "error":
                    self._error(sock, conn, request_id, headers)
                else:
                    raise _Reject(404, "InvalidRequest", f"unknown path {target}")
            else:
                self._drain(sock, conn)
                raise _Reject(404, "InvalidRequest", f"unknown path {method} {target}")
        except _Reject as reject:
            if conn.our_state is h11.SEND_RESPONSE:
                self._send(sock, conn, reject.status, reject.body)
                if conn.their_state is not h11.DONE:
                    # Unread body left behind: the connection cannot be reused.
                    sock.shutdown(socket.SHUT_WR)
                    raise OSError("request rejected before its body was read") from None

    def _drain(self, sock: socket.socket, conn: h11.Connection) -> bytes:
        parts = []
        while True:
            event = self._next_event(sock, conn)
            if isinstance(event, h11.Data):
                parts.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return b"".join(parts)
            else:
                raise OSError("connection closed mid-request")

    def _next(self, sock: socket.socket, conn: h11.Connection) -> None:
        invocation = self._queue.get()
        if invocation is None:  # closing
            self._queue.put(None)
            raise OSError("server closing")
        with self._lock:
            # The runtime has moved on: forget what it finished, or a warm server keeps
            # every invocation it ever served. A late post for one is refused like any
            # unknown request id.
            for done in [k for k, v in self._invocations.items() if v.state == "done"]:
                del self._invocations[done]
        invocation.state = "dispatched"
        self._send(sock, conn, 200, invocation.payload, invocation.next_headers())

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

    def _error(
        self, sock: socket.socket, conn: h11.Connection, request_id: str, headers: dict[str, str]
    ) -> None:
        invocation = self._claim(request_id, "done")
        try:
            body = self._drain(sock, conn)
        except (OSError, h11.ProtocolError):
            # The error is reported but its body is lost: the invocation still ends.
            invocation.emit(InvocationError(headers.get(_ERROR_TYPE) or "Runtime.Unknown", b""))
            invocation.emit(Done("failure"))
            raise
        error_type = headers.get(_ERROR_TYPE) or _body_type(body)
        invocation.emit(InvocationError(error_type, body, tuple(headers.items())))
        invocation.emit(Done("failure"))
        self._send(sock, conn, 202, b'{"status":"OK"}')

    def _response(
        self, sock: socket.socket, conn: h11.Connection, request_id: str, headers: dict[str, str]
    ) -> None:
        mode = headers.get("lambda-runtime-function-response-mode")
        if mode not in (None, "streaming"):
            invocation = self._claim(request_id, "done")
            invocation.emit(InvocationError("Runtime.InvalidResponseModeHeader", b""))
            invocation.emit(Done("failure"))
            raise _Reject(400, "InvalidFunctionResponseMode", "Invalid function response mode")
        invocation = self._claim(request_id, "responding")
        cap = self.streaming_cap if invocation.streaming else self.buffered_cap
        bucket = TokenBucket(self.bandwidth) if self.bandwidth and invocation.streaming else None
        invocation.emit(
            ResponseStarted(
                headers.get("content-type", "application/octet-stream"),
                tuple(headers.items()),
                mode == "streaming",
            )
        )
        size = 0
        try:
            while True:
                event = self._next_event(sock, conn)
                if isinstance(event, h11.Data):
                    data = bytes(event.data)
                    size += len(data)
                    if size > cap:
                        invocation.state = "done"
                        invocation.emit(InvocationError("Function.ResponseSizeTooLarge", b""))
                        invocation.emit(Done("failure"))
                        raise _Reject(
                            413,
                            "RequestEntityTooLarge",
                            f"Exceeded maximum allowed payload size ({cap} bytes).",
                        )
                    if bucket is not None:
                        bucket.take(len(data))
                    invocation.emit(BodyChunk(data, time.monotonic()))
                elif isinstance(event, h11.EndOfMessage):
                    break
                else:
                    raise h11.RemoteProtocolError("connection closed mid-body")
        except (OSError, h11.ProtocolError):
            invocation.state = "done"
            invocation.emit(InvocationError("Runtime.TruncatedResponse", b""))
            invocation.emit(Done("failure"))
            truncated = _Reject(400, "TruncatedHTTPRequest", "HTTP request detected as truncated")
            if conn.our_state is h11.SEND_RESPONSE:
                with contextlib.suppress(OSError, h11.ProtocolError):
                    self._send(sock, conn, truncated.status, truncated.body)
            raise OSError("truncated response") from None
        trailers = tuple(
            (k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in event.headers
        )
        invocation.state = "done"
        if trailers:
            invocation.emit(Trailers(trailers))
        fields = dict(trailers)
        if _ERROR_TYPE in fields:
            invocation.emit(InvocationError(fields[_ERROR_TYPE], _b64(fields.get(_ERROR_BODY, ""))))
            invocation.emit(Done("failure"))
        else:
            invocation.emit(Done("success"))
        self._send(sock, conn, 202, b'{"status":"OK"}')


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
