"""Measure what a client feels from an endpoint: time to first byte, total time, bytes.

Used by ``bedrock-stream compare`` to put a streaming and a buffered endpoint, local or
deployed, side by side. Plain ``http.client``: the body is read as it arrives (chunked
or not), and every piece is handed to ``on_data`` the moment it is read.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["Measurement", "measure"]


@dataclass(frozen=True)
class Measurement:
    """One request's timing as the client saw it."""

    url: str
    status: int
    first_byte: float | None
    """Seconds from sending the request to the first body byte (None: empty body)."""
    total: float
    """Seconds from sending the request to the end of the body."""
    body: bytes
    complete: bool
    """False when the connection ended before the body did (a truncated stream)."""

    @property
    def size(self) -> int:
        """Body bytes received."""
        return len(self.body)


def measure(
    url: str,
    document: object,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = 900.0,
    on_data: Callable[[bytes], None] | None = None,
) -> Measurement:
    """POST ``document`` as JSON to ``url`` and time the response body.

    Raises:
        OSError: the endpoint cannot be reached.
    """
    parts = urlsplit(url)
    connection_type = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_type(parts.netloc, timeout=timeout)
    body = json.dumps(document).encode()
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    fields = {"Content-Type": "application/json", "Accept": "*/*", **(headers or {})}
    received: list[bytes] = []
    first_byte: float | None = None
    complete = True
    try:
        started = time.perf_counter()
        connection.request("POST", path, body=body, headers=fields)
        response = connection.getresponse()
        while True:
            try:
                data = response.read1(65536)
            except http.client.IncompleteRead as exc:
                received.append(exc.partial)
                complete = False
                break
            if not data:
                break
            if first_byte is None:
                first_byte = time.perf_counter() - started
            received.append(data)
            if on_data is not None:
                on_data(data)
        total = time.perf_counter() - started
    finally:
        connection.close()
    return Measurement(url, response.status, first_byte, total, b"".join(received), complete)
