"""An ASGI HTTP response's messages, checked in order, sans I/O.

A response is ``http.response.start`` once, then ``http.response.body`` messages until one
has ``more_body`` false (:data:`TRANSITIONS`). :class:`ResponseMessages` turns them into
what the Lambda response is made of: its head (an :class:`~bedrock_stream.app_head.AppHead`)
and body bytes. A message out of order, of a type no extension we announce allows, or with
a malformed field raises :class:`ASGIProtocolError` naming it, as uvicorn refuses it with a
``RuntimeError``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from bedrock_stream.app_head import AppHead, app_head
from bedrock_stream.errors import LocalProtocolError

__all__ = ["TRANSITIONS", "ASGIProtocolError", "ResponseMessages", "Stage"]


class ASGIProtocolError(LocalProtocolError, RuntimeError):
    """The app sent an ASGI message the HTTP protocol does not allow where it did."""


class Stage(enum.Enum):
    """Where a response is in its messages."""

    START = "awaiting http.response.start"
    BODY = "sending its body"
    DONE = "complete"


TRANSITIONS: Mapping[tuple[Stage, str], Stage] = {
    (Stage.START, "http.response.start"): Stage.BODY,
    (Stage.BODY, "http.response.body"): Stage.BODY,  # DONE once more_body is false
}
"""(stage, message type) → the next stage; every other pair is refused."""


class ResponseMessages:
    """The state of one response's messages; feed each message the app sends to :meth:`send`.

    With ``head_only`` (the answer to a ``HEAD`` request) the body's bytes are checked and
    dropped, as uvicorn drops them.
    """

    def __init__(self, *, head_only: bool = False) -> None:
        self.stage = Stage.START
        self.head_only = head_only

    def send(self, message: Mapping[str, Any]) -> AppHead | bytes:
        """Check ``message`` and return what it carries: the start, or body bytes.

        Raises:
            ASGIProtocolError: ``message`` is not allowed now, or is malformed.
        """
        kind = message.get("type")
        after = TRANSITIONS.get((self.stage, str(kind)))
        if after is None:
            raise ASGIProtocolError(
                f"unexpected ASGI message {kind!r} while the response is {self.stage.value}"
            )
        if after is Stage.BODY and self.stage is Stage.START:
            head = _start(message)  # checked first: a refused start leaves room for a 500
            self.stage = after
            return head
        body = message.get("body", b"")
        if not isinstance(body, (bytes, bytearray, memoryview)):
            raise ASGIProtocolError(f"http.response.body: body must be bytes, not {body!r:.40}")
        if not message.get("more_body", False):
            self.stage = Stage.DONE
        return b"" if self.head_only else bytes(body)


def _start(message: Mapping[str, Any]) -> AppHead:
    status = message.get("status")
    if not isinstance(status, int) or isinstance(status, bool):  # HTTPStatus is an int
        raise ASGIProtocolError(f"http.response.start: status must be an int, not {status!r}")
    if message.get("trailers", False):
        raise ASGIProtocolError("http.response.start: trailers need an extension not offered")
    headers: list[tuple[str, str]] = []
    for pair in message.get("headers", ()):
        try:
            raw_name, raw_value = pair
            if not isinstance(raw_name, (bytes, bytearray)) or not isinstance(
                raw_value, (bytes, bytearray)
            ):
                raise TypeError
            headers.append((raw_name.decode("latin-1"), raw_value.decode("latin-1")))
        except (TypeError, ValueError):
            raise ASGIProtocolError(
                f"http.response.start: a header must be a pair of bytes, not {pair!r:.60}"
            ) from None
    return app_head(int(status), headers)
