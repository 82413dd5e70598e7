"""Names handler.py held before its split still import from it, as the same objects."""

from __future__ import annotations

from bedrock_stream import _encoders, handler, sse


def test_moved_constants_are_the_new_objects() -> None:
    assert handler.DEFAULT_CONTENT_TYPE is _encoders.DEFAULT_CONTENT_TYPE
    assert handler.HEARTBEAT is sse.HEARTBEAT
    assert handler.Format is _encoders.Format
    assert handler.streaming_handler.__module__ == "bedrock_stream.handler"
