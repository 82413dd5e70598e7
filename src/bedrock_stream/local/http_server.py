"""A small threaded HTTP/1.1 server for the local front doors and emulators.

One thread serves each connection (keep-alive included, :mod:`.http1_connection`), with
``TCP_NODELAY``, and a handler sees each request as an
:class:`~bedrock_stream.local.http_exchange.Exchange`.
With ``http2=True`` it serves HTTP/2 with prior knowledge (h2c) on the same port too, one
thread per stream (:mod:`~bedrock_stream.local.http2_connection`); handlers cannot tell.
With a TLS context it serves HTTPS instead, HTTP/2 or HTTP/1.1 as ALPN chose
(:mod:`~bedrock_stream.local.http_negotiation`).
Reading a request or writing a response waits at most ``io_timeout`` seconds for the peer;
a request head is read under the limits of :mod:`~bedrock_stream.local.http_head`. At most
``max_connections`` are served at once; beyond them, and when the process is out of file
descriptors, a client is answered 503 at once and the server keeps accepting. A head
:mod:`~bedrock_stream.local.head_rules` refuses for who sends it (a foreign ``Host``, or a
browser where none belongs) is answered 403. A handler that raises before answering
produces a 500 with a JSON message; the exception is logged, never sent to the client.

Needs the ``local`` extra (h11; h2 for HTTP/2).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import ssl
import threading
from collections.abc import Callable, Iterable

import h11

from bedrock_stream.local import (
    head_rules,
    http1_connection,
    http_head,
    http_negotiation,
    http_sockets,
    tls,
)
from bedrock_stream.local.http_exchange import BadRequest as BadRequest
from bedrock_stream.local.http_exchange import BodyTooLarge as BodyTooLarge
from bedrock_stream.local.http_exchange import ClientGone as ClientGone
from bedrock_stream.local.http_exchange import ErrorDocument as ErrorDocument
from bedrock_stream.local.http_exchange import Exchange as Exchange
from bedrock_stream.local.http_exchange import message_document as message_document
from bedrock_stream.local.http_service import HTTPService as HTTPService

__all__ = [
    "BadRequest",
    "BodyTooLarge",
    "ClientGone",
    "ErrorDocument",
    "Exchange",
    "HTTPServer",
    "HTTPService",
    "Handler",
    "message_document",
]

_MAX_HEAD = 64 * 1024
_MAX_CONNECTIONS = 256
_HEAD_TIMEOUT = 30.0
_BACKOFF = (0.01, 1.0)
"""Seconds the acceptor pauses after a failed accept: the first pause, and the longest."""
_TURN_AWAY_READS = 16
_INTERNAL = "Internal server error"
_log = logging.getLogger("bedrock_stream.local")

Handler = Callable[[Exchange], None]
"""Answers one request; must call :meth:`Exchange.respond` or :meth:`Exchange.start`."""


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
        http2: whether to serve HTTP/2 with prior knowledge (h2c) too, on the same port: a
            client that opens with HTTP/2's preface gets
            :mod:`~bedrock_stream.local.http2_connection` (needs h2).
        tls: serve HTTPS with this context (ALPN offers ``h2`` only if ``http2``).

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
        http2: bool = False,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._handler = handler
        self.name = name
        self.io_timeout = io_timeout
        self.idle_timeout = idle_timeout
        self.head_timeout = head_timeout
        self.max_head = max_head
        self.max_connections = max_connections
        self.browsers = browsers
        self.http2 = http2
        self.tls = tls
        self._error_document = error_document
        self._listener = socket.create_server((host, port))
        self._lock = threading.Lock()
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._closing = threading.Event()
        self._spare: int | None = http_sockets.spare_descriptor()
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
        """``http://host:port``, or ``https://`` with TLS."""
        return f"{'http' if self.tls is None else 'https'}://{self.host}:{self.port}"

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
                if exc.errno not in http_sockets.OUT_OF_DESCRIPTORS:
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
            self._spare = http_sockets.spare_descriptor()
            return False
        if not http_sockets.readable(self._listener):
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
            self._spare = http_sockets.spare_descriptor()

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
                if not sock.recv(http_sockets.READ_SIZE):
                    break
        sock.close()

    def _serve(self, sock: socket.socket, client: str) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=self.max_head)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            alpn = None
            if self.tls is not None:
                sock, alpn = self._secure(sock, self.tls)
            answer = self._answer_exchange
            if self.http2 and http_negotiation.serve_http2(sock, conn, client, answer, alpn, self):
                return
            http1_connection.serve(
                sock,
                conn,
                client,
                self._answer_exchange,
                self._read_head,
                io_timeout=self.io_timeout,
                closing=self._closing,
            )
        except OSError:
            return
        finally:
            with self._lock:
                self._connections.pop(sock, None)
            sock.close()

    def _secure(self, sock: socket.socket, context: ssl.SSLContext) -> tuple[socket.socket, str]:
        """Shake hands; the TLS socket replaces ``sock`` among those :meth:`close` shuts down."""
        secure = tls.wrap(sock, context)
        with self._lock:
            self._connections[secure] = self._connections.pop(sock)
        try:
            if self._closing.is_set():  # close() may have shut the sockets down without it
                raise OSError("the server is closing")
            return secure, tls.handshake(secure, self.head_timeout)
        except OSError:
            with self._lock:
                self._connections.pop(secure, None)
            secure.close()
            raise

    def _read_head(self, sock: socket.socket, conn: h11.Connection) -> h11.Request | None:
        """Read the next request head; answer one that is refused; None when the connection ends."""
        head = http_head.read_head(
            sock,
            conn,
            max_head=self.max_head,
            head_timeout=self.head_timeout,
            idle_timeout=self.idle_timeout,
            io_timeout=self.io_timeout,
        )
        if isinstance(head, http_head.Refusal):
            self._refuse(sock, head)
            return None
        return head

    def _screen(self, exchange: Exchange) -> str | None:
        """Return why the request is refused before its handler runs (403), or None."""
        if head_rules.foreign_host(exchange.header("host"), self.host):
            return f"Host {exchange.header('host')!r} is not this machine's loopback"
        if not self.browsers and head_rules.from_browser(exchange.headers):
            return "a web page may not call this server"
        return None

    def _answer_exchange(self, exchange: Exchange) -> None:
        """Answer one request: 403 if it is refused, else its handler's answer."""
        refusal = self._screen(exchange)
        if refusal:
            _log.info("%s: %s %s: %s", self.name, exchange.method, exchange.target, refusal)
            self._fail(exchange, 403, "Forbidden")
        else:
            self._exchange(exchange)

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

    def _refuse(self, sock: socket.socket, refusal: http_head.Refusal) -> None:
        """Answer a request head that will not be served; the connection then closes."""
        _log.info("%s: request head refused (%d): %s", self.name, refusal.status, refusal.reason)
        with contextlib.suppress(OSError):
            sock.sendall(self._answer(refusal.status, refusal.message))

    def _answer(self, status: int, message: str, extra: Iterable[tuple[str, str]] = ()) -> bytes:
        """Build an error answer given outside any exchange; it ends the connection."""
        return http_head.answer(status, self._error_document(status, message), extra)
