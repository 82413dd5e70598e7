"""The response driver: one call of a decorated handler, its body driven into a sink.

A response is *pending* until its first bytes go to the sink, *streaming* from
then on, and *ended* when the handler returns or fails mid-stream
(:data:`TRANSITIONS`). Streamed and buffered answers take the same path: without
an attached sink, the body goes into a :class:`~bedrock_stream._buffer.BufferSink`,
which turns it into the buffered answer at the end. Heartbeats wrap the sink in a
:class:`~bedrock_stream._heartbeat.HeartbeatSink`. What a failure becomes is
decided by :mod:`bedrock_stream._failure`.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from bedrock_stream._encoders import DEFAULT_CONTENT_TYPE
from bedrock_stream.errors import LocalProtocolError, MidStreamError
from bedrock_stream.http_integration import CONTENT_TYPE as HTTP_INTEGRATION
from bedrock_stream.proxy import http_method, payload_version
from bedrock_stream.response import PayloadVersion, ResponseHead, StreamingResponse
from bedrock_stream.sink import ResponseSink, current_sink

if TYPE_CHECKING:
    from bedrock_stream._buffer import BufferSink
    from bedrock_stream._heartbeat import HeartbeatSink
    from bedrock_stream.handler import HandlerOptions

__all__ = ["TRANSITIONS", "ResponseDriver", "ResponseState", "ResponseStateError"]


class ResponseState(enum.Enum):
    """Where a response is: nothing sent, its head sent, or over."""

    PENDING = "pending"
    STREAMING = "streaming"
    ENDED = "ended"


TRANSITIONS: Mapping[ResponseState, frozenset[ResponseState]] = {
    ResponseState.PENDING: frozenset({ResponseState.STREAMING}),
    # Back to pending only from a buffer, which has delivered nothing: a failure
    # then answers with the error response alone.
    ResponseState.STREAMING: frozenset({ResponseState.ENDED, ResponseState.PENDING}),
    ResponseState.ENDED: frozenset(),
}
"""The states a response may move to from each state."""


class ResponseStateError(LocalProtocolError, RuntimeError):
    """A response was asked to move to a state it cannot reach from its own."""


class ResponseDriver:
    """Drive one call of a decorated handler: call it, drain its body, answer."""

    def __init__(self, options: HandlerOptions, event: Any, context: Any) -> None:
        self.options = options
        self.event = event
        self.context = context
        self.request_id = str(getattr(context, "aws_request_id", "") or "")
        self.version: PayloadVersion | None = payload_version(event)
        if options.http is not None and options.http != (self.version is not None):
            self.version = "1.0" if options.http else None
        self.buffer: BufferSink | None = None
        sink = current_sink()
        if sink is None:
            # Imported here, as the heartbeat and error modules are: a streamed answer never
            # needs them, and every module on the cold path costs each new sandbox its load.
            from bedrock_stream._buffer import BufferSink

            sink = self.buffer = BufferSink()
        self.sink: ResponseSink = sink
        self.head = ResponseHead(options.status_code)
        self.state = ResponseState.PENDING
        self.error_event: Callable[[Exception], bytes] | None = None

    # -- entry point ------------------------------------------------------------

    def run(self, func: Callable[..., Any]) -> Any:
        """Call ``func`` and answer: ``None`` once streamed, the buffered answer otherwise."""
        cors = self.options.cors
        if cors is not None and self.version is not None and http_method(self.event) == "OPTIONS":
            self.head = ResponseHead(204, cors.headers(preflight=True))
            return self._end()
        try:
            body = self._call(func)
        except Exception as exc:
            self._fail(exc)
            return self._end()
        try:
            heartbeats = self._open_early()
        except BaseException:
            _close(body)  # the head could not go out: the body's cleanup runs now
            raise
        try:
            if hasattr(body, "__anext__"):
                from bedrock_stream import _aio

                _aio.run(self._apump(body))
            else:
                self._pump(body)
        finally:
            if heartbeats is not None:
                heartbeats.close()
        return self._end()

    def _call(self, func: Callable[..., Any]) -> Any:
        """Call the function; return its body as an iterator or an async iterator."""
        result = func(self.event, self.context)
        if hasattr(result, "__await__"):
            from bedrock_stream import _aio

            result = _aio.run(result)
        response = result if isinstance(result, StreamingResponse) else None
        self.head = self.options.head(response)
        self.error_event = response.error_event if response is not None else None
        self.head.to_prelude(self.version or "1.0")  # validate per-request metadata now
        body: Any = response.body if response is not None else result
        if hasattr(body, "__aiter__"):
            return body.__aiter__()
        if not hasattr(body, "__iter__"):
            raise TypeError(
                f"a streaming handler must return an iterable, not {type(body).__name__}"
            )
        if isinstance(body, (str, bytes, bytearray, memoryview)):
            return iter([body])
        return iter(body)

    def _open_early(self) -> HeartbeatSink | None:
        """Send a streamed response's head at once where asked: with heartbeats, or eagerly.

        Heartbeats (SSE) wrap the sink, and are returned to be stopped at the end.
        """
        if self.buffer is not None:
            return None
        heartbeats = None
        if self.options.heartbeat > 0:
            from bedrock_stream._heartbeat import HeartbeatSink

            heartbeats = HeartbeatSink(self.sink, self.options.heartbeat)
            self.sink = heartbeats
        if heartbeats is not None or self.options.eager_head:
            self._open()
        return heartbeats

    # -- the body ------------------------------------------------------------------

    def _pump(self, body: Iterator[Any]) -> None:
        """Encode and write every chunk of a sync ``body``: the hot loop of a stream.

        Bytes skip the encoder, and once the first chunk has opened the response,
        chunks go straight to the sink's write. :meth:`_apump` is the same loop for
        an async body; each runs its own loop so that neither pays for the other
        per chunk.
        """
        encode, direct, write = self._writers()
        try:
            while True:
                try:
                    chunk = next(body)  # the builtin: faster than a bound __next__
                    data = chunk if type(chunk) is bytes else encode(chunk)
                except StopIteration:
                    return
                except Exception as exc:
                    self._fail(exc)
                    return
                if data:
                    write(data)
                    write = direct
        finally:
            # Close the body whatever happened (a sink failure included), so its
            # finally blocks run now, not at garbage collection.
            close = getattr(body, "close", None)
            if close is not None:
                close()

    async def _apump(self, body: AsyncIterator[Any]) -> None:
        """:meth:`_pump` for an async ``body``."""
        encode, direct, write = self._writers()
        anext = body.__anext__
        try:
            while True:
                try:
                    chunk = await anext()
                    data = chunk if type(chunk) is bytes else encode(chunk)
                except StopAsyncIteration:
                    return
                except Exception as exc:
                    self._fail(exc)
                    return
                if data:
                    write(data)
                    write = direct
        finally:
            aclose = getattr(body, "aclose", None)
            if aclose is not None:
                await aclose()

    def _writers(
        self,
    ) -> tuple[Callable[[Any], bytes], Callable[..., None], Callable[..., None]]:
        """Return the encoder, the sink's write, and the write for the next chunk."""
        direct = self.sink.write
        write = self._open if self.state is ResponseState.PENDING else direct
        return self.options.encode, direct, write

    # -- output ----------------------------------------------------------------------

    def _move(self, state: ResponseState) -> None:
        if state not in TRANSITIONS[self.state]:
            raise ResponseStateError(f"a {self.state.value} response cannot become {state.value}")
        self.state = state

    def _open(self, *first: bytes) -> None:
        """Start the sink's response: content type, prelude (HTTP), first chunk."""
        self._move(ResponseState.STREAMING)
        if self.version is None:
            self.sink.start(self.head.content_type() or DEFAULT_CONTENT_TYPE)
            if first:
                self.sink.write(*first)
        else:
            self.sink.start(HTTP_INTEGRATION)
            self.sink.write(self.head.to_prelude(self.version).encode(), *first)

    def _end(self) -> Any:
        if self.state is ResponseState.PENDING:
            self._open()  # an empty body still answers: a head, or an empty stream
        self._move(ResponseState.ENDED)
        return None if self.buffer is None else self.buffer.response(self.head, self.version)

    def _fail(self, exc: Exception) -> None:
        """Apply the error policy to a failure of the handler's function or body.

        Never called for a failure of the sink: that propagates unchanged.
        """
        from bedrock_stream import _failure

        delivered = self.state is ResponseState.STREAMING and self.buffer is None
        outcome = _failure.outcome(delivered=delivered, http=self.version is not None)
        if outcome is _failure.Outcome.MID_STREAM:
            event = _failure.in_band_error(exc, self.head, self.request_id, self.error_event)
            if event:
                self.sink.write(event)
            self._move(ResponseState.ENDED)
            raise MidStreamError(exc) from exc
        if outcome is _failure.Outcome.PROPAGATE:
            raise exc
        if self.buffer is not None and self.state is ResponseState.STREAMING:
            self.buffer.discard()
            self._move(ResponseState.PENDING)
        self.head, body = _failure.error_response(exc, self.request_id, self.options.cors)
        self._open(body)


def _close(body: Any) -> None:
    """Close a body that will not be pumped (``aclose`` on this thread's loop, or ``close``)."""
    aclose = getattr(body, "aclose", None)
    if aclose is not None:
        from bedrock_stream import _aio

        _aio.run(aclose())
    elif (close := getattr(body, "close", None)) is not None:
        close()
