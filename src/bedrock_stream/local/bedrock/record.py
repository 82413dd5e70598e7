"""The Bedrock emulator's record of the requests it received, bounded so a long run cannot grow.

A :class:`RequestLog` keeps the latest ``keep_requests`` :class:`RecordedRequest` s, oldest
first. Their parsed bodies are kept up to ``keep_body_bytes`` (as received) in all: past it
the oldest bodies are released (``body`` None, ``body_dropped`` True; the rest of the record
stays), and a body larger than the whole budget is never kept.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .faults import InjectedFault
    from .validation import Operation

__all__ = ["KEEP_BODY_BYTES", "KEEP_REQUESTS", "RecordedRequest", "RequestLog"]


@dataclass
class RecordedRequest:
    """One request the emulator received, and what it answered."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    request_id: str
    operation: Operation | None = None
    model_id: str | None = None
    body: Any = None
    """The request body as parsed JSON (None if it is not JSON, or was dropped)."""
    body_size: int | None = None
    """The request body's size in bytes as received (None if it was not read)."""
    body_dropped: bool = False
    """Whether :attr:`body` was left out or released to keep the record within its budget."""
    status: int | None = None
    error_code: str | None = None
    fault: InjectedFault | None = None
    text: str | None = None
    """The answer's full text (with a guardrail's message, before any cut by a fault)."""
    stop: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    outcome: str = "pending"
    """``ok``, ``error``, ``exception``, ``stalled``, ``truncated``, ``disconnected`` or
    ``client-gone``."""
    http_version: str | None = None
    """The HTTP version the request came over: ``1.1`` or ``2`` (``1.0`` rarely)."""

    def summary(self) -> dict[str, Any]:
        """Return a JSON-able summary (for ``GET /_emulator/requests``)."""
        return {
            "request_id": self.request_id,
            "operation": self.operation,
            "model_id": self.model_id,
            "status": self.status,
            "error_code": self.error_code,
            "fault": None if self.fault is None else repr(self.fault),
            "text": self.text,
            "stop": self.stop,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "outcome": self.outcome,
            "http_version": self.http_version,
        }


KEEP_REQUESTS = 10_000
"""How many of the latest requests a :class:`RequestLog` keeps, by default."""
KEEP_BODY_BYTES = 16 * 1024 * 1024
"""How many bytes of request bodies (as received) the record keeps parsed, by default."""


class RequestLog:
    """The latest requests, oldest first, bounded in count and in kept body bytes."""

    def __init__(
        self, keep_requests: int = KEEP_REQUESTS, keep_body_bytes: int = KEEP_BODY_BYTES
    ) -> None:
        if keep_requests < 1 or keep_body_bytes < 0:
            raise ValueError("keep_requests must be >= 1 and keep_body_bytes >= 0")
        self.requests: list[RecordedRequest] = []
        """The kept records, oldest first (the same list for the log's life)."""
        self.keep_requests = keep_requests
        self.keep_body_bytes = keep_body_bytes
        self._bodies: deque[RecordedRequest] = deque()
        """Records holding a body, oldest first (some may have left :attr:`requests`)."""
        self._body_bytes = 0
        self._lock = threading.Lock()

    def add(self, record: RecordedRequest) -> None:
        """Append ``record``, dropping the oldest past the count."""
        with self._lock:
            self.requests.append(record)
            if len(self.requests) > self.keep_requests:
                del self.requests[: len(self.requests) - self.keep_requests]

    def keep_body(self, record: RecordedRequest, raw: bytes) -> None:
        """Keep ``raw`` parsed in ``record`` if it fits; drop the oldest bodies to fit it."""
        record.body_size = len(raw)
        if len(raw) > self.keep_body_bytes:
            record.body_dropped = True
            return
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            return
        with self._lock:
            record.body = body
            self._bodies.append(record)
            self._body_bytes += len(raw)
            while self._body_bytes > self.keep_body_bytes or len(self._bodies) > self.keep_requests:
                self._drop_oldest_body()

    def summaries(self) -> list[dict[str, Any]]:
        """Return every kept record's :meth:`~RecordedRequest.summary`, oldest first."""
        with self._lock:
            return [record.summary() for record in self.requests]

    def _drop_oldest_body(self) -> None:
        """Release the oldest kept body (the lock held)."""
        oldest = self._bodies.popleft()
        self._body_bytes -= oldest.body_size or 0
        oldest.body, oldest.body_dropped = None, True
