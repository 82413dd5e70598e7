"""A small threaded HTTP/1.1 server for the local front doors and emulators.

HTTP framing is h11's; this module only moves bytes between it and sockets. One thread
serves each connection (keep-alive included), and a handler sees one request as an
:class:`Exchange`: it reads the body on demand, under a cap, and answers either whole
(``Content-Length``) or as a stream (chunked; every :meth:`Exchange.send` goes on the
wire at once, with ``TCP_NODELAY``). A stream can end cleanly, with trailers, or be
aborted: the connection is closed without the terminating chunk, which every HTTP
client reports as a truncated body.

Slow clients are bounded: reading a request or writing a response waits at most
``io_timeout`` seconds for the peer, a request head must arrive whole within
``head_timeout`` seconds of its first byte (408 otherwise, against slowloris), and an idle
keep-alive connection is closed after ``idle_timeout`` seconds. At most
``max_connections`` are served at once; beyond them, and when the process is out of file
descriptors, a client is answered 503 at once and the server keeps accepting. A head
:mod:`~bedrock_stream.local.head_rules` refuses is answered 400 (framing), 403 (a foreign
``Host``, or a browser where none belongs) or 431 (over ``max_head``), one with a transfer
coding other than ``chunked`` 501, and the connection closes. A handler that raises before
answering produces a 500 with a JSON message; the exception is logged, never sent to the
client.

An aborted stream is visible to every client: a chunked one ends without its terminating
chunk; one whose end is the connection's close (an HTTP/1.0 client) is reset instead, once
what was sent has been delivered, so that the client cannot take the close for the end.
A client that half-closes after sending its request is answered: only a reset, or a close
before the request's end, is taken for a client that left.

Needs the ``local`` extra (h11).
"""

from __future__ import annotations

import contextlib
import errno
import http
import json
import logging
import os
import select
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import h11
from typing_extensions import Self

from bedrock_stream.local import head_rules

if sys.platform == "linux":
    import fcntl
    import termios

    _OUTQ: int | None = termios.TIOCOUTQ
    """The ioctl that reads a socket's bytes not yet acknowledged (``SIOCOUTQ``)."""
else:
    _OUTQ = None

__all__ = [
    "BadRequest",
    "BodyTooLarge",
    "ClientGone",
    "Exchange",
    "HTTPServer",
    "HTTPService",
    "Handler",
]

_READ_SIZE = 64 * 1024
_MAX_HEAD = 64 * 1024
_MAX_CONNECTIONS = 256
_HEAD_TIMEOUT = 30.0
_OUT_OF_DESCRIPTORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_BACKOFF = (0.01, 1.0)
"""Seconds the acceptor pauses after a failed accept: the first pause, and the longest."""
_DRAIN_SECONDS = 2.0
_TURN_AWAY_READS = 16
_LINGER_SECONDS = 5.0
_LINGER_BYTES = 64 * 1024 * 1024
_INTERNAL = "Internal server error"
_REFUSALS = {
    400: "Bad request",
    408: "Request timeout",
    431: "Request header fields too large",
    501: "Not implemented",
}
"""The message of each status a refused head is answered with: ours, and every one h11 hints
(501: a transfer coding other than ``chunked``, or two ``Transfer-Encoding`` fields)."""
_READ_TO_THE_END = (h11.DONE, h11.MUST_CLOSE, h11.CLOSED)
"""The client's states once its whole request was read (``MUST_CLOSE``: it sent
``Connection: close``)."""
_RESET = struct.pack("ii", 1, 0)
"""``SO_LINGER`` on, zero seconds: ``close`` resets the connection."""
_log = logging.getLogger("bedrock_stream.local")


class ClientGone(ConnectionError):
    """The client closed the connection or stopped reading before the response was sent."""


class BadRequest(Exception):
    """The request is not valid HTTP/1.1 (answered 400 when nothing was sent yet)."""


class BodyTooLarge(Exception):
    """The request body is larger than the handler's cap."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit} bytes")
        self.limit = limit


class Exchange:
    """One request and its response, as a handler sees them."""

    def __init__(
        self, sock: socket.socket, conn: h11.Connection, request: h11.Request, client: str
    ) -> None:
        self._sock = sock
        self._conn = conn
        self.method = request.method.decode("latin-1")
        self.target = request.target.decode("latin-1")
        """The request target as sent: path and query string, still percent-encoded."""
        self.headers: tuple[tuple[str, str], ...] = tuple(
            (name.decode("latin-1"), _text(value)) for name, value in request.headers.raw_items()
        )
        """Header fields in order, names as the client spelled them, values as UTF-8."""
        self.client = client
        """The client's IP address."""
        self.trailers: tuple[tuple[str, str], ...] = ()
        """The request's trailer fields, once its body has been read to the end."""
        self.status: int | None = None
        """The response status, once the response has started."""
        self.aborted = False
        self._half_closed = False

    def header(self, name: str) -> str | None:
        """Return header ``name`` (any case); repeated fields are joined with ``", "``."""
        wanted = name.lower()
        values = [value for key, value in self.headers if key.lower() == wanted]
        return ", ".join(values) if values else None

    # -- request body ---------------------------------------------------------------

    def iter_body(self, limit: int | None = None) -> Iterator[bytes]:
        """Yield the request body as it arrives; trailers land in :attr:`trailers`.

        Raises:
            BodyTooLarge: the body is over ``limit`` bytes (said by ``Content-Length``
                before anything is read, else found while reading).
            BadRequest: the body's framing is invalid.
            ClientGone: the connection closed mid-body.
        """
        declared = self.header("content-length")
        if (
            limit is not None
            and declared is not None
            and declared.isdigit()
            and int(declared) > limit
        ):
            raise BodyTooLarge(limit)
        if self._conn.they_are_waiting_for_100_continue:
            self._write(self._conn.send(h11.InformationalResponse(status_code=100, headers=[])))
        size = 0
        while True:
            event = self._next_event()
            if isinstance(event, h11.Data):
                size += len(event.data)
                if limit is not None and size > limit:
                    raise BodyTooLarge(limit)
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                self.trailers = tuple(
                    (name.decode("latin-1"), _text(value))
                    for name, value in event.headers.raw_items()
                )
                return
            else:
                raise ClientGone("the connection closed mid-request")

    def read_body(self, limit: int | None = None) -> bytes:
        """Read the whole request body (see :meth:`iter_body`)."""
        return b"".join(self.iter_body(limit))

    def _body_done(self) -> bool:
        """Whether the request has been read to its end, reading what is already buffered."""
        conn = self._conn
        with contextlib.suppress(h11.RemoteProtocolError):
            while conn.their_state is h11.SEND_BODY:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    break
        return conn.their_state in _READ_TO_THE_END

    # -- response ---------------------------------------------------------------------

    @property
    def started(self) -> bool:
        """Whether the response head has been sent."""
        return self.status is not None

    def respond(self, status: int, headers: Iterable[tuple[str, str]], body: bytes = b"") -> None:
        """Send a whole response with ``Content-Length``."""
        fields = [(k, v) for k, v in headers if k.lower() not in ("content-length", "connection")]
        fields.append(("Content-Length", str(len(body))))
        self._head(status, fields)
        data = self._conn.send(h11.Data(data=body)) if body else b""
        self._write((data or b"") + (self._conn.send(h11.EndOfMessage()) or b""))

    def respond_json(self, status: int, document: Any) -> None:
        """Send ``document`` as a compact JSON response."""
        body = json.dumps(document, separators=(",", ":")).encode()
        self.respond(status, [("Content-Type", "application/json")], body)

    def start(self, status: int, headers: Iterable[tuple[str, str]], *, trailers: str = "") -> None:
        """Send the head of a streamed (chunked) response; ``trailers`` announces fields."""
        fields = [
            (k, v)
            for k, v in headers
            if k.lower() not in ("content-length", "transfer-encoding", "connection")
        ]
        fields.append(("Transfer-Encoding", "chunked"))
        if trailers:
            fields.append(("Trailer", trailers))
        self._head(status, fields)

    def send(self, data: bytes) -> None:
        """Send one chunk of a streamed response now.

        Raises:
            ClientGone: the client went away or stopped reading for ``io_timeout``.
        """
        if data:
            self._write(self._conn.send(h11.Data(data=data)))

    def end(self, trailers: Iterable[tuple[str, str]] = ()) -> None:
        """End a streamed response: the terminating chunk and any trailers."""
        self._write(self._conn.send(h11.EndOfMessage(headers=list(trailers))))

    def peer_closed(self, *, half_close: bool = True) -> bool:
        """Whether the client has left (checked without waiting).

        A client that reset the connection has left, and so has one that closed it before
        the end of its request or after the response started. A close after the whole
        request but before the answer is a half-close, which HTTP/1.1 allows (``nc -N``,
        ``socat``): that client is still reading, and gets the whole response. TCP cannot
        tell it from a client that closed and left, so such a client is noticed only at the
        first write that fails. ``half_close=False``, for servers whose clients never
        half-close (the AWS SDKs), takes any close for a client that left.
        """
        try:
            if not self._at_eof():
                return False
        except (OSError, ValueError):
            return True
        if not half_close or not self._body_done():
            return True
        return self.started and not self._half_closed

    def _at_eof(self) -> bool:
        """Whether the client's FIN is the next thing to read (OSError: it reset)."""
        return _readable(self._sock) and not self._sock.recv(
            1, socket.MSG_PEEK | socket.MSG_DONTWAIT
        )

    def abort(self) -> None:
        """Close the connection without ending the response: the client sees it truncated.

        A response framed by the connection's close (to an HTTP/1.0 client) would look
        complete after a plain close: it is reset instead, once the bytes already sent have
        been delivered.
        """
        self.aborted = True
        with contextlib.suppress(OSError):
            if self.started and self._conn.their_http_version == b"1.0":
                _drain(self._sock)
                self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET)
                self._sock.close()
            else:
                self._sock.shutdown(socket.SHUT_RDWR)

    # -- I/O --------------------------------------------------------------------------------

    def _head(self, status: int, fields: list[tuple[str, str]]) -> None:
        if not self._body_done():
            # The body will not be read: say so, so the client does not reuse the connection.
            fields.append(("Connection", "close"))
        with contextlib.suppress(OSError, ValueError):
            self._half_closed = self._at_eof()
        # A field value is sent without surrounding whitespace (RFC 9110 5.5) and non-ASCII
        # text as UTF-8. A head h11 still refuses raises here, before anything is sent, so
        # the server can answer 500 instead of cutting the connection.
        head = h11.Response(
            status_code=status,
            headers=[(name.encode(), value.strip(" \t").encode()) for name, value in fields],
        )
        self.status = status
        self._write(self._conn.send(head))

    def _next_event(self) -> Any:
        while True:
            try:
                event = self._conn.next_event()
            except h11.RemoteProtocolError as exc:
                raise BadRequest(str(exc)) from exc
            if event is not h11.NEED_DATA:
                return event
            try:
                data = self._sock.recv(_READ_SIZE)
            except OSError as exc:
                raise ClientGone(str(exc)) from exc
            self._conn.receive_data(data)

    def _write(self, data: bytes | None) -> None:
        if not data:
            return
        try:
            self._sock.sendall(data)
        except OSError as exc:
            raise ClientGone(str(exc)) from exc


Handler = Callable[[Exchange], None]
"""Answers one request; must call :meth:`Exchange.respond` or :meth:`Exchange.start`."""

ErrorDocument = Callable[[int, str], Any]
"""Builds the JSON body of an error the server answers itself, from its status and message."""


def message_document(status: int, message: str) -> dict[str, str]:
    """Return API Gateway's error body, ``{"message": ...}``."""
    return {"message": message}


class HTTPServer:
    """A threaded HTTP/1.1 server on loopback calling ``handler`` for each request.

    Args:
        handler: answers each :class:`Exchange`.
        host: the address to listen on.
        port: the port; 0 picks a free one (see :attr:`port`).
        name: names the threads and the log lines.
        io_timeout: seconds a read or write may wait for the peer mid-exchange; None waits
            as long as it takes.
        idle_timeout: seconds a keep-alive connection may sit idle between requests; None
            keeps it open.
        head_timeout: seconds from a request head's first byte to its end; None waits
            as long as it takes.
        max_head: the largest request head (and trailer section) in bytes; 431 beyond it.
        max_connections: connections served at once; more are answered 503.
        browsers: whether web pages may call it (False: 403 for a request with ``Origin``).
        error_document: the JSON body of the answers the server gives itself (default
            ``{"message": ...}``).

    Raises:
        OSError: the address is in use (``errno.EADDRINUSE``) or cannot be bound.
    """

    def __init__(
        self,
        handler: Handler,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        name: str = "http",
        io_timeout: float | None = 60.0,
        idle_timeout: float | None = 60.0,
        head_timeout: float | None = _HEAD_TIMEOUT,
        max_head: int = _MAX_HEAD,
        max_connections: int = _MAX_CONNECTIONS,
        browsers: bool = True,
        error_document: ErrorDocument = message_document,
    ) -> None:
        self._handler = handler
        self.name = name
        self.io_timeout = io_timeout
        self.idle_timeout = idle_timeout
        self.head_timeout = head_timeout
        self.max_head = max_head
        self.max_connections = max_connections
        self.browsers = browsers
        self._error_document = error_document
        self._listener = socket.create_server((host, port))
        self._lock = threading.Lock()
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._closing = threading.Event()
        self._spare: int | None = _spare_descriptor()
        self._acceptor = threading.Thread(target=self._accept, name=name, daemon=True)

    @property
    def host(self) -> str:
        """The address the server listens on."""
        return str(self._listener.getsockname()[0])

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> HTTPServer:
        """Start accepting connections."""
        self._acceptor.start()
        return self

    @property
    def closing(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._closing.is_set()

    @property
    def connections(self) -> int:
        """How many connections are being served now."""
        with self._lock:
            return len(self._connections)

    def close(self) -> None:
        """Stop accepting, close every connection and join every thread."""
        self._closing.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        if self._acceptor.is_alive():
            self._acceptor.join()
        if self._spare is not None:
            os.close(self._spare)
            self._spare = None
        with self._lock:
            connections = dict(self._connections)
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in connections.values():
            thread.join()

    def __enter__(self) -> HTTPServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _accept(self) -> None:
        """Accept until closed; a failed accept is logged and retried after a pause.

        Clients turned away (the cap reached, or no descriptor left) are logged once per
        episode, not once each: a load test must not flood the log.
        """
        pause, shedding = _BACKOFF[0], False
        while not self._closing.is_set():
            try:
                sock, peer = self._listener.accept()
            except OSError as exc:
                if self._closing.is_set():
                    return
                if exc.errno not in _OUT_OF_DESCRIPTORS:
                    _log.warning("%s: accept failed: %s", self.name, exc)
                else:
                    if not shedding:
                        _log.warning("%s: out of file descriptors (%s): 503", self.name, exc)
                    shedding = True
                    if self._shed():
                        continue
                self._closing.wait(pause)
                pause = min(pause * 2, _BACKOFF[1])
                continue
            pause = _BACKOFF[0]
            refusal = self._take(sock, str(peer[0]))
            if refusal is None and shedding:
                _log.warning("%s: serving new connections again", self.name)
            elif refusal is not None and not shedding:
                _log.warning("%s: %s: 503", self.name, refusal)
            shedding = refusal is not None

    def _take(self, sock: socket.socket, client: str) -> str | None:
        """Serve ``sock`` in a thread of its own; return why it was turned away, or None."""
        with self._lock:
            if self._closing.is_set():
                sock.close()
                return None
            if len(self._connections) >= self.max_connections:
                refusal = "Too many connections"
            else:
                thread = threading.Thread(
                    target=self._serve, args=(sock, client), name=self.name, daemon=True
                )
                try:
                    thread.start()  # before it is listed: close() joins only started threads
                except RuntimeError:  # the process may start no more threads
                    refusal = "Too many threads"
                else:
                    self._connections[sock] = thread
                    return None
        self._turn_away(sock, refusal)
        return refusal

    def _shed(self) -> bool:
        """Out of file descriptors: answer a waiting client 503 with the spare one.

        Returns whether a client was answered. Accept fails this way before it looks for a
        client, so one is answered only if one waits: the accept must not block.
        """
        if self._spare is None:
            self._spare = _spare_descriptor()
            return False
        if not _readable(self._listener):
            return False
        os.close(self._spare)
        try:
            sock, _ = self._listener.accept()
        except OSError:
            return False
        else:
            self._turn_away(sock, "Out of file descriptors")
            return True
        finally:
            self._spare = _spare_descriptor()

    def _turn_away(self, sock: socket.socket, message: str) -> None:
        """Answer a connection that will not be served 503, without waiting on the client.

        What the client has sent already is read and dropped first: closing with it unread
        would reset the connection, and the client might lose the answer.
        """
        with contextlib.suppress(OSError):
            sock.setblocking(False)
            sock.send(self._answer(503, message, [("Retry-After", "1")]))
            sock.shutdown(socket.SHUT_WR)
            for _ in range(_TURN_AWAY_READS):  # what has arrived, never a stream's worth
                if not sock.recv(_READ_SIZE):
                    break
        sock.close()

    def _serve(self, sock: socket.socket, client: str) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=self.max_head)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while not self._closing.is_set():
                request = self._read_head(sock, conn)
                if request is None:
                    return
                sock.settimeout(self.io_timeout)
                exchange = Exchange(sock, conn, request, client)
                refusal = self._screen(exchange)
                if refusal:
                    _log.info("%s: %s %s: %s", self.name, exchange.method, exchange.target, refusal)
                    self._fail(exchange, 403, "Forbidden")
                else:
                    self._exchange(exchange)
                if exchange.aborted:
                    return
                if conn.their_state is not h11.DONE:
                    # The body was left unread (e.g. refused as too large): the connection
                    # cannot be reused. Let the client finish sending, so that it reads the
                    # answer instead of a reset.
                    _linger(sock)
                    return
                if conn.our_state is not h11.DONE:
                    return
                conn.start_next_cycle()
        except OSError:
            return
        finally:
            with self._lock:
                self._connections.pop(sock, None)
            sock.close()

    def _read_head(self, sock: socket.socket, conn: h11.Connection) -> h11.Request | None:
        """Read the next request head; answer one that is refused; None when the connection ends.

        The head's bytes are kept as received (h11 normalizes what it parses), so that
        :func:`~bedrock_stream.local.head_rules.framing_violation` sees them as sent.
        """
        received = bytearray(conn.trailing_data[0])  # pipelined after the previous request
        deadline = None
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                self._refuse(sock, exc.error_status_hint, str(exc))
                return None
            if isinstance(event, h11.Request):
                head = bytes(received[: len(received) - len(conn.trailing_data[0])])
                if len(head) > self.max_head:
                    self._refuse(sock, 431, f"a head of {len(head)} bytes")
                    return None
                violation = head_rules.framing_violation(head)
                if violation is not None:
                    self._refuse(sock, 400, violation)
                    return None
                return event
            if event is not h11.NEED_DATA:
                return None  # ConnectionClosed
            if received and deadline is None and self.head_timeout is not None:
                deadline = time.monotonic() + self.head_timeout
            wait = self.idle_timeout if not received else self.io_timeout
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._refuse(sock, 408, f"no whole head within {self.head_timeout:g} s")
                    return None
                wait = left if wait is None else min(wait, left)
            sock.settimeout(wait)
            try:
                data = sock.recv(_READ_SIZE)
            except TimeoutError:
                if not received:
                    return None  # idle
                if deadline is not None and time.monotonic() >= deadline:
                    continue  # answered above
                self._refuse(sock, 408, f"no byte of the head for {wait:g} s")
                return None
            received += data
            conn.receive_data(data)

    def _screen(self, exchange: Exchange) -> str | None:
        """Return why the request is refused before its handler runs (403), or None."""
        if head_rules.foreign_host(exchange.header("host"), self.host):
            return f"Host {exchange.header('host')!r} is not this machine's loopback"
        if not self.browsers and head_rules.from_browser(exchange.headers):
            return "a web page may not call this server"
        return None

    def _exchange(self, exchange: Exchange) -> None:
        try:
            self._handler(exchange)
        except BadRequest as exc:
            _log.info(
                "%s: %s %s: bad request: %s", self.name, exchange.method, exchange.target, exc
            )
            self._fail(exchange, 400, "Bad request")
            return
        except ClientGone as exc:
            _log.info(
                "%s: %s %s: client gone: %s", self.name, exchange.method, exchange.target, exc
            )
            exchange.abort()
            return
        except Exception:
            _log.exception("%s: %s %s failed", self.name, exchange.method, exchange.target)
            self._fail(exchange, 500, _INTERNAL)
            return
        if not exchange.started and not exchange.aborted:
            _log.error("%s: %s %s: no response", self.name, exchange.method, exchange.target)
            self._fail(exchange, 500, _INTERNAL)

    def _fail(self, exchange: Exchange, status: int, message: str) -> None:
        """Answer an error the server found itself, or cut a response already under way."""
        if exchange.started:
            exchange.abort()
            return
        with contextlib.suppress(ClientGone, h11.LocalProtocolError):
            exchange.respond_json(status, self._error_document(status, message))

    def _refuse(self, sock: socket.socket, status: int, reason: str) -> None:
        """Answer a request head that will not be served; the connection then closes."""
        _log.info("%s: request head refused (%d): %s", self.name, status, reason)
        with contextlib.suppress(OSError):
            sock.sendall(self._answer(status, _REFUSALS[status]))

    def _answer(self, status: int, message: str, extra: Iterable[tuple[str, str]] = ()) -> bytes:
        """Build an error answer given outside any exchange; it ends the connection.

        No request was read (or none could be), so h11 has no exchange to frame it in: the
        answer is a fixed status line and three fields (and ``extra``), ASCII only.
        """
        body = json.dumps(self._error_document(status, message)).encode()
        fields = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
            *extra,
        ]
        phrase = http.HTTPStatus(status).phrase
        head = f"HTTP/1.1 {status} {phrase}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields)
        return (head + "\r\n").encode("ascii") + body


class HTTPService:
    """Base of the local servers that own an :class:`HTTPServer`: start, close, url."""

    server: HTTPServer

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return self.server.url

    def start(self) -> Self:
        """Start serving."""
        self.server.start()
        return self

    def close(self) -> None:
        """Stop serving."""
        self.server.close()


def _text(value: bytes) -> str:
    """Decode a field value as UTF-8, as API Gateway does; bytes that are not UTF-8 as latin-1.

    Latin-1 keeps every byte, so a value that is not UTF-8 reaches the handler unchanged.
    """
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _spare_descriptor() -> int | None:
    """Open the descriptor held back so that a server out of them can still answer 503."""
    try:
        return os.open(os.devnull, os.O_RDONLY)
    except OSError:
        return None


def _drain(sock: socket.socket) -> None:
    """Wait, within bounds, until the peer has acknowledged every byte sent (Linux only)."""
    if _OUTQ is None:
        return
    deadline = time.monotonic() + _DRAIN_SECONDS
    while time.monotonic() < deadline:
        pending = struct.unpack("i", fcntl.ioctl(sock.fileno(), _OUTQ, bytes(4)))[0]
        if pending == 0:
            return
        time.sleep(0.005)


def _readable(sock: socket.socket) -> bool:
    """Whether ``sock`` has data or its end to read, without waiting.

    ``poll`` where there is one: ``select`` cannot watch a descriptor numbered 1024 or more
    (``FD_SETSIZE``), which a stack with a couple of hundred warm functions reaches.
    """
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


def _linger(sock: socket.socket) -> None:
    """Close our side, then read and drop what the client still sends, within bounds."""
    deadline = time.monotonic() + _LINGER_SECONDS
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
        dropped = 0
        while dropped < _LINGER_BYTES and (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            data = sock.recv(_READ_SIZE)
            if not data:
                return
            dropped += len(data)
