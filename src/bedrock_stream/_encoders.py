"""Chunk encoders: what a handler yields, turned into the bytes of its body.

A handler's ``format`` picks one row of :data:`FORMATS` when it is decorated, so
the chunk loop calls one encoder and never branches on the format. ``bytes``
chunks pass through every encoder unchanged (the chunk loop skips the call for
them); ``bytearray`` and ``memoryview`` chunks are copied, because the caller
may reuse its buffer once the chunk is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal, NamedTuple

from bedrock_stream import ndjson, sse

__all__ = ["DEFAULT_CONTENT_TYPE", "FORMATS", "BodyFormat", "Format"]

Format = Literal["sse", "ndjson"]
"""The structured body formats a handler may ask for; ``None`` is plain text or bytes."""

DEFAULT_CONTENT_TYPE = "text/plain; charset=utf-8"


class BodyFormat(NamedTuple):
    """A body format: its default content type and its chunk encoder."""

    content_type: str
    encode: Callable[[object], bytes]
    """Encode one chunk; raises ``TypeError`` for a chunk the format cannot carry."""


def _binary(chunk: object) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)  # a snapshot: the caller may reuse its buffer
    raise TypeError(
        f"a streaming handler's chunks must be str, bytes, bytearray or memoryview, "
        f"not {type(chunk).__name__}"
    )


def _text(chunk: object) -> bytes:
    return chunk.encode() if isinstance(chunk, str) else _binary(chunk)


def _sse(chunk: object) -> bytes:
    if isinstance(chunk, str):
        return sse.encode_event(chunk)
    if isinstance(chunk, sse.SSEEvent):
        return chunk.encode()
    return _binary(chunk)


def _ndjson(chunk: object) -> bytes:
    if isinstance(chunk, (bytes, bytearray, memoryview)):
        return _binary(chunk)
    return ndjson.encode_line(chunk)


FORMATS: Mapping[Format | None, BodyFormat] = {
    None: BodyFormat(DEFAULT_CONTENT_TYPE, _text),
    "sse": BodyFormat(sse.CONTENT_TYPE, _sse),
    "ndjson": BodyFormat(ndjson.CONTENT_TYPE, _ndjson),
}
"""Every body format, by the ``format`` option that selects it."""
