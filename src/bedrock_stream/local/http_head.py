"""Reading one request head for the local HTTP server, under its deadline and size limits.

A head must arrive whole within ``head_timeout`` seconds of its first byte, however often
bytes arrive (against slowloris), and no read of it may wait longer than ``io_timeout``;
both are refused 408. An idle keep-alive connection is closed, unanswered, after
``idle_timeout`` seconds. A head over ``max_head`` bytes is refused 431; one h11 refuses,
400, or 501 for a transfer coding other than ``chunked``; and one
:func:`~bedrock_stream.local.head_rules.framing_violation` refuses (framing h11 reads
leniently), 400. A refused head is answered outside any exchange (:func:`answer`) and the
connection closes, so the bytes after it are never read as a request.

Needs the ``local`` extra (h11).
"""

from __future__ import annotations

import http
import json
import socket
import time
from collections.abc import Iterable
from typing import Any, NamedTuple

import h11

from bedrock_stream.local import head_rules, http_sockets

__all__ = ["Refusal", "answer", "read_head"]

_REFUSALS = {
    400: "Bad request",
    408: "Request timeout",
    431: "Request header fields too large",
    501: "Not implemented",
}
"""The message of each status a refused head is answered with: ours, and every one h11 hints
(501: a transfer coding other than ``chunked``, or two ``Transfer-Encoding`` fields). A status
a later h11 may hint is answered with its standard phrase."""


class Refusal(NamedTuple):
    """A request head that will not be served: the status to answer, and why (for the log)."""

    status: int
    reason: str

    @property
    def message(self) -> str:
        """What the client is told."""
        return _REFUSALS.get(self.status) or http.HTTPStatus(self.status).phrase


def read_head(
    sock: socket.socket,
    conn: h11.Connection,
    *,
    max_head: int,
    head_timeout: float | None,
    idle_timeout: float | None,
    io_timeout: float | None,
) -> h11.Request | Refusal | None:
    """Read the next request head: the request, its :class:`Refusal`, or None.

    None: the connection ended (closed, or idle for ``idle_timeout``) before a head began.
    The head's bytes are kept as received (h11 normalizes what it parses), so that
    :func:`~bedrock_stream.local.head_rules.framing_violation` sees them as sent.

    Raises:
        OSError: the connection failed.
    """
    received = bytearray(conn.trailing_data[0])  # pipelined after the previous request
    deadline = None
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError as exc:
            return Refusal(exc.error_status_hint, str(exc))
        if isinstance(event, h11.Request):
            head = bytes(received[: len(received) - len(conn.trailing_data[0])])
            if len(head) > max_head:
                return Refusal(431, f"a head of {len(head)} bytes")
            violation = head_rules.framing_violation(head)
            if violation is not None:
                return Refusal(400, violation)
            return event
        if event is not h11.NEED_DATA:
            return None  # ConnectionClosed
        if received and deadline is None and head_timeout is not None:
            deadline = time.monotonic() + head_timeout
        wait = idle_timeout if not received else io_timeout
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                return Refusal(408, f"no whole head within {head_timeout:g} s")
            wait = left if wait is None else min(wait, left)
        sock.settimeout(wait)
        try:
            data = sock.recv(http_sockets.READ_SIZE)
        except TimeoutError:
            if not received:
                return None  # idle
            if deadline is not None and time.monotonic() >= deadline:
                continue  # refused above
            return Refusal(408, f"no byte of the head for {wait:g} s")
        received += data
        conn.receive_data(data)


def answer(status: int, document: Any, extra: Iterable[tuple[str, str]] = ()) -> bytes:
    """Build an error answer given outside any exchange, with JSON body ``document``.

    No request was read (or none could be), so h11 has no exchange to frame it in: the
    answer is a fixed status line and three fields (and ``extra``), ASCII only, and it
    ends the connection.
    """
    body = json.dumps(document).encode()
    fields = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("Connection", "close"),
        *extra,
    ]
    phrase = http.HTTPStatus(status).phrase
    head = f"HTTP/1.1 {status} {phrase}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields)
    return (head + "\r\n").encode("ascii") + body
