"""Test a streaming handler in-process, the way the streaming runtime calls it.

::

    from bedrock_stream.testing import invoke_streaming

    result = invoke_streaming(handler, {"message": "hi"})
    assert result.error is None
    assert result.body == b"Hello, world"

:func:`invoke_streaming` attaches a :class:`MemorySink` (as the runtime attaches
its network sink), calls ``handler(event, context)`` and returns what a client
would see: the prelude, the body, every write with its arrival time, and the
mid-stream error if the stream failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bedrock_stream.errors import MidStreamError
from bedrock_stream.http_integration import CONTENT_TYPE, Prelude, PreludeDecoder
from bedrock_stream.protocol.headers import joined_headers
from bedrock_stream.sink import attach_sink, detach_sink

__all__ = ["LambdaContextStub", "MemorySink", "StreamResult", "Write", "invoke_streaming"]


@dataclass(frozen=True)
class Write:
    """One ``sink.write`` call: its chunks and when it arrived (``time.monotonic()``)."""

    chunks: tuple[bytes, ...]
    at: float


class MemorySink:
    """A :class:`~bedrock_stream.sink.ResponseSink` that keeps everything in memory."""

    def __init__(self) -> None:
        self.content_type: str | None = None
        self.writes: list[Write] = []

    def start(self, content_type: str) -> None:
        """Record the content type; a second call is a protocol violation."""
        if self.content_type is not None:
            raise AssertionError("sink.start() called twice")
        self.content_type = content_type

    def write(self, *chunks: bytes) -> None:
        """Record ``chunks``; writing before :meth:`start` is a protocol violation."""
        if self.content_type is None:
            raise AssertionError("sink.write() called before sink.start()")
        self.writes.append(Write(chunks, time.monotonic()))

    @property
    def data(self) -> bytes:
        """Everything written, prelude included."""
        return b"".join(b"".join(w.chunks) for w in self.writes)


@dataclass
class LambdaContextStub:
    """A stand-in for the Lambda context object, with awslambdaric's attribute names."""

    aws_request_id: str = "00000000-0000-4000-8000-000000000000"
    function_name: str = "test-function"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    memory_limit_in_mb: int = 128
    log_group_name: str = "/aws/lambda/test-function"
    log_stream_name: str = "2026/01/01/[$LATEST]0123456789abcdef"
    identity: Any = None
    client_context: Any = None
    tenant_id: str | None = None
    remaining_time_in_millis: int = 300_000

    def get_remaining_time_in_millis(self) -> int:
        """Return the fixed :attr:`remaining_time_in_millis`."""
        return self.remaining_time_in_millis


@dataclass
class StreamResult:
    """What one streamed invocation produced."""

    content_type: str | None
    """The type given to ``sink.start``; None if the handler never started a stream."""
    prelude: Prelude | None
    """The decoded metadata of an HTTP integration response."""
    body: bytes
    """The body after the prelude (everything, for a raw stream)."""
    writes: list[Write] = field(default_factory=list)
    error: BaseException | None = None
    """The exception of a stream that failed after its first chunk."""
    returned: Any = None
    """The handler's return value (None for a handler that streamed)."""

    @property
    def status(self) -> int | None:
        """The prelude's status code (None for a raw stream or a handler that did not stream)."""
        return None if self.prelude is None else self.prelude.status_code

    @property
    def headers(self) -> dict[str, str]:
        """The prelude's header fields, lower-case names, repeated ones comma-joined."""
        return joined_headers(self.prelude.fields() if self.prelude is not None else ())


def invoke_streaming(
    handler: Callable[[Any, Any], Any], event: Any, context: Any = None
) -> StreamResult:
    """Call ``handler(event, context)`` with a :class:`MemorySink` attached.

    ``context`` defaults to a :class:`LambdaContextStub`. A
    :class:`~bedrock_stream.errors.MidStreamError` is caught and returned as
    :attr:`StreamResult.error` (the original exception); anything else the
    handler raises propagates.
    """
    sink = MemorySink()
    token = attach_sink(sink)
    error: BaseException | None = None
    returned: Any = None
    try:
        returned = handler(event, LambdaContextStub() if context is None else context)
    except MidStreamError as exc:
        error = exc.error
    finally:
        detach_sink(token)
    prelude: Prelude | None = None
    body = sink.data
    if sink.content_type == CONTENT_TYPE:
        decoder = PreludeDecoder()
        events = decoder.feed(body)
        decoder.close()
        prelude = decoder.prelude
        body = b"".join(e for e in events if isinstance(e, bytes))
    return StreamResult(sink.content_type, prelude, body, sink.writes, error, returned)
