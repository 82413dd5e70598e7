"""The streaming sink: a chunked ``/response`` with trailers, written as the handler produces it.

The first write (request head, prelude, delimiter, first chunk) goes out at once from
the handler's thread in one ``sendmsg``. Later writes are handed to a writer thread:
when it is idle it wakes and sends at once; while its ``sendmsg`` is in flight, the
chunks written meanwhile queue up and then leave together in its next ``sendmsg`` (the
way AWS's Node.js client coalesces the writes of one event-loop tick). ``sendmsg`` is
scatter-gather: a large chunk is passed by reference and never copied; only small
chunks are framed into one small ``bytes``. Once more than :data:`HIGH_WATER` bytes
wait, ``write`` blocks until the writer has caught up, so memory stays bounded
whatever the length of the stream.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from bedrock_stream.runtime import wire
from bedrock_stream.runtime.client import RuntimeAPIError, read_response

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: the cold path does not import typing
if TYPE_CHECKING:
    from typing import TypeAlias

    from bedrock_stream.runtime.client import RuntimeAPI

    Part: TypeAlias = bytes | memoryview

__all__ = ["HIGH_WATER", "DeadlineGuardExceeded", "StreamingSink"]

HIGH_WATER = 256 * 1024
"""Bytes that may wait for the writer before ``write`` blocks."""
SMALL = 4096
"""Chunks below this size are framed by copying into one ``bytes``; larger ones never are."""
_IOV_MAX = 1024
_TRAILER = "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body"


class DeadlineGuardExceeded(Exception):
    """The invocation reached its deadline guard: the stream is ended with a timeout error."""

    error_type = "Function.DeadlineGuard"


def _frame(chunks: tuple[bytes, ...], parts: list[Part]) -> int:
    """Append the chunked framing of ``chunks`` to ``parts``; return the bytes added."""
    size = 0
    for data in chunks:
        n = len(data)
        if not n:
            continue
        if n < SMALL:
            framed = b"%x\r\n%b\r\n" % (n, data)
            parts.append(framed)
            size += len(framed)
        else:
            head = b"%x\r\n" % n
            parts += (head, data, wire.CRLF)
            size += len(head) + n + 2
    return size


def _send_all(sock: socket.socket, parts: list[Part]) -> int:
    """Send every part with ``sendmsg`` (partial sends resumed); return the system calls made."""
    calls = 0
    index = 0
    while index < len(parts):
        batch = parts[index : index + _IOV_MAX]
        sent = sock.sendmsg(batch)
        calls += 1
        for part in batch:
            n = len(part)
            if sent >= n:
                sent -= n
                index += 1
            else:
                if sent:
                    parts[index] = memoryview(part)[sent:]
                break
    return calls


class StreamingSink:
    """A :class:`~bedrock_stream.sink.ResponseSink` that streams one invocation's response.

    ``write`` raises :class:`RuntimeAPIError` once the Runtime API connection is lost,
    and :class:`DeadlineGuardExceeded` when ``guard_at_ms`` (epoch milliseconds) has
    passed. :meth:`close` must be called at the end (it joins the writer thread).
    """

    def __init__(
        self,
        api: RuntimeAPI,
        request_id: str,
        deadline_ms: int,
        guard_at_ms: int | None = None,
    ) -> None:
        self._api = api
        self.request_id = request_id
        self._deadline_ms = deadline_ms
        self._guard_at_ms = guard_at_ms
        self.content_type: str | None = None
        self.sent_head = False
        self.error: BaseException | None = None
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)  # `with self._lock` is the C fast path
        self._queue: list[Part] = []
        self._queued = 0  # bytes queued or in flight
        self._busy = False  # the writer is sending a batch
        self._waiting = False  # the writer is idle, waiting for work
        self._stopping = False
        self._writer: threading.Thread | None = None
        self.syscalls = 0
        self.peak_pending = 0

    @property
    def started(self) -> bool:
        """Whether the handler called :meth:`start` (it streams)."""
        return self.content_type is not None

    def start(self, content_type: str) -> None:
        """Record the content type; the request head goes out with the first write."""
        if self.content_type is not None:
            raise RuntimeError("start() was already called for this invocation")
        self.content_type = content_type

    def write(self, *chunks: bytes) -> None:
        """Send ``chunks`` now, or queue them behind the write in flight."""
        if self.error is not None:
            raise self.error
        if self._guard_at_ms is not None and time.time() * 1000 >= self._guard_at_ms:
            raise DeadlineGuardExceeded(
                f"deadline guard reached for {self.request_id}: the stream was cut short"
            )
        if not self.sent_head:
            if self.content_type is None:
                raise RuntimeError("write() before start()")
            parts: list[Part] = [self._open()]
            _frame(chunks, parts)
            self._send_inline(parts)
            return
        if len(chunks) == 1 and len(chunks[0]) < SMALL:  # the common case: one token
            data = chunks[0]
            if not data:
                return
            framed = b"%x\r\n%b\r\n" % (len(data), data)
            with self._lock:
                queued = self._queued + len(framed)
                if queued <= HIGH_WATER and self._writer is not None and self.error is None:
                    self._queue.append(framed)
                    self._queued = queued
                    if queued > self.peak_pending:
                        self.peak_pending = queued
                    if self._waiting:
                        self._cond.notify()
                    return
            parts = [framed]
            size = len(framed)
        else:
            parts = []
            size = _frame(chunks, parts)
            if not size:
                return
        self._enqueue(parts, size)

    def _enqueue(self, parts: list[Part], size: int) -> None:
        """Queue ``parts`` for the writer (started on first use); block above the high water."""
        cond = self._cond
        with cond:
            if self.error is not None:
                raise self.error
            self._queue += parts
            queued = self._queued = self._queued + size
            if queued > self.peak_pending:
                self.peak_pending = queued
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._run_writer, name=f"bedrock-stream-{self.request_id}", daemon=True
                )
                self._writer.start()
            elif self._waiting:
                cond.notify()
            while self._queued > HIGH_WATER and self.error is None:
                cond.wait()
            if self.error is not None:
                raise self.error

    def finish(self, trailers: list[tuple[str, str]] | None = None) -> int:
        """End the body (zero-length chunk, trailers), wait for the Runtime API's answer.

        Returns the status (202 when accepted). Raises :class:`RuntimeAPIError` when the
        connection is lost.
        """
        try:
            if not self.sent_head:
                self._send_inline([self._open()])
            self._drain()
            if self.error is not None:
                raise self.error
            sock = self._sock
            assert sock is not None
            try:
                _send_all(sock, [wire.last_chunk(trailers)])
                sock.settimeout(self._timeout())
                response = read_response(sock)
            except (OSError, wire.WireError) as exc:
                raise self._fail(exc) from exc
            return response.status
        finally:
            self.close()

    def close(self) -> None:
        """Stop the writer thread and close the connection (the stream is over or abandoned)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            stalled = self._busy  # the writer is blocked in sendmsg: the stream is abandoned
        if stalled and self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)  # unblocks the writer at once
        if self._writer is not None:
            self._writer.join()
            self._writer = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._queue = []
        self._queued = 0

    # -- I/O -------------------------------------------------------------------------

    def _open(self) -> bytes:
        """Return the request head and take the connection; nothing is sent yet."""
        assert self.content_type is not None
        head = self._api.head(  # raises WireError for a content type that breaks framing
            "POST",
            f"/2018-06-01/runtime/invocation/{self.request_id}/response",
            [
                ("Content-Type", self.content_type),
                ("Lambda-Runtime-Function-Response-Mode", "streaming"),
                ("Transfer-Encoding", "chunked"),
                ("Trailer", _TRAILER),
            ],
        )
        try:
            self._sock = self._api.take_connection()
            self._sock.settimeout(self._timeout())
        except OSError as exc:
            raise self._fail(exc) from exc
        self.sent_head = True
        return head

    def _timeout(self) -> float:
        """Seconds until the invocation's deadline (plus a second; at least a second)."""
        return max(self._deadline_ms / 1000 - time.time(), 0.0) + 1.0

    def _fail(self, exc: BaseException) -> RuntimeAPIError:
        error = RuntimeAPIError(f"streaming response {self.request_id}: connection lost: {exc}")
        error.__cause__ = exc
        self.error = error
        return error

    def _send_inline(self, parts: list[Part]) -> None:
        assert self._sock is not None
        try:
            self.syscalls += _send_all(self._sock, parts)
        except OSError as exc:
            raise self._fail(exc) from exc

    def _drain(self) -> None:
        """Wait until the writer has sent everything queued."""
        with self._cond:
            while (self._queue or self._busy) and self.error is None:
                self._cond.wait()

    def _run_writer(self) -> None:
        sock = self._sock
        assert sock is not None
        cond = self._cond
        while True:
            with cond:
                while not self._queue and not self._stopping:
                    self._waiting = True
                    cond.wait()
                    self._waiting = False
                if self._stopping:  # finish() drained the queue first; else it is abandoned
                    return
                batch, self._queue = self._queue, []
                size = sum(map(len, batch))
                self._busy = True
            try:
                calls = _send_all(sock, batch)
            except OSError as exc:
                with cond:
                    self._fail(exc)
                    self._busy = False
                    cond.notify_all()
                return
            with cond:
                self.syscalls += calls
                self._queued -= size
                self._busy = False
                cond.notify_all()
