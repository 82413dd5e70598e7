"""A small blocking client for the Lambda Runtime API, over stdlib sockets.

Framing, paths and field names are :mod:`bedrock_stream.protocol`'s.
"""

from __future__ import annotations

import socket
import time

from bedrock_stream.errors import LambdaRuntimeError
from bedrock_stream.protocol import http1
from bedrock_stream.protocol import runtime_api as names
from bedrock_stream.protocol.runtime_api import NextInvocation

__all__ = ["Invocation", "NextInvocation", "RuntimeAPI", "RuntimeAPIError"]

Invocation = NextInvocation
"""Former name of :class:`~bedrock_stream.protocol.runtime_api.NextInvocation`."""


class RuntimeAPIError(LambdaRuntimeError, ConnectionError):
    """The Runtime API could not be reached, dropped the connection, or refused a request.

    ``status`` is the refusal's HTTP status, None when there was no answer.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _user_agent() -> str:
    import sys

    from bedrock_stream import __version__

    py = ".".join(map(str, sys.version_info[:3]))
    return f"bedrock-stream/{__version__} python/{py}"


class RuntimeAPI:
    """Requests to ``AWS_LAMBDA_RUNTIME_API`` over one keep-alive HTTP/1.1 connection.

    A streamed ``/response`` takes the connection over (:meth:`take_connection`)
    and closes it at the end, as AWS asks of streaming runtimes.
    """

    def __init__(self, address: str) -> None:
        host, sep, port = address.rpartition(":")
        if not sep or not port.isdigit():
            raise ValueError(f"AWS_LAMBDA_RUNTIME_API must be host:port, got {address!r}")
        self.address = address
        self._endpoint = (host.strip("[]"), int(port))
        self._sock: socket.socket | None = None
        self.user_agent = _user_agent()

    # -- connections -------------------------------------------------------------

    def connect(self) -> socket.socket:
        """Open a new connection (TCP_NODELAY)."""
        # Not socket.create_connection: its getaddrinfo imports the "idna" codec (milliseconds
        # of cold start); connect() resolves an address or a name without it.
        family = socket.AF_INET6 if ":" in self._endpoint[0] else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.connect(self._endpoint)
        except OSError:
            sock.close()
            raise
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def wait_until_up(self, attempts: int = 10, first_delay: float = 0.01) -> None:
        """Connect, retrying with exponential backoff while the Runtime API is not up yet.

        Raises:
            RuntimeAPIError: still unreachable after ``attempts`` tries.
        """
        delay = first_delay
        for attempt in range(attempts):
            try:
                self._sock = self.connect()
                return
            except OSError as exc:
                if attempt == attempts - 1:
                    raise RuntimeAPIError(
                        f"Runtime API at {self.address} unreachable after {attempts} attempts: "
                        f"{exc}"
                    ) from exc
                time.sleep(delay)
                delay *= 2

    def take_connection(self) -> socket.socket:
        """Hand the keep-alive connection (or a new one) to a caller who will close it."""
        sock, self._sock = self._sock, None
        return sock if sock is not None else self.connect()

    def close(self) -> None:
        """Close the keep-alive connection."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def head(self, method: str, path: str, headers: list[tuple[str, str]]) -> bytes:
        """Build a request head for ``path`` with the Host and User-Agent fields."""
        return http1.request_head(
            method,
            path,
            [("Host", self.address), ("User-Agent", self.user_agent), *headers],
        )

    def request(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes = b""
    ) -> http1.Response:
        """Send one request and read its response; one reconnect if the kept-alive socket died.

        Raises:
            RuntimeAPIError: no connection, or it broke before the whole response was read.
        """
        if method == "POST" or body:
            headers = [*headers, ("Content-Length", str(len(body)))]
        data = self.head(method, path, headers)
        for retry in (True, False):
            reused = self._sock is not None
            try:
                sock = self._sock if self._sock is not None else self.connect()
            except OSError as exc:
                raise RuntimeAPIError(f"{method} {path}: {exc}") from exc
            self._sock = None
            try:
                sock.sendall(data + body if len(body) < 65536 else data)
                if len(body) >= 65536:
                    sock.sendall(body)
                response = read_response(sock)
            except (OSError, http1.WireError) as exc:
                sock.close()
                if retry and reused:
                    continue
                raise RuntimeAPIError(f"{method} {path}: {exc}") from exc
            if response.headers.get("connection", "").lower() == "close":
                sock.close()
            else:
                self._sock = sock
            return response
        raise AssertionError("unreachable")

    # -- the Runtime API ---------------------------------------------------------------

    def next(self) -> NextInvocation:
        """Long-poll ``/invocation/next`` (no timeout)."""
        response = self.request("GET", names.NEXT, [])
        if response.status != 200:
            raise RuntimeAPIError(
                f"/next answered {response.status}: {response.body[:200]!r}", response.status
            )
        return names.decode_next(response.headers, response.body)

    def _expect(self, response: http1.Response, status: int, what: str) -> None:
        if response.status != status:
            raise RuntimeAPIError(
                f"{what} answered {response.status} (expected {status}): {response.body[:500]!r}",
                response.status,
            )

    def post_response(self, request_id: str, body: bytes, content_type: str) -> None:
        """Post a buffered ``/response``."""
        path = names.response_path(request_id)
        response = self.request("POST", path, [(names.CONTENT_TYPE, content_type)], body)
        self._expect(response, 202, "/response")

    def post_error(self, request_id: str, error_json: str, error_type: str, xray: str) -> None:
        """Post ``/error`` with the error type header and awslambdaric's X-Ray cause header."""
        headers = _error_headers(error_type)
        if xray:
            headers.append((names.XRAY_ERROR_CAUSE, xray))
        path = names.error_path(request_id)
        self._expect(self.request("POST", path, headers, error_json.encode()), 202, "/error")

    def post_init_error(self, error_json: str, error_type: str) -> None:
        """Post ``/init/error``."""
        headers = _error_headers(error_type)
        response = self.request("POST", names.INIT_ERROR, headers, error_json.encode())
        self._expect(response, 202, "/init/error")

    def restore_next(self) -> None:
        """SnapStart: ``/restore/next`` returns once the snapshot was restored."""
        self._expect(self.request("GET", names.RESTORE_NEXT, []), 200, "/restore/next")

    def post_restore_error(self, error_json: str, error_type: str) -> None:
        """SnapStart: ``/restore/error`` after an after-restore hook failed."""
        headers = _error_headers(error_type)
        response = self.request("POST", names.RESTORE_ERROR, headers, error_json.encode())
        self._expect(response, 202, "/restore/error")


def _error_headers(error_type: str) -> list[tuple[str, str]]:
    """Return the head fields of an error report: a JSON body and its type."""
    return [(names.CONTENT_TYPE, "application/json"), (names.ERROR_TYPE, error_type)]


def read_response(sock: socket.socket) -> http1.Response:
    """Read one response from a blocking socket."""
    parser = http1.ResponseParser()
    while True:
        response = parser.feed(sock.recv(65536))
        if response is not None:
            return response
