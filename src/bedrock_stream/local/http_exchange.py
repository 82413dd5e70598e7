"""One request/response exchange of the local HTTP server, as a handler sees it.

:class:`Exchange` is what a handler sees, whatever the HTTP version: it reads the body on
demand, under a cap, and answers either whole (``Content-Length``) or as a stream (every
:meth:`Exchange.send` goes on the wire at once). A stream can end cleanly, with trailers,
or be aborted, which every HTTP client reports as a truncated body. Every response head
has its status's standard reason phrase (HTTP/1.x) and a ``Date`` field, as AWS's endpoints
send them.
:class:`HTTP1Exchange` is the HTTP/1.x one; HTTP/2 streams are
:mod:`~bedrock_stream.local.http2_connection`'s.

Over HTTP/1.x framing is h11's; an :class:`HTTP1Exchange` only moves bytes between it and
the socket. A streamed response is chunked, and an aborted one closes the connection
without the terminating chunk; one whose end is the connection's close (an HTTP/1.0
client) is reset instead, once what was sent has been delivered, so that the client cannot
take the close for the end. A client that half-closes after sending its request is
answered: only a reset, or a close before the request's end, is taken for a client that
left. The errors the server answers itself carry a JSON body an :data:`ErrorDocument`
builds (:func:`message_document` by default).

Needs the ``local`` extra (h11).
"""

from __future__ import annotations

import contextlib
import email.utils
import http
import json
import socket
import ssl
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import h11

from bedrock_stream.errors import LocalStackError
from bedrock_stream.local import http_sockets
from bedrock_stream.protocol.headers import header_values

__all__ = [
    "BadRequest",
    "BodyTooLarge",
    "ClientGone",
    "ErrorDocument",
    "Exchange",
    "HTTP1Exchange",
    "message_document",
]

_READ_TO_THE_END = (h11.DONE, h11.MUST_CLOSE, h11.CLOSED)
"""The client's states once its whole request was read (``MUST_CLOSE``: it sent
``Connection: close``)."""


_BODILESS = frozenset({204, 304})
"""Statuses whose response has no body, whatever its request (RFC 9110 15.3.5, 15.4.5)."""


class ClientGone(LocalStackError, ConnectionError):
    """The client closed the connection or stopped reading before the response was sent."""


class BadRequest(LocalStackError):
    """The request is not valid HTTP/1.1 (answered 400 when nothing was sent yet)."""


class BodyTooLarge(LocalStackError):
    """The request body is larger than the handler's cap."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit} bytes")
        self.limit = limit


class Exchange(ABC):
    """One request and its response, as a handler sees them, whatever the HTTP version.

    :class:`HTTP1Exchange` is one over HTTP/1.x (h11), and
    :class:`~bedrock_stream.local.http2_exchange.HTTP2Exchange` one stream of an HTTP/2
    connection: a handler written against this class serves both.
    """

    def __init__(
        self,
        method: str,
        target: str,
        headers: tuple[tuple[str, str], ...],
        client: str,
        http_version: str,
    ) -> None:
        self.method = method
        self.target = target
        """The request target as sent: path and query string, still percent-encoded."""
        self.headers = headers
        """Header fields in order, names as the client spelled them, values as UTF-8."""
        self.client = client
        """The client's IP address."""
        self.http_version = http_version
        """The request's HTTP version: ``1.0``, ``1.1`` or ``2``."""
        self.trailers: tuple[tuple[str, str], ...] = ()
        """The request's trailer fields, once its body has been read to the end."""
        self.status: int | None = None
        """The response status, once the response has started."""
        self.aborted = False
        self.added_fields: tuple[tuple[str, str], ...] = ()
        """Fields the server adds to whatever response it sends (e.g. its request id); they
        replace the handler's fields of the same names."""

    def header(self, name: str) -> str | None:
        """Return header ``name`` (any case); repeated fields are joined with ``", "``."""
        found = header_values(self.headers, name)
        return ", ".join(found) if found else None

    @abstractmethod
    def iter_body(self, limit: int | None = None) -> Iterator[bytes]:
        """Yield the request body as it arrives; trailers land in :attr:`trailers`.

        Raises:
            BodyTooLarge: the body is over ``limit`` bytes (said by ``Content-Length``
                before anything is read, else found while reading).
            BadRequest: the body's framing is invalid.
            ClientGone: the client left mid-body.
        """

    def read_body(self, limit: int | None = None) -> bytes:
        """Read the whole request body (see :meth:`iter_body`)."""
        return b"".join(self.iter_body(limit))

    def _refuse_declared(self, limit: int | None) -> None:
        """Raise :class:`BodyTooLarge` if ``Content-Length`` says the body is over ``limit``."""
        declared = self.header("content-length")
        if (
            limit is not None
            and declared is not None
            and declared.isdigit()
            and int(declared) > limit
        ):
            raise BodyTooLarge(limit)

    @property
    def started(self) -> bool:
        """Whether the response head has been sent."""
        return self.status is not None

    @property
    def bodiless(self) -> bool:
        """Whether the response has no body (a HEAD's, a 204, a 304): what is sent is dropped."""
        return self.method == "HEAD" or self.status in _BODILESS

    @abstractmethod
    def respond(self, status: int, headers: Iterable[tuple[str, str]], body: bytes = b"") -> None:
        """Send a whole response with ``Content-Length``."""

    def respond_json(self, status: int, document: Any) -> None:
        """Send ``document`` as a compact JSON response."""
        body = json.dumps(document, separators=(",", ":")).encode()
        self.respond(status, [("Content-Type", "application/json")], body)

    @abstractmethod
    def start(self, status: int, headers: Iterable[tuple[str, str]], *, trailers: str = "") -> None:
        """Send the head of a streamed response; ``trailers`` announces fields."""

    @abstractmethod
    def send(self, data: bytes) -> None:
        """Send one piece of a streamed response now.

        Raises:
            ClientGone: the client went away or stopped reading for ``io_timeout``.
        """

    @abstractmethod
    def end(self, trailers: Iterable[tuple[str, str]] = ()) -> None:
        """End a streamed response, with any trailers."""

    @abstractmethod
    def peer_closed(self, *, half_close: bool = True) -> bool:
        """Whether the client has left (checked without waiting)."""

    @abstractmethod
    def abort(self) -> None:
        """End the response so that the client sees it cut short, not complete."""

    def _with_added_fields(self, fields: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Return ``fields`` with :attr:`added_fields` in place of theirs, and a ``Date``."""
        added = {name.lower() for name, _ in self.added_fields}
        out = [field for field in fields if field[0].lower() not in added]
        out += self.added_fields
        if not any(name.lower() == "date" for name, _ in out):
            out.append(("Date", email.utils.formatdate(usegmt=True)))
        return out


class HTTP1Exchange(Exchange):
    """One request and its response over HTTP/1.x, framed by h11."""

    def __init__(
        self, sock: socket.socket, conn: h11.Connection, request: h11.Request, client: str
    ) -> None:
        super().__init__(
            request.method.decode("latin-1"),
            request.target.decode("latin-1"),
            tuple(
                (name.decode("latin-1"), _text(value))
                for name, value in request.headers.raw_items()
            ),
            client,
            request.http_version.decode("latin-1"),
        )
        self._sock = sock
        self._conn = conn
        self._half_closed = False

    # -- request body ---------------------------------------------------------------

    def iter_body(self, limit: int | None = None) -> Iterator[bytes]:
        """Yield the request body as it arrives (ClientGone: the connection closed mid-body)."""
        self._refuse_declared(limit)
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

    def respond(self, status: int, headers: Iterable[tuple[str, str]], body: bytes = b"") -> None:
        """Send a whole response with ``Content-Length``."""
        fields = [(k, v) for k, v in headers if k.lower() not in ("content-length", "connection")]
        fields.append(("Content-Length", str(len(body))))
        self._head(status, fields)
        data = self._conn.send(h11.Data(data=body)) if body else b""
        self._write((data or b"") + (self._conn.send(h11.EndOfMessage()) or b""))

    def start(self, status: int, headers: Iterable[tuple[str, str]], *, trailers: str = "") -> None:
        """Send the head of a streamed (chunked) response; ``trailers`` announces fields."""
        fields = [
            (k, v)
            for k, v in headers
            if k.lower() not in ("content-length", "transfer-encoding", "connection")
        ]
        if status not in _BODILESS:  # no Transfer-Encoding on a 204 (RFC 9112 6.1) or 304
            fields.append(("Transfer-Encoding", "chunked"))
            if trailers:
                fields.append(("Trailer", trailers))
        self._head(status, fields)

    def send(self, data: bytes) -> None:
        """Send one chunk of a streamed response now (see :meth:`Exchange.send`)."""
        if data and not self.bodiless:
            self._write(self._conn.send(h11.Data(data=data)))

    def end(self, trailers: Iterable[tuple[str, str]] = ()) -> None:
        """End a streamed response: the terminating chunk and any trailers."""
        fields = [] if self.bodiless else list(trailers)
        self._write(self._conn.send(h11.EndOfMessage(headers=fields)))

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
        """Whether the client's FIN is the next thing to read (OSError: it reset).

        Over TLS what arrived is read, and handed to h11, which keeps it for its turn.
        """
        if isinstance(self._sock, ssl.SSLSocket):
            data = http_sockets.tls_read_now(self._sock)
            if data:
                self._conn.receive_data(data)
            return data == b""
        return http_sockets.readable(self._sock) and not self._sock.recv(
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
                http_sockets.reset(self._sock)
            else:
                self._sock.shutdown(socket.SHUT_RDWR)

    # -- I/O --------------------------------------------------------------------------------

    def _head(self, status: int, fields: list[tuple[str, str]]) -> None:
        fields = self._with_added_fields(fields)
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
            reason=_reason(status),
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
                data = self._sock.recv(http_sockets.READ_SIZE)
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


ErrorDocument = Callable[[int, str], Any]
"""Builds the JSON body of an error the server answers itself, from its status and message."""


def message_document(status: int, message: str) -> dict[str, str]:
    """Return API Gateway's error body, ``{"message": ...}``."""
    return {"message": message}


def _reason(status: int) -> bytes:
    """Return the standard reason phrase of ``status`` (empty for a status without one)."""
    try:
        return http.HTTPStatus(status).phrase.encode("ascii")
    except ValueError:
        return b""


def _text(value: bytes) -> str:
    """Decode a field value as UTF-8, as API Gateway does; bytes that are not UTF-8 as latin-1.

    Latin-1 keeps every byte, so a value that is not UTF-8 reaches the handler unchanged.
    """
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")
