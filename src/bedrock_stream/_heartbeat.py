"""Heartbeats as a sink: SSE comments written into a stream while it is idle.

:class:`HeartbeatSink` wraps the invocation's sink. Once the response has
started (after its prelude, for an HTTP response), a helper thread writes
:data:`~bedrock_stream.sse.HEARTBEAT` whenever nothing was written for the
interval, so proxies and browsers keep a slow stream open. A lock keeps the
wrapped sink's calls serialized, as the sink contract requires; the user's code
keeps running on the invoking thread.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from bedrock_stream.http_integration import CONTENT_TYPE as HTTP_INTEGRATION
from bedrock_stream.sse import HEARTBEAT

if TYPE_CHECKING:
    from bedrock_stream.sink import ResponseSink

__all__ = ["HeartbeatSink"]


class HeartbeatSink:
    """A :class:`~bedrock_stream.sink.ResponseSink` that adds heartbeats to another.

    Call :meth:`close` when the stream ends: no heartbeat follows it.
    """

    def __init__(self, sink: ResponseSink, interval: float) -> None:
        self._sink = sink
        self._interval = interval
        self._last = 0.0
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, content_type: str) -> None:
        """Start the wrapped sink's response; heartbeats begin now, or after the prelude."""
        with self._lock:
            self._sink.start(content_type)
            self._last = time.monotonic()
            if content_type != HTTP_INTEGRATION:  # else the prelude must be the first write
                self._beat()

    def write(self, *chunks: bytes) -> None:
        """Write ``chunks`` into the wrapped sink."""
        with self._lock:
            self._sink.write(*chunks)
            self._last = time.monotonic()
            if self._thread is None:
                self._beat()

    def close(self) -> None:
        """Stop the heartbeats and wait for the helper thread to end."""
        self._closed.set()
        if self._thread is not None:
            self._thread.join()

    def _beat(self) -> None:
        self._thread = threading.Thread(target=self._run, name="bedrock-stream-heartbeat")
        self._thread.daemon = True
        self._thread.start()

    def _run(self) -> None:
        due = self._last + self._interval
        while not self._closed.wait(max(0.0, due - time.monotonic())):
            with self._lock:
                if self._closed.is_set():
                    return
                if time.monotonic() >= self._last + self._interval:
                    try:
                        self._sink.write(HEARTBEAT)
                    except Exception:  # the stream is gone; the next body write reports it
                        return
                    self._last = time.monotonic()
                due = self._last + self._interval
