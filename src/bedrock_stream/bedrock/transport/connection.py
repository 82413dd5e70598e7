"""Kept-alive HTTP/1.1 connections to one origin, on :mod:`http.client`.

:class:`Pool` sends requests to one ``http://`` or ``https://`` origin and returns streaming
:class:`Response` objects. It normally holds one connection (a Lambda serves one invocation at
a time); a request while all are busy opens another; idle ones are reused last in, first out.

Invariants:

- a connection goes back to the pool only once its response body has been read to the end and
  the server did not say ``Connection: close``; a response closed before its end closes its
  connection, so no connection is ever reused with unread body bytes;
- a connection taken from the pool that the server has closed (its socket is readable while
  idle, urllib3's ``is_connection_dropped``) is dropped before use; a request is never sent
  twice (the server may have acted on it: only the caller's retry policy repeats a call, as
  with botocore's single attempt), so any failure before the status line is raised;
- TLS always verifies the certificate and the host name (SNI = host) and offers ``http/1.1``
  alone by ALPN; ``ca_bundle`` replaces the system store, as ``AWS_CA_BUNDLE`` does in
  botocore. The context is built on the first TLS connect and kept by the pool;
- ``connect_timeout`` bounds the TCP connect and the TLS handshake, ``read_timeout`` then every
  send and receive on the socket (urllib3's per-read timeout).

"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
from urllib.parse import urlsplit

_BODY_METHODS = frozenset({"PATCH", "POST", "PUT"})


class ConnectFailed(OSError):
    """No connection to the origin: the DNS lookup, TCP connect or TLS handshake failed."""


class CertificateError(ConnectFailed):
    """The origin's TLS certificate is not trusted, or not valid for its host name."""


class NoResponse(OSError):
    """The connection failed before a response's status line: closed, reset or garbled."""


class ResponseTimeout(TimeoutError):
    """No response status line within the read timeout."""


class BodyBroken(OSError):
    """The response body broke off: timeout, reset, or fewer bytes than it announced."""


class Headers:
    """A response's header fields in order, names lowercased (botocore's ``HTTPHeaders``)."""

    __slots__ = ("_items",)

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = [(name.lower(), value) for name, value in items]

    def header(self, name: str) -> str | None:
        """Return the field's value, repeated fields joined by ``", "``; None if absent."""
        return self.joined().get(name.lower())

    def joined(self) -> dict[str, str]:
        """Return one value per name, repeated fields joined by ``", "`` (``HTTPHeaders``)."""
        joined: dict[str, str] = {}
        for name, value in self._items:
            joined[name] = f"{joined[name]}, {value}" if name in joined else value
        return joined

    def items(self) -> list[tuple[str, str]]:
        """Return the ``(lowercased name, value)`` pairs in the order received."""
        return list(self._items)


class Pool:
    """Kept-alive connections to one origin, with an optional base path prefixing every path.

    Args:
        url: ``http://`` or ``https://``, host, optional port, optional base path.
        connect_timeout: seconds for the TCP connect and the TLS handshake.
        read_timeout: seconds for each send or receive after that.
        ca_bundle: PEM file of the CAs to trust instead of the system store (``AWS_CA_BUNDLE``).
        max_idle: idle connections kept at most (botocore's ``max_pool_connections``).

    Raises:
        ValueError: ``url`` is not such an origin.
    """

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float,
        read_timeout: float,
        ca_bundle: str | None = None,
        max_idle: int = 10,
    ) -> None:
        parts = urlsplit(url)
        extra = "@" in parts.netloc or parts.query or parts.fragment
        if parts.scheme not in ("http", "https") or not parts.hostname or extra:
            raise ValueError(f"not an http(s) origin with an optional base path: {url!r}")
        self.tls = parts.scheme == "https"
        """Whether the origin is ``https``."""
        self.host: str = parts.hostname
        """The host name or IP address (unbracketed), also the TLS server name."""
        self.port = parts.port or (443 if self.tls else 80)
        """The TCP port."""
        self.origin = f"{parts.scheme}://{parts.netloc}"
        """``scheme://host[:port]``, for messages."""
        self._base = parts.path.rstrip("/")
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._ca_bundle = ca_bundle
        self._max_idle = max_idle
        self._context: ssl.SSLContext | None = None
        self._lock = threading.Lock()
        self._idle: list[http.client.HTTPConnection] = []

    def request(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes = b""
    ) -> Response:
        """Send a request and return its response once the status line and headers are in.

        ``path`` (with its query) follows the base path. ``Host``, ``Accept-Encoding:
        identity`` and ``Content-Length`` are added when ``headers`` lacks them.

        Raises:
            ConnectFailed: no connection (CertificateError: the certificate is not trusted).
            ResponseTimeout: no status line within the read timeout.
            NoResponse: the connection closed, reset or sent garbage before a status line.
        """
        target = self._base + path
        conn = self._checkout()
        try:
            _send(conn, method, target, headers, body)
            raw = conn.getresponse()
        except (OSError, http.client.HTTPException) as error:
            conn.close()
            if isinstance(error, TimeoutError):
                message = f"no response from {self.origin} within {self._read_timeout} s"
                raise ResponseTimeout(message) from error
            raise NoResponse(f"no response from {self.origin}: {_describe(error)}") from error
        except BaseException:
            conn.close()
            raise
        return Response(self, conn, raw)

    def prepare(self) -> None:
        """Build the TLS context now (CA loading takes tens of milliseconds), not at connect."""
        if self.tls:
            self._tls_context()

    def close(self) -> None:
        """Close the idle connections; one serving a response returns when that ends."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def _checkout(self) -> http.client.HTTPConnection:
        """Take the newest idle connection still open, else open one."""
        with self._lock:
            while self._idle:
                conn = self._idle.pop()
                if conn.sock is not None and not _readable(conn.sock):
                    return conn
                conn.close()
        return self._open()

    def _checkin(self, conn: http.client.HTTPConnection) -> None:
        """Keep a connection whose response has ended, unless the server is closing it."""
        with self._lock:
            if conn.sock is not None and len(self._idle) < self._max_idle:
                self._idle.append(conn)
                return
        conn.close()

    def _open(self) -> http.client.HTTPConnection:
        """Connect (and for https, make the TLS handshake) within the connect timeout."""
        context = self._tls_context() if self.tls else None
        address = (self.host, self.port)
        try:
            sock = socket.create_connection(address, self._connect_timeout)
        except socket.gaierror as error:
            message = f"cannot resolve {self.host} for {self.origin}: {_describe(error)}"
            raise ConnectFailed(message) from error
        except TimeoutError as error:
            message = f"connecting to {self.origin} timed out after {self._connect_timeout} s"
            raise ConnectFailed(message) from error
        except OSError as error:
            raise ConnectFailed(f"cannot connect to {self.origin}: {_describe(error)}") from error
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if context is not None:
                sock = context.wrap_socket(sock, server_hostname=self.host)
        except ssl.SSLCertVerificationError as error:
            sock.close()
            raise CertificateError(self._untrusted(error)) from error
        except OSError as error:
            sock.close()
            message = f"TLS handshake with {self.origin} failed: {_describe(error)}"
            raise ConnectFailed(message) from error
        sock.settimeout(self._read_timeout)
        conn = http.client.HTTPConnection(self.host, self.port)
        conn.default_port = 443 if self.tls else 80  # Host omits the scheme's default port
        conn.auto_open = 0  # never reconnect behind the pool's back
        conn.sock = sock
        return conn

    def _tls_context(self) -> ssl.SSLContext:
        """Build the TLS context once: verification on, ``ca_bundle`` or the system store."""
        with self._lock:
            if self._context is None:
                try:
                    context = ssl.create_default_context(cafile=self._ca_bundle)
                except OSError as error:
                    message = f"cannot load the CA bundle {self._ca_bundle} (AWS_CA_BUNDLE)"
                    raise ConnectFailed(f"{message}: {_describe(error)}") from error
                context.set_alpn_protocols(["http/1.1"])  # as urllib3
                self._context = context
            return self._context

    def _untrusted(self, error: ssl.SSLCertVerificationError) -> str:
        """Say that the certificate is not trusted and how to trust its issuer."""
        store = f"the CA bundle {self._ca_bundle}" if self._ca_bundle else "the system store"
        return (
            f"the TLS certificate of {self.origin} is not trusted by {store}: "
            f"{error.verify_message or _describe(error)}. If a proxy or firewall re-signs TLS, "
            "trust its issuer: set AWS_CA_BUNDLE to a PEM file of its CA certificate"
        )


class Response:
    """A response whose body streams from its connection; a context manager closing it.

    The connection returns to the pool when the body has been read to its end; :meth:`close`
    before that closes the connection.
    """

    __slots__ = ("_conn", "_pool", "_raw", "headers", "reason", "status")

    def __init__(
        self, pool: Pool, conn: http.client.HTTPConnection, raw: http.client.HTTPResponse
    ) -> None:
        self.status: int = raw.status
        """The status code."""
        self.reason: str = raw.reason
        """The reason phrase."""
        self.headers = Headers(raw.getheaders())
        """The header fields."""
        self._pool = pool
        self._conn: http.client.HTTPConnection | None = conn
        self._raw = raw
        if raw.length == 0:  # HEAD, 204, 304 or Content-Length: 0: over already
            self.read()

    def read(self, amt: int | None = None) -> bytes:
        """Return the next body bytes: at most ``amt``, as soon as any have arrived.

        All the rest when ``amt`` is None; ``b""`` once the body has ended, and for ``amt`` 0.

        Raises:
            BodyBroken: the body broke off before its end (timeout, reset, too short).
        """
        raw = self._raw
        if self._conn is None or amt == 0:
            return b""
        try:
            data = raw.read() if amt is None else raw.read1(amt)
        except (OSError, http.client.HTTPException) as error:
            self.close()
            raise BodyBroken(self._broken(_describe(error))) from error
        if amt is None or not data or raw.length == 0:
            if raw.length:
                self.close()
                raise BodyBroken(self._broken(f"{raw.length} bytes short of Content-Length"))
            conn, self._conn = self._conn, None
            raw.close()
            self._pool._checkin(conn)
        return data

    def close(self) -> None:
        """Close the response; before the body's end, close its connection too."""
        conn, self._conn = self._conn, None
        self._raw.close()
        if conn is not None:
            conn.close()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _broken(self, cause: str) -> str:
        return f"the response body from {self._pool.origin} broke off: {cause}"


def _send(
    conn: http.client.HTTPConnection,
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
) -> None:
    """Write one request on ``conn``."""
    names = {name.lower() for name, _ in headers}
    skip_encoding = "accept-encoding" in names
    conn.putrequest(method, target, skip_host="host" in names, skip_accept_encoding=skip_encoding)
    for name, value in headers:
        conn.putheader(name, value)
    framed = names & {"content-length", "transfer-encoding"}
    if not framed and (body or method.upper() in _BODY_METHODS):
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body or None)


def _readable(sock: socket.socket) -> bool:
    """Whether an idle socket has something to read: the server closed it, or sent junk."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([sock], [], [], 0)[0])  # pragma: no cover - Windows


def _describe(error: BaseException) -> str:
    return str(error) or type(error).__name__
