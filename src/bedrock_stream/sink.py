"""The seam between a streaming handler and whatever carries its bytes.

A *sink* receives the bytes of one invocation's response as they are produced.
The streaming runtime attaches one to every invocation before it calls the
handler; tests attach an in-memory one. Without a sink, a
:func:`~bedrock_stream.streaming_handler` drains its body and returns a buffered
API Gateway proxy response instead. Any other transport (a runtime's own response
stream, say) needs only a sink of its own: the handler does not change.

Contract (the runtime depends on it):

* :meth:`ResponseSink.start` is called exactly once, before the first
  :meth:`~ResponseSink.write`, with the response's content type:
  :data:`~bedrock_stream.http_integration.CONTENT_TYPE` when the body begins
  with an HTTP integration prelude, or the handler's own type for a raw stream.
  A handler that never calls ``start`` did not stream: the runtime reports its
  return value as a buffered response.
* :meth:`ResponseSink.write` is given one or more ``bytes`` objects which go
  out in order and, where the transport allows, in one write (the prelude and
  the first chunk travel together). The objects are never mutated afterwards,
  so a sink may keep references to them instead of copying. ``write`` may block
  to apply backpressure, and raises (any exception) when the stream can no
  longer be delivered; the handler then closes its body iterator.
* Calls are serialized: never concurrent, though heartbeats may come from a
  helper thread.
* The end of the stream is the handler returning. A handler that fails after
  ``start`` raises :class:`~bedrock_stream.errors.MidStreamError`, which the
  runtime turns into error trailers.
"""

from __future__ import annotations

from contextvars import ContextVar

TYPE_CHECKING = False  # the runtime's cold path imports this module: keep typing out of it
if TYPE_CHECKING:
    from typing import Protocol
else:
    Protocol = object

__all__ = ["ResponseSink", "attach_sink", "current_sink", "detach_sink"]


class ResponseSink(Protocol):
    """Where a streaming handler writes its response bytes."""

    def start(self, content_type: str) -> None:
        """Begin the response with ``content_type``; called once, before any write."""

    def write(self, *chunks: bytes) -> None:
        """Send ``chunks`` in order; may block for backpressure."""


_current: ContextVar[ResponseSink | None] = ContextVar("bedrock_stream_sink", default=None)
"""The sink of the invocation running in this context."""


def current_sink() -> ResponseSink | None:
    """Return the sink attached to the running invocation, if any."""
    return _current.get()


def attach_sink(sink: ResponseSink | None) -> object:
    """Attach ``sink`` to the current context; returns a token for :func:`detach_sink`."""
    return _current.set(sink)


def detach_sink(token: object) -> None:
    """Restore the sink that was attached before the matching :func:`attach_sink`."""
    _current.reset(token)  # type: ignore[arg-type]
