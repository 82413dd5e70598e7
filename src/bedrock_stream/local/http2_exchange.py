"""One request stream of an HTTP/2 connection and its response, as a handler sees them.

An :class:`HTTP2Exchange` is the :class:`~bedrock_stream.local.http_exchange.Exchange` of a
stream of an :class:`~bedrock_stream.local.http2_connection.HTTP2Connection`, which does its
I/O. A response head is checked whole before h2 sees it (:func:`encode_fields`): h2 would
refuse some fields only after its header compression had taken earlier ones in, which
breaks the connection, so nothing it refuses may reach it.

Needs the ``local`` extra (h2).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from h2.errors import ErrorCodes

from bedrock_stream.local.http_exchange import BodyTooLarge, Exchange, _text
from bedrock_stream.protocol.headers import FIELD_NAME

if TYPE_CHECKING:
    from bedrock_stream.local.http2_connection import HTTP2Connection

__all__ = ["Fields", "HTTP2Exchange", "decode_fields", "encode_fields"]

Fields = list[tuple[bytes, bytes]]
"""A header list as h2 takes and gives it."""
_CONNECTION_SPECIFIC = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"}
)
"""Fields HTTP/2 forbids (RFC 9113 8.2.2): a response head drops them (``te`` too, unless it
is ``trailers``)."""
_INVALID_VALUE = re.compile(r"[\x00\r\n]")


class HTTP2Exchange(Exchange):
    """One request stream of an HTTP/2 connection and its response, as a handler sees them."""

    def __init__(
        self,
        connection: HTTP2Connection,
        stream_id: int,
        method: str,
        target: str,
        headers: tuple[tuple[str, str], ...],
        client: str,
    ) -> None:
        super().__init__(method, target, headers, client, "2")
        self.stream_id = stream_id
        self._connection = connection
        self.body: deque[tuple[bytes, int]] = deque()
        """Request body bytes received, not yet read, with their flow-controlled length."""
        self.request_ended = False
        """Whether the client has sent END_STREAM."""
        self.response_ended = False
        """Whether the response has been sent to its end."""
        self.reset = False
        """Whether the stream was reset (by the client, or by :meth:`abort`)."""
        self._continued = False

    # -- request body ---------------------------------------------------------------

    def iter_body(self, limit: int | None = None) -> Iterator[bytes]:
        """Yield the request body as it arrives (ClientGone: the stream or connection ended)."""
        self._refuse_declared(limit)
        connection = self._connection
        if not self._continued and (self.header("expect") or "").lower() == "100-continue":
            self._continued = True
            connection.send_headers(self, [(b":status", b"100")], end=False)
        size = 0
        while True:
            with connection.changed:
                deadline = connection.deadline()
                while not self.body and not self.request_ended:
                    connection.check(self)
                    connection.wait(self, "request body", deadline)
                if not self.body:
                    return
                data, length = self.body.popleft()
                connection.acknowledge(self, length)
            size += len(data)
            if limit is not None and size > limit:
                raise BodyTooLarge(limit)
            yield data

    # -- response ---------------------------------------------------------------------

    def respond(self, status: int, headers: Iterable[tuple[str, str]], body: bytes = b"") -> None:
        """Send a whole response with ``content-length``."""
        fields = [(k, v) for k, v in headers if k.lower() != "content-length"]
        fields.append(("content-length", str(len(body))))
        self._head(status, fields, end=not body)
        if body:
            self._connection.send_data(self, body, end=True)
        self.response_ended = True

    def start(self, status: int, headers: Iterable[tuple[str, str]], *, trailers: str = "") -> None:
        """Send the head of a streamed response; ``trailers`` announces fields."""
        fields = [(k, v) for k, v in headers if k.lower() != "content-length"]
        if trailers:
            fields.append(("trailer", trailers))
        self._head(status, fields, end=False)

    def send(self, data: bytes) -> None:
        """Send one piece of a streamed response as DATA (see :meth:`Exchange.send`)."""
        if data and not self.bodiless:  # no content in DATA frames (RFC 9113 8.1.1)
            self._connection.send_data(self, data, end=False)

    def end(self, trailers: Iterable[tuple[str, str]] = ()) -> None:
        """End a streamed response: END_STREAM, on a HEADERS frame of ``trailers`` if any."""
        fields = [] if self.bodiless else encode_fields(trailers)
        if fields:
            self._connection.send_headers(self, fields, end=True)
        else:
            self._connection.send_data(self, b"", end=True)
        self.response_ended = True

    def peer_closed(self, *, half_close: bool = True) -> bool:
        """Whether the client has left: it reset the stream or ended the connection.

        ``half_close`` is moot over HTTP/2: every request ends with a half-close.
        """
        with self._connection.changed:
            return self._connection.closed or self.reset

    def abort(self) -> None:
        """Reset the stream (``INTERNAL_ERROR``): the client sees the response fail."""
        self.aborted = True
        self._connection.reset_stream(self, ErrorCodes.INTERNAL_ERROR)

    def _head(self, status: int, fields: list[tuple[str, str]], *, end: bool) -> None:
        # A head HTTP/2 cannot carry raises here, before h2 sees any of it, so the server
        # can answer 500 instead.
        encoded = [
            (b":status", str(status).encode()),
            *encode_fields(self._with_added_fields(fields)),
        ]
        self._connection.send_headers(self, encoded, end=end)
        self.status = status


def encode_fields(fields: Iterable[tuple[str, str]]) -> Fields:
    """Encode response fields for HTTP/2: names lowercase, connection-specific ones dropped.

    Raises:
        ValueError: a name that is not a token (a pseudo-header's included), or a value
            holding a character no field may carry (CR, LF, NUL).
    """
    encoded: Fields = []
    for name, value in fields:
        if not FIELD_NAME.fullmatch(name) or _INVALID_VALUE.search(value):
            raise ValueError(f"field {name!r} cannot be sent")
        key, text = name.lower(), value.strip(" \t")
        if key in _CONNECTION_SPECIFIC or (key == "te" and text.lower() != "trailers"):
            continue
        encoded.append((key.encode(), text.encode()))
    return encoded


def decode_fields(
    headers: Iterable[tuple[bytes, bytes]],
) -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    """Split a received header list into its pseudo-header fields and the rest, as text."""
    pseudo: dict[str, str] = {}
    fields: list[tuple[str, str]] = []
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1")
        if name.startswith(":"):
            pseudo[name] = raw_value.decode("latin-1")
        else:
            fields.append((name, _text(raw_value)))
    return pseudo, tuple(fields)
