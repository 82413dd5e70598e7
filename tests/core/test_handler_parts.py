"""The parts @streaming_handler is built from: encoders, response states, heartbeats, buffer."""

from __future__ import annotations

import threading
import typing
from collections.abc import Iterator
from typing import Any

import pytest

from bedrock_stream import streaming_handler
from bedrock_stream._buffer import BufferSink
from bedrock_stream._driver import TRANSITIONS, ResponseDriver, ResponseState, ResponseStateError
from bedrock_stream._encoders import FORMATS, Format
from bedrock_stream._failure import Outcome, outcome
from bedrock_stream._heartbeat import HeartbeatSink
from bedrock_stream.handler import HandlerOptions
from bedrock_stream.http_integration import CONTENT_TYPE as HTTP_INTEGRATION
from bedrock_stream.response import ResponseHead
from bedrock_stream.sink import attach_sink, detach_sink
from bedrock_stream.sse import HEARTBEAT
from bedrock_stream.testing import LambdaContextStub, MemorySink


def test_every_format_has_an_encoder_and_bytes_pass_through_each() -> None:
    assert set(FORMATS) == {None, *typing.get_args(Format)}
    for body_format in FORMATS.values():
        chunk = b"as is"
        assert body_format.encode(chunk) is chunk
        assert body_format.encode(bytearray(b"copy")) == b"copy"


def test_every_state_has_a_row_and_an_ended_response_goes_nowhere() -> None:
    assert set(TRANSITIONS) == set(ResponseState)
    assert TRANSITIONS[ResponseState.ENDED] == frozenset()
    options = HandlerOptions(200, "text/plain", [], [], None, FORMATS[None].encode, None, 0.0)
    driver = ResponseDriver(options, {}, None)
    driver._move(ResponseState.STREAMING)
    driver._move(ResponseState.ENDED)
    with pytest.raises(ResponseStateError, match="ended response cannot become streaming"):
        driver._move(ResponseState.STREAMING)


def test_the_error_policy_table() -> None:
    assert outcome(delivered=True, http=True) is Outcome.MID_STREAM
    assert outcome(delivered=True, http=False) is Outcome.MID_STREAM
    assert outcome(delivered=False, http=True) is Outcome.ERROR_RESPONSE
    assert outcome(delivered=False, http=False) is Outcome.PROPAGATE


def test_buffer_sink_answers_from_the_head_and_drops_its_prelude() -> None:
    buffer = BufferSink()
    head = ResponseHead(201, [("Content-Type", "text/plain")])
    buffer.start(HTTP_INTEGRATION)
    buffer.write(b"prelude\0\0\0\0\0\0\0\0", b"a")
    buffer.write(b"b")
    assert buffer.response(head, "2.0") == {
        "statusCode": 201,
        "headers": {"Content-Type": "text/plain"},
        "body": "ab",
        "isBase64Encoded": False,
    }
    buffer.discard()
    buffer.start("text/plain")
    buffer.write(b"raw")
    assert buffer.response(head, None) == b"raw"


class SignallingSink(MemorySink):
    def __init__(self) -> None:
        super().__init__()
        self.wrote = threading.Event()

    def write(self, *chunks: bytes) -> None:
        super().write(*chunks)
        self.wrote.set()


def test_heartbeats_start_with_a_raw_stream_and_after_the_prelude_of_an_http_one() -> None:
    raw = SignallingSink()
    heartbeats = HeartbeatSink(raw, 0.01)
    heartbeats.start("text/event-stream")
    assert raw.wrote.wait(30), "a raw stream has no prelude to wait for"
    heartbeats.close()
    assert raw.data.startswith(HEARTBEAT)

    http = SignallingSink()
    heartbeats = HeartbeatSink(http, 0.01)
    heartbeats.start(HTTP_INTEGRATION)
    assert not http.wrote.wait(0.05), "nothing before the prelude"
    heartbeats.write(b"prelude")
    http.wrote.clear()
    assert http.wrote.wait(30)
    heartbeats.close()
    assert http.data.startswith(b"prelude" + HEARTBEAT)


def test_a_raw_sse_stream_gets_heartbeats_before_its_first_event() -> None:
    sink = SignallingSink()

    @streaming_handler(format="sse", heartbeat=0.01)
    def handler(event: Any, context: Any) -> Iterator[str]:
        assert sink.wrote.wait(30), "a heartbeat while the model is still silent"
        yield "token"

    token = attach_sink(sink)
    try:
        handler({}, LambdaContextStub())
    finally:
        detach_sink(token)
    assert sink.data.startswith(HEARTBEAT) and sink.data.endswith(b"data: token\n\n")
