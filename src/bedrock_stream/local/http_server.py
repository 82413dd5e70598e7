"""A small threaded HTTP/1.1 server for the local front doors and emulators.

HTTP framing is h11's; this module only moves bytes between it and sockets. One thread
serves each connection (keep-alive included), and a handler sees one request as an
:class:`Exchange`: it reads the body on demand, under a cap, and answers either whole
(``Content-Length``) or as a stream (chunked; every :meth:`Exchange.send` goes on the
wire at once, with ``TCP_NODELAY``). A stream can end cleanly, with trailers, or be
aborted: the connection is closed without the terminating chunk, which every HTTP
client reports as a truncated body.

Slow clients are bounded: reading a request or writing a response waits at most
``io_timeout`` seconds for the peer, and an idle keep-alive connection is closed after
``idle_timeout`` seconds. A handler that raises before answering produces a 500 with a
JSON message; the exception is logged, never sent to the client.

Needs the ``local`` extra (h11).
"""

from __future__ import annotations

import contextlib
import json
import logging
import select
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import h11
from typing_extensions import Self

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
_LINGER_SECONDS = 5.0
_LINGER_BYTES = 64 * 1024 * 1024
_HEAD_TOO_LARGE = "Request header fields too large"
_INTERNAL = "Internal server error"
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
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in request.headers.raw_items()
        )
        """Header fields in order, names as the client spelled them."""
        self.client = client
        """The client's IP address."""
        self.trailers: tuple[tuple[str, str], ...] = ()
        """The request's trailer fields, once its body has been read to the end."""
        self.status: int | None = None
        """The response status, once the response has started."""
        self.aborted = False

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
                    (name.decode("latin-1"), value.decode("latin-1"))
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
        return conn.their_state is h11.DONE

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

    def peer_closed(self) -> bool:
        """Whether the client has closed its side of the connection (checked without waiting)."""
        try:
            return _readable(self._sock) and not self._sock.recv(
                1, socket.MSG_PEEK | socket.MSG_DONTWAIT
            )
        except (OSError, ValueError):
            return True

    def abort(self) -> None:
        """Close the connection without ending the response: the client sees it truncated."""
        self.aborted = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    # -- I/O --------------------------------------------------------------------------------

    def _head(self, status: int, fields: list[tuple[str, str]]) -> None:
        if not self._body_done():
            # The body will not be read: say so, so the client does not reuse the connection.
            fields.append(("Connection", "close"))
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
        max_head: the largest request head (and trailer section) in bytes; 431 beyond it.
        error_document: the JSON body of the 400, 431 and 500 answers the server gives
            itself (default ``{"message": ...}``).

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
        max_head: int = _MAX_HEAD,
        error_document: ErrorDocument = message_document,
    ) -> None:
        self._handler = handler
        self.name = name
        self.io_timeout = io_timeout
        self.idle_timeout = idle_timeout
        self.max_head = max_head
        self._error_document = error_document
        self._listener = socket.create_server((host, port))
        self._lock = threading.Lock()
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._closing = False
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

    def close(self) -> None:
        """Stop accepting, close every connection and join every thread."""
        self._closing = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        if self._acceptor.is_alive():
            self._acceptor.join()
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
        while not self._closing:
            try:
                sock, peer = self._listener.accept()
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            thread = threading.Thread(
                target=self._serve, args=(sock, str(peer[0])), name=self.name, daemon=True
            )
            with self._lock:
                if self._closing:
                    sock.close()
                    return
                self._connections[sock] = thread
            thread.start()

    def _serve(self, sock: socket.socket, client: str) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=self.max_head)
        try:
            while not self._closing:
                sock.settimeout(self.idle_timeout)
                request = self._read_head(sock, conn)
                if request is None:
                    return
                sock.settimeout(self.io_timeout)
                exchange = Exchange(sock, conn, request, client)
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
        """Read the next request head; answer a malformed one; None when the connection ends."""
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                status = exc.error_status_hint
                self._refuse(sock, conn, status)
                return None
            if isinstance(event, h11.Request):
                if sum(len(k) + len(v) + 4 for k, v in event.headers.raw_items()) > self.max_head:
                    self._refuse(sock, conn, 431)
                    return None
                return event
            if event is not h11.NEED_DATA:
                return None  # ConnectionClosed, or a client that half-closed
            data = sock.recv(_READ_SIZE)
            conn.receive_data(data)

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

    def _refuse(self, sock: socket.socket, conn: h11.Connection, status: int) -> None:
        """Answer a request head that cannot be served; the connection then closes."""
        message = _HEAD_TOO_LARGE if status == 431 else "Bad request"
        body = json.dumps(self._error_document(status, message)).encode()
        head = h11.Response(
            status_code=status,
            headers=[
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("Connection", "close"),
            ],
        )
        with contextlib.suppress(h11.LocalProtocolError, OSError):
            events = (head, h11.Data(data=body))
            sock.sendall(b"".join(conn.send(event) or b"" for event in events))


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
