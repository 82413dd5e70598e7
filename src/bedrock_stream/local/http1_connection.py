"""HTTP/1.x for the local HTTP server: the requests of one connection, one after another.

h11 frames them; each request is answered as an
:class:`~bedrock_stream.local.http_exchange.HTTP1Exchange` before the next head is read
(keep-alive). The connection ends when the client closes or idles, when a response was
aborted or closes it, or when a body was left unread: then the client may finish sending
first, so that it reads the answer instead of a reset.

Needs the ``local`` extra (h11).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

import h11

from bedrock_stream.local import http_sockets
from bedrock_stream.local.http_exchange import Exchange, HTTP1Exchange

__all__ = ["serve"]


def serve(
    sock: socket.socket,
    conn: h11.Connection,
    client: str,
    answer: Callable[[Exchange], None],
    read_head: Callable[[socket.socket, h11.Connection], h11.Request | None],
    *,
    io_timeout: float | None,
    closing: threading.Event,
) -> None:
    """Answer the connection's requests until it ends or ``closing`` is set.

    ``read_head`` reads the next head (None: the connection ends, a refused head
    answered); ``answer`` answers one exchange. OSError: the connection failed.
    """
    while not closing.is_set():
        request = read_head(sock, conn)
        if request is None:
            return
        sock.settimeout(io_timeout)
        exchange = HTTP1Exchange(sock, conn, request, client)
        answer(exchange)
        if exchange.aborted:
            return
        if conn.their_state is not h11.DONE:
            # The body was left unread (e.g. refused as too large): the connection cannot
            # be reused.
            http_sockets.linger(sock)
            return
        if conn.our_state is not h11.DONE:
            return
        conn.start_next_cycle()
