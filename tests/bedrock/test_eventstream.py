"""The event-stream encoder against botocore's decoder and the recorded bytes."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from bedrock_replay import load_recording, recordings
from botocore.eventstream import EventStreamBuffer
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_stream.bedrock.eventstream import (
    HeaderValue,
    Int8,
    Int16,
    Int32,
    Int64,
    Timestamp,
    encode_message,
)
from eventstream_strategies import messages

STREAMS = recordings("InvokeModelWithResponseStream", "ConverseStream")


def _decode(data: bytes, cuts: list[int]) -> list[Any]:
    buffer = EventStreamBuffer()
    messages: list[Any] = []
    start = 0
    for cut in [*sorted(cuts), len(data)]:
        buffer.add_data(data[start:cut])
        messages.extend(buffer)
        start = cut
    return messages


def test_reencoding_every_recording_reproduces_its_bytes() -> None:
    checked = 0
    for name in STREAMS:
        fixture = load_recording(name)
        if not fixture["frames"]:
            continue
        body = base64.b64decode(fixture["body_base64"])
        messages = _decode(body, [])
        assert len(messages) == len(fixture["frames"])
        assert b"".join(encode_message(m.headers, m.payload) for m in messages) == body
        checked += 1
    assert checked == 120


def _expected(value: HeaderValue) -> Any:
    if isinstance(value, (Int8, Int16, Int32, Int64)):
        return value.value
    if isinstance(value, Timestamp):
        return value.millis
    if isinstance(value, uuid.UUID):
        return value.bytes
    return value


messages_st = messages(st.integers(-(2**63), 2**63 - 1))


@settings(max_examples=150, deadline=None)
@given(messages=messages_st, data=st.data())
def test_round_trip_through_botocore_under_any_split(
    messages: list[tuple[dict[str, HeaderValue], bytes]], data: st.DataObject
) -> None:
    stream = b"".join(encode_message(headers, payload) for headers, payload in messages)
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=8))
    decoded = _decode(stream, cuts)
    assert [(m.headers, m.payload) for m in decoded] == [
        ({k: _expected(v) for k, v in headers.items()}, payload) for headers, payload in messages
    ]
