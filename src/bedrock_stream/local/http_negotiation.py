"""Which HTTP a new connection speaks: ALPN's choice over TLS, else HTTP/2's preface or HTTP/1.x.

Over TLS the client names the protocol in the handshake (ALPN, RFC 7301; RFC 9113 3.2): ``h2``
is HTTP/2 from the first byte, anything else (``http/1.1``, or no ALPN) is HTTP/1.x. In clear
text a client that opens with HTTP/2's preface speaks HTTP/2 with prior knowledge (h2c, RFC
9113 3.3); any other first bytes are HTTP/1.x's. Needs the ``local`` extra (h11, h2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import socket
    from collections.abc import Callable

    import h11

    from bedrock_stream.local.http_exchange import Exchange

__all__ = ["Limits", "serve_http2"]


class Limits(Protocol):
    """What an HTTP/2 connection takes from its server (an :class:`~.http_server.HTTPServer`)."""

    name: str
    io_timeout: float | None
    idle_timeout: float | None


def serve_http2(
    sock: socket.socket,
    conn: h11.Connection,
    client: str,
    answer: Callable[[Exchange], None],
    alpn: str | None,
    limits: Limits,
) -> bool:
    """Serve the connection over HTTP/2 if it speaks it; False: it speaks HTTP/1.x.

    ``alpn`` is the protocol TLS negotiated (None in clear text); ``limits`` names the
    threads and bounds the waits. What was read of an HTTP/1.x connection goes to ``conn``;
    an empty read (the client left, or sat idle) ends the connection like an empty HTTP/1.x
    one. A client that chose ``h2`` but sends no preface gets h2's ``GOAWAY``.

    Raises:
        OSError: the connection failed.
    """
    from bedrock_stream.local import http2_connection

    if alpn is not None and alpn != "h2":
        return False
    io_timeout, idle_timeout = limits.io_timeout, limits.idle_timeout
    received = http2_connection.sniff(sock, idle_timeout=idle_timeout, io_timeout=io_timeout)
    if not received:
        return True
    if alpn is None and not received.startswith(http2_connection.PREFACE):
        conn.receive_data(received)
        return False
    sock.settimeout(io_timeout)
    http2_connection.HTTP2Connection(
        sock, client, answer, name=limits.name, io_timeout=io_timeout, idle_timeout=idle_timeout
    ).serve(received)
    return True
