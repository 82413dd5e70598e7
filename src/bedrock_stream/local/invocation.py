"""One invocation of the local Runtime API: the events its runtime produces, and their rules.

The invoker sees an invocation as events, in order::

    ResponseStarted(content_type, headers)    # /response began (streaming or buffered)
    BodyChunk(data, arrived)                  # zero or more, each the moment it arrived
    Trailers(headers)                         # the runtime's trailers, if any
    InvocationError(error_type, body)         # /error, a trailer error, or a framing fault
    Done(status)                              # "success" or "failure"

Rules an :class:`InvocationRecord` enforces, whoever emits: nothing is recorded after
``Done``; after :meth:`InvocationRecord.detach` body chunks, waiting or to come, are
dropped. Its :attr:`~InvocationRecord.state` moves along the protocol's table
(:data:`~bedrock_stream.protocol.runtime_api.TRANSITIONS`), an invalid step raising
:class:`~bedrock_stream.protocol.runtime_api.InvalidStateTransition`.

A streamed response is not buffered whole: at most :data:`STREAM_BUFFER` (1 MiB) of its
body waits in the record for the invoker; the Runtime API then stops reading the runtime's
connection (:meth:`InvocationRecord.wait_for_room`) until the invoker takes chunks.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from typing import Any, NamedTuple

from bedrock_stream.protocol.runtime_api import (
    InvocationState,
    NextInvocation,
    Step,
    advance,
    encode_next,
)

__all__ = [
    "STREAM_BUFFER",
    "TRUNCATED_RESPONSE",
    "BodyChunk",
    "Done",
    "Event",
    "InitError",
    "InvocationError",
    "InvocationRecord",
    "ResponseStarted",
    "Result",
    "Trailers",
]

STREAM_BUFFER = 1024 * 1024
"""Body bytes of a streamed invocation that may wait for the invoker (1 MiB).

Once that many are queued, ``/response`` reads no more of the runtime's body until the
invoker takes some: what a stalled client costs the stack is this, plus at most one read
(64 KiB), plus socket buffers (kernel memory), whatever the length of the stream. 1 MiB
is 16 reads of 64 KiB: enough that a reader keeping up never waits on the Runtime API.
"""

TRUNCATED_RESPONSE = "Runtime.TruncatedResponse"
"""The error of an invocation whose response connection broke mid-body (RAPID's name)."""


class ResponseStarted(NamedTuple):
    """The runtime began ``/response``; headers are lower-cased name/value pairs."""

    content_type: str
    headers: tuple[tuple[str, str], ...]
    streaming: bool


class BodyChunk(NamedTuple):
    """Response bytes as they arrived (``time.monotonic()``); not the runtime's chunking."""

    data: bytes
    arrived: float


class Trailers(NamedTuple):
    """Trailer fields of a chunked ``/response``; lower-cased names."""

    headers: tuple[tuple[str, str], ...]


class InvocationError(NamedTuple):
    """An error: from ``/error``, from error trailers, or a fault found by the Runtime API."""

    error_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


class Done(NamedTuple):
    """The invocation ended: ``status`` is ``"success"`` or ``"failure"``."""

    status: str


Event = ResponseStarted | BodyChunk | Trailers | InvocationError | Done


class InitError(NamedTuple):
    """A ``/runtime/init/error`` report."""

    error_type: str
    body: bytes


class Result(NamedTuple):
    """An invocation's events folded together (see :meth:`InvocationRecord.result`)."""

    status: str
    content_type: str | None
    headers: dict[str, str]
    body: bytes
    trailers: dict[str, str]
    error_type: str | None
    error_body: bytes | None

    def error_json(self) -> Any:
        """Parse the error body as JSON (trailer bodies arrive base64-decoded already)."""
        if self.error_body is None:
            return None
        return json.loads(self.error_body)


class InvocationRecord:
    """The local Runtime API's record of one invocation: what ``/next`` delivers, and events.

    The events wait in a queue for the invoker. For a streamed invocation that queue is
    bounded: once ``stream_buffer`` body bytes (:data:`STREAM_BUFFER`, 1 MiB, by default)
    wait in it, the Runtime API stops reading the response (:meth:`wait_for_room`) until
    the invoker takes a chunk, so it holds at most that plus one read whatever the
    length of the stream. Other events are never held back, and a buffered invocation's
    body is bounded by its cap alone.

    An invoker that stops taking events must :meth:`detach`, or the function waits for
    it (in the local Lambda service, until its timeout). Body chunks taken with
    ``keep=False`` are not retained.
    """

    def __init__(
        self,
        payload: bytes,
        *,
        request_id: str,
        deadline_ms: int,
        function_arn: str,
        trace_id: str,
        streaming: bool,
        client_context: str | None,
        cognito_identity: str | None,
        tenant_id: str | None,
        stream_buffer: int = STREAM_BUFFER,
    ) -> None:
        self.payload = payload
        self.request_id = request_id
        self.deadline_ms = deadline_ms
        self.function_arn = function_arn
        self.trace_id = trace_id
        self.streaming = streaming
        self.client_context = client_context
        self.cognito_identity = cognito_identity
        self.tenant_id = tenant_id
        self.stream_buffer = stream_buffer
        """Body bytes of a streamed response that may wait for the invoker."""
        self.state = InvocationState.QUEUED
        """Where the invocation is; moved on by :meth:`step` only."""
        self._pending: deque[Event] = deque()  # emitted, not yet taken
        self._buffered = 0  # body bytes in _pending
        self._changed = threading.Condition()  # guards the above and the flags below
        self._abandoned = False  # detach() was called
        self._released = False  # the server no longer waits for room
        self._finished = False  # Done was emitted
        self._seen: list[Event] = []

    def next_headers(self) -> list[tuple[str, str]]:
        """Return the ``/next`` response headers for this invocation."""
        return encode_next(
            NextInvocation(
                request_id=self.request_id,
                deadline_ms=self.deadline_ms,
                function_arn=self.function_arn,
                trace_id=self.trace_id,
                client_context=self.client_context,
                cognito_identity=self.cognito_identity,
                tenant_id=self.tenant_id,
                content_type="application/json",
                body=self.payload,
            )
        )

    def step(self, step: Step) -> None:
        """Move :attr:`state` on by ``step`` (used by the server, under its lock).

        Raises:
            InvalidStateTransition: the protocol's table has no such move.
        """
        self.state = advance(self.state, step)

    @property
    def ended(self) -> bool:
        """Whether ``Done`` has been emitted."""
        return self._finished

    def wait_ended(self, timeout: float | None) -> bool:
        """Wait up to ``timeout`` seconds for ``Done``; return whether it came."""
        with self._changed:
            return self._changed.wait_for(lambda: self._finished, timeout)

    @property
    def buffered_bytes(self) -> int:
        """Body bytes emitted and not yet taken by the invoker."""
        return self._buffered

    @property
    def detached(self) -> bool:
        """Whether :meth:`detach` was called."""
        return self._abandoned

    def detach(self) -> None:
        """Say the invoker went away: body chunks, waiting or to come, are dropped.

        A response waiting for room goes on, so that the function can finish. A subclass
        that overrides this calls it.
        """
        with self._changed:
            self._abandoned = True
            self._drop_body()

    def emit(self, event: Event) -> None:
        """Record an event for the invoker; never waits.

        Ignored once ``Done`` was recorded; a body chunk is dropped once detached.
        """
        with self._changed:
            if self._finished:
                return
            if isinstance(event, BodyChunk):
                if self._abandoned:
                    return
                self._buffered += len(event.data)
            elif isinstance(event, Done):
                self._finished = True
            self._pending.append(event)
            self._changed.notify_all()

    def wait_for_room(self) -> None:
        """Wait while :attr:`stream_buffer` body bytes wait for the invoker (used by the server).

        Returns at once for a buffered invocation, and as soon as the invocation no longer
        takes body bytes: detached, ended, or released by the server that is closing.
        """
        if not self.streaming:
            return
        with self._changed:
            while self._buffered >= self.stream_buffer:
                if self._released or self._finished:
                    return
                self._changed.wait()  # detach() empties the buffer and wakes us

    def release(self) -> None:
        """Stop :meth:`wait_for_room` from waiting, now and later (the server is closing)."""
        with self._changed:
            self._released = True
            self._changed.notify_all()

    def _drop_body(self) -> None:
        """Drop the body chunks not yet taken, keeping the other events (lock held)."""
        if self._buffered:
            self._pending = deque(e for e in self._pending if not isinstance(e, BodyChunk))
            self._buffered = 0
        self._changed.notify_all()

    def next_event(self, timeout: float | None = None, *, keep: bool = True) -> Event:
        """Return the next event not yet taken; ``keep=False`` does not retain a body chunk.

        Taking a body chunk makes room for the response to be read on.

        Raises:
            TimeoutError: no event came within ``timeout`` seconds.
        """
        with self._changed:
            if not self._changed.wait_for(lambda: self._pending, timeout):
                raise TimeoutError(f"invocation {self.request_id}: no event")
            event = self._pending.popleft()
            if isinstance(event, BodyChunk):
                self._buffered -= len(event.data)
                self._changed.notify_all()
        if keep or not isinstance(event, BodyChunk):
            self._seen.append(event)
        return event

    def events(self, timeout: float | None = None, *, keep: bool = True) -> Iterator[Event]:
        """Yield every event, the ones already taken first, ending with :class:`Done`.

        With ``keep=False`` body chunks are not retained for :meth:`result` (long streams).

        Raises:
            TimeoutError: no event came within ``timeout`` seconds.
        """
        yield from list(self._seen)
        if self._seen and isinstance(self._seen[-1], Done):
            return
        while True:
            event = self.next_event(timeout, keep=keep)
            yield event
            if isinstance(event, Done):
                return

    def result(self, timeout: float | None = None) -> Result:
        """Wait for the end of the invocation and fold its events together."""
        content_type: str | None = None
        headers: dict[str, str] = {}
        body: list[bytes] = []
        trailers: dict[str, str] = {}
        error_type: str | None = None
        error_body: bytes | None = None
        status = "failure"
        for event in self.events(timeout):
            if isinstance(event, ResponseStarted):
                content_type = event.content_type
                headers = dict(event.headers)
            elif isinstance(event, BodyChunk):
                body.append(event.data)
            elif isinstance(event, Trailers):
                trailers = dict(event.headers)
            elif isinstance(event, InvocationError):
                error_type, error_body = event.error_type, event.body
                headers = headers or dict(event.headers)
            else:
                status = event.status
        return Result(
            status, content_type, headers, b"".join(body), trailers, error_type, error_body
        )
