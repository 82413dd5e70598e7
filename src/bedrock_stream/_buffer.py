"""Buffered answers: a sink that keeps the whole response, for a caller that cannot stream.

Without an attached sink (the standard Python runtime, ``sam local``, a unit
test), the decorator drains its body into a :class:`BufferSink`, through the
same path a streamed response takes, and returns what the buffer turns into:
an API Gateway proxy response for an HTTP event, the body's bytes otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bedrock_stream.http_integration import CONTENT_TYPE as HTTP_INTEGRATION
from bedrock_stream.proxy import proxy_response

if TYPE_CHECKING:
    from bedrock_stream.response import PayloadVersion, ResponseHead

__all__ = ["BufferSink"]


class BufferSink:
    """A :class:`~bedrock_stream.sink.ResponseSink` that keeps what it is given.

    Nothing it holds has reached a client, so :meth:`discard` may take it all
    back: a buffered failure answers with the error alone, never a partial body.
    """

    def __init__(self) -> None:
        self._content_type: str | None = None
        self._chunks: list[bytes] = []

    def start(self, content_type: str) -> None:
        """Record the response's content type."""
        self._content_type = content_type

    def write(self, *chunks: bytes) -> None:
        """Keep ``chunks`` (never mutated afterwards, by the sink contract: no copy)."""
        self._chunks += chunks

    def discard(self) -> None:
        """Forget everything started and written so far."""
        self._content_type = None
        self._chunks = []

    def response(self, head: ResponseHead, version: PayloadVersion | None) -> Any:
        """Return the buffered answer: the proxy response ``head`` describes, or the raw body.

        An HTTP integration response begins with its prelude, which ``head``
        was encoded into; the proxy response is built from ``head`` itself so
        no detail is lost to the prelude's encoding.
        """
        if self._content_type != HTTP_INTEGRATION or version is None:
            return b"".join(self._chunks)
        return proxy_response(head, b"".join(self._chunks[1:]), version)
