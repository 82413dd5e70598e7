"""Server-Sent Events (``text/event-stream``) encoding, per the WHATWG HTML standard.

An event is a block of ``field: value`` lines ended by a blank line. Data with
line breaks becomes one ``data:`` line per line, which a browser's
``EventSource`` joins back with ``\\n``. A line starting with ``:`` is a
comment, ignored by clients: it makes a cheap heartbeat.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["CONTENT_TYPE", "HEARTBEAT", "SSEEvent", "comment", "encode_event"]

CONTENT_TYPE = "text/event-stream; charset=utf-8"

HEARTBEAT = b": heartbeat\n\n"
"""A comment block, which clients ignore: written while a stream is idle, it keeps it open."""

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class SSEEvent(NamedTuple):
    """One Server-Sent Event; yield it from a ``format="sse"`` handler."""

    data: str
    event: str | None = None
    id: str | None = None
    retry: int | None = None
    """Reconnection delay in milliseconds the client should use."""

    def encode(self) -> bytes:
        """Encode this event (see :func:`encode_event`)."""
        return encode_event(self.data, event=self.event, id=self.id, retry=self.retry)


def encode_event(
    data: str, *, event: str | None = None, id: str | None = None, retry: int | None = None
) -> bytes:
    """Encode one event as UTF-8 bytes, ending with the blank line that dispatches it.

    Raises:
        ValueError: ``event`` or ``id`` holds a line break, ``id`` holds NUL, or
            ``retry`` is negative.
    """
    lines = []
    if event is not None:
        _check_field("event", event)
        lines.append(f"event: {event}")
    if id is not None:
        _check_field("id", id)
        if "\0" in id:
            raise ValueError("id: must not contain NUL")
        lines.append(f"id: {id}")
    if retry is not None:
        if isinstance(retry, bool) or not isinstance(retry, int) or retry < 0:
            raise ValueError(f"retry: must be a non-negative int, got {retry!r}")
        lines.append(f"retry: {retry}")
    lines.extend(f"data: {line}" for line in _LINE_BREAK.split(data))
    return ("\n".join(lines) + "\n\n").encode()


def comment(text: str = "") -> bytes:
    """Encode a comment line (one per line of ``text``), e.g. a heartbeat."""
    return "".join(f": {line}\n" for line in _LINE_BREAK.split(text)).encode()


def _check_field(name: str, value: str) -> None:
    if _LINE_BREAK.search(value):
        raise ValueError(f"{name}: must not contain a line break")
