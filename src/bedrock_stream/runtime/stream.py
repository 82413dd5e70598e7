"""The streaming sink: a chunked ``/response`` with trailers, written as the handler produces it.

The first write (request head, prelude, delimiter, first chunk) goes out at once from
the handler's thread in one ``sendmsg``. Later writes are handed to a writer thread:
when it is idle it wakes and sends at once; while its ``sendmsg`` is in flight, the
chunks written meanwhile queue up and then leave together in its next ``sendmsg`` (the
way AWS's Node.js client coalesces the writes of one event-loop tick). ``sendmsg`` is
scatter-gather: a large chunk is passed by reference and never copied; small chunks
are framed into small ``bytes``, and a batch of nothing but small ones is joined into
one. Once more than :data:`HIGH_WATER` bytes wait, ``write`` blocks until the writer
has caught up, so memory stays bounded whatever the length of the stream.

A paced stream (a token every few milliseconds, as from a model) skips the thread hop:
when the writer has been idle for :data:`PACED` seconds, a small token is sent from the
handler's thread itself, under the writer's lock, which saves a wake-up per token.

A token costs the handler's thread a few bytecodes: it is framed, appended to the
queue without taking a lock, and counted; the lock is only taken to wake an idle
writer or to wait for it. That is safe because the queue is one ``list`` that is never
replaced (``append`` and the writer's slice-and-delete are each atomic), and each byte
counter has a single writer: ``_added`` the handler's thread (its writes are
serialized, see :mod:`bedrock_stream.sink`), ``_sent`` the writer thread. A write once the
response is finished (from a thread the handler left running) raises before touching either.

The response moves through the protocol's invocation states
(:data:`~bedrock_stream.protocol.runtime_api.TRANSITIONS`): ``dispatched`` until the head
is sent, ``responding`` until :meth:`StreamingSink.finish`, then ``done``. The state is
checked when the head goes out and when the body ends, never per chunk.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from bedrock_stream.protocol import http1
from bedrock_stream.protocol.runtime_api import (
    RESPONSE_MODE,
    STREAM_TRAILERS,
    STREAMING,
    InvocationState,
    Step,
    advance,
    response_path,
)
from bedrock_stream.runtime.client import RuntimeAPIError, read_response
from bedrock_stream.runtime.diagnostic import Fault

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: the cold path does not import typing
if TYPE_CHECKING:
    from typing import TypeAlias

    from bedrock_stream.runtime.client import RuntimeAPI

    Part: TypeAlias = bytes | memoryview

__all__ = ["HIGH_WATER", "DeadlineGuardExceeded", "StreamingSink"]

HIGH_WATER = 256 * 1024
"""Bytes that may wait for the writer before ``write`` blocks."""
PACED = 0.001
"""Seconds the writer must have been idle before a token is sent from the handler's thread."""
SMALL = http1.SMALL
_SMALL_CHUNK = http1.SMALL_CHUNK
_IOV_MAX = 1024
_DISPATCHED = InvocationState.DISPATCHED


class DeadlineGuardExceeded(Fault):
    """The invocation reached its deadline guard: the stream is ended with a timeout error.

    A :class:`~bedrock_stream.runtime.diagnostic.Fault` of type ``Function.DeadlineGuard``,
    reported like any other.
    """

    def __init__(self, message: str) -> None:
        super().__init__("Function.DeadlineGuard", message)


def _send_all(sock: socket.socket, parts: list[Part]) -> None:
    """Send every part with ``sendmsg``, partial sends resumed.

    Small parts only (a batch of tokens) are joined first: one copy at C speed costs
    less than an iovec per token and this function's bookkeeping for each of them.
    """
    if len(parts) > 1 and max(map(len, parts)) < SMALL:
        parts = [b"".join(parts)]
    index = 0
    while index < len(parts):
        batch = parts[index : index + _IOV_MAX]
        sent = sock.sendmsg(batch)
        for part in batch:
            n = len(part)
            if sent >= n:
                sent -= n
                index += 1
            else:
                if sent:
                    parts[index] = memoryview(part)[sent:]
                break


class StreamingSink:
    """A :class:`~bedrock_stream.sink.ResponseSink` that streams one invocation's response.

    ``write`` raises :class:`RuntimeAPIError` once the Runtime API connection is lost,
    and :class:`DeadlineGuardExceeded` when ``guard_at_ms`` (epoch milliseconds) has
    passed. :meth:`close` must be called at the end (it joins the writer thread).

    Once the response is finished (:meth:`finish` or :meth:`close` was called: the handler
    has returned), ``start`` and ``write`` raise :class:`RuntimeError` saying so: a thread
    the handler left running learns that its writes cannot be delivered, instead of losing
    them silently, and never touches the next invocation's connection.
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
        self.state = _DISPATCHED
        """Where the response is: ``dispatched`` (no byte sent), ``responding``, ``done``."""
        self.error: BaseException | None = None
        self._sock: socket.socket | None = None
        self._cond = threading.Condition(threading.Lock())
        self._queue: list[Part] = []  # never replaced: see the module docstring
        self._added = 0  # bytes ever queued (written by the handler's thread only)
        self._sent = 0  # bytes ever sent by the writer (written by the writer only)
        self._busy = False  # the writer is sending a batch
        self._idle = False  # the writer waits for work: a write must wake it
        self._idle_since = 0.0  # time.monotonic() when the writer last went idle
        self._stopping = False
        self._finished = False  # finish() or close() was called: no more writes
        self._writer: threading.Thread | None = None
        self.peak_pending = 0

    @property
    def sent_head(self) -> bool:
        """Whether the request head went out: the answer is a stream, not ``/error``."""
        return self.state is not _DISPATCHED

    @property
    def started(self) -> bool:
        """Whether the handler called :meth:`start` (it streams)."""
        return self.content_type is not None

    def start(self, content_type: str) -> None:
        """Record the content type; the request head goes out with the first write."""
        if self._finished:
            raise self._finished_error()
        if self.content_type is not None:
            raise RuntimeError("start() was already called for this invocation")
        self.content_type = content_type

    def write(self, *chunks: bytes) -> None:
        """Send ``chunks`` now, or queue them behind the write in flight.

        Raises :class:`RuntimeError` once the response is finished (see the class).
        """
        if self._finished:
            raise self._finished_error()
        if self.error is not None:
            raise self.error
        if self._guard_at_ms is not None and time.time() * 1000 >= self._guard_at_ms:
            raise DeadlineGuardExceeded(
                f"deadline guard reached for {self.request_id}: the stream was cut short"
            )
        if len(chunks) == 1 and len(chunks[0]) < SMALL and self._writer is not None:
            data = chunks[0]  # the hot path: one token while the writer runs
            if data:
                framed = _SMALL_CHUNK % (len(data), data)  # http1.small_chunk, inline
                if (
                    self._idle
                    and time.monotonic() - self._idle_since >= PACED
                    and self._send_paced(framed)
                ):
                    return
                self._queue.append(framed)
                self._added += len(framed)
                if self._idle or self._added - self._sent > HIGH_WATER:
                    self._kick()
            return
        parts: list[Part] = []
        if self.state is _DISPATCHED:  # not sent_head: no property call on this path
            if self.content_type is None:
                raise RuntimeError("write() before start()")
            parts.append(self._open())
            http1.frame(chunks, parts)
            self._send_inline(parts)
            return
        if not http1.frame(chunks, parts):
            return
        self._queue.extend(parts)
        self._added += sum(map(len, parts))
        if self._writer is None:
            self._writer = threading.Thread(
                target=self._run_writer, name=f"bedrock-stream-{self.request_id}", daemon=True
            )
            self._writer.start()
        self._kick()

    def _send_paced(self, framed: bytes) -> bool:
        """Send a token of a paced stream from this thread; False if the writer is busy.

        The writer has been idle for a while, so the stream is paced (tokens, not a
        burst): waking a thread per token would only add its wake-up latency. Under the
        lock, an idle writer with an empty queue is parked in ``wait()`` and stays there.
        """
        cond = self._cond
        with cond:
            if not self._idle or self._queue or self.error is not None:
                return False
            sock = self._sock
            assert sock is not None
            try:
                sent = sock.send(framed)
            except OSError as exc:
                raise self._fail(exc) from exc
            self._idle_since = time.monotonic()
        if sent < len(framed):  # the socket's buffer is full: the writer sends the rest
            rest = memoryview(framed)[sent:]
            self._queue.append(rest)
            self._added += len(rest)
            self._kick()
        return True

    def _kick(self) -> None:
        """After queueing: wake the writer if it is idle; block while above the high water."""
        cond = self._cond
        with cond:
            if self._idle:
                self._idle = False  # one notify per wake-up, not one per token
                cond.notify()
            while self._added - self._sent > HIGH_WATER and self.error is None:
                cond.wait()
        if self.error is not None:
            raise self.error

    def finish(self, trailers: list[tuple[str, str]] | None = None) -> int:
        """End the body (zero-length chunk, trailers), wait for the Runtime API's answer.

        Returns the status (202 when accepted). Raises :class:`RuntimeAPIError` when the
        connection is lost.
        """
        self._finished = True
        try:
            if not self.sent_head:
                self._send_inline([self._open()])
            self._drain()
            if self.error is not None:
                raise self.error
            sock = self._sock
            assert sock is not None
            self.state = advance(self.state, Step.END)
            try:
                _send_all(sock, [http1.last_chunk(trailers)])
                sock.settimeout(self._timeout())
                response = read_response(sock)
            except (OSError, http1.WireError) as exc:
                raise self._fail(exc) from exc
            return response.status
        finally:
            self.close()

    def close(self) -> None:
        """Stop the writer thread and close the connection (the stream is over or abandoned)."""
        self._finished = True
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
        self._queue.clear()

    # -- I/O -------------------------------------------------------------------------

    def _open(self) -> bytes:
        """Return the request head and take the connection; nothing is sent yet."""
        assert self.content_type is not None
        state = advance(self.state, Step.RESPOND)  # raises if the response was sent already
        head = self._api.head(  # raises WireError for a content type that breaks framing
            "POST",
            response_path(self.request_id),
            [
                ("Content-Type", self.content_type),
                (RESPONSE_MODE, STREAMING),
                ("Transfer-Encoding", "chunked"),
                ("Trailer", STREAM_TRAILERS),
            ],
        )
        try:
            self._sock = self._api.take_connection()
            self._sock.settimeout(self._timeout())
        except OSError as exc:
            raise self._fail(exc) from exc
        self.state = state
        return head

    def _timeout(self) -> float:
        """Seconds until the invocation's deadline (plus a second; at least a second)."""
        return max(self._deadline_ms / 1000 - time.time(), 0.0) + 1.0

    def _finished_error(self) -> RuntimeError:
        return RuntimeError(
            f"the response to {self.request_id} is finished (its handler returned): "
            "a write from a thread left running cannot be delivered"
        )

    def _fail(self, exc: BaseException) -> RuntimeAPIError:
        error = RuntimeAPIError(f"streaming response {self.request_id}: connection lost: {exc}")
        error.__cause__ = exc
        self.error = error
        return error

    def _send_inline(self, parts: list[Part]) -> None:
        assert self._sock is not None
        try:
            _send_all(self._sock, parts)
        except OSError as exc:
            raise self._fail(exc) from exc

    def _drain(self) -> None:
        """Wait until the writer has sent everything queued."""
        with self._cond:
            while self._sent != self._added and self.error is None:
                self._cond.wait()

    def _run_writer(self) -> None:
        sock = self._sock
        assert sock is not None
        cond = self._cond
        queue = self._queue
        while True:
            with cond:
                while True:
                    # Set before looking at the queue: a write appends, then reads this, so
                    # either we see its token or it sees us idle and notifies.
                    if not self._idle:
                        self._idle, self._idle_since = True, time.monotonic()
                    if queue or self._stopping:
                        break
                    cond.wait()
                self._idle = False
                if self._stopping:  # finish() drained the queue first; else it is abandoned
                    return
                batch = queue[:]
                del queue[: len(batch)]  # not clear(): a token may have been appended since
                self._busy = True
            size = sum(map(len, batch))
            try:
                _send_all(sock, batch)
            except OSError as exc:
                with cond:
                    self._fail(exc)
                    self._busy = False
                    cond.notify_all()
                return
            with cond:
                # The peak is reached just before a batch's bytes are counted out.
                self.peak_pending = max(self.peak_pending, self._added - self._sent)
                self._sent += size
                self._busy = False
                cond.notify_all()
