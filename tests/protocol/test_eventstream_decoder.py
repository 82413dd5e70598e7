"""The event-stream decoder reads back what the encoder writes, split anywhere, and names faults."""

from __future__ import annotations

import struct
import uuid
import zlib
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_stream.errors import RemoteProtocolError
from bedrock_stream.protocol.eventstream import (
    MAX_HEADERS_LENGTH,
    MAX_PAYLOAD_LENGTH,
    DuplicateHeaderError,
    EventStreamDecodeError,
    EventStreamDecoder,
    EventStreamMessage,
    HeaderError,
    HeadersLengthError,
    HeaderTypeError,
    HeaderValue,
    Int8,
    Int16,
    Int32,
    Int64,
    MessageChecksumError,
    MessageLengthError,
    PayloadLengthError,
    PreludeChecksumError,
    Timestamp,
    TruncatedStreamError,
    encode_message,
)
from eventstream_strategies import messages

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
FIRST_MS = (datetime.min.replace(tzinfo=timezone.utc) - EPOCH) // timedelta(milliseconds=1)
LAST_MS = (datetime.max.replace(tzinfo=timezone.utc) - EPOCH) // timedelta(milliseconds=1)


def _decoded(value: HeaderValue) -> object:
    if isinstance(value, (Int8, Int16, Int32, Int64)):
        return value.value
    if isinstance(value, Timestamp):
        return EPOCH + timedelta(milliseconds=value.millis)
    return value


def _feed(stream: bytes, cuts: list[int]) -> list[EventStreamMessage]:
    decoder = EventStreamDecoder()
    messages: list[EventStreamMessage] = []
    start = 0
    for cut in [*sorted(cuts), len(stream)]:
        messages += decoder.feed(stream[start:cut])
        start = cut
    decoder.close()
    return messages


messages_st = messages(st.integers(FIRST_MS, LAST_MS))  # what a datetime can hold


@settings(max_examples=300, deadline=None)
@given(messages=messages_st, data=st.data())
def test_what_the_encoder_writes_decodes_back_under_any_split(
    messages: list[tuple[dict[str, HeaderValue], bytes]], data: st.DataObject
) -> None:
    stream = b"".join(encode_message(headers, payload) for headers, payload in messages)
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=12))
    decoded = _feed(stream, cuts)
    assert decoded == [
        EventStreamMessage({k: _decoded(v) for k, v in headers.items()}, payload)
        for headers, payload in messages
    ]
    for message, (headers, _) in zip(decoded, messages, strict=True):
        assert list(message.headers) == list(headers)  # wire order
        assert [type(v) for v in message.headers.values()] == [
            type(_decoded(v)) for v in headers.values()
        ]


def test_a_message_comes_out_as_soon_as_its_last_byte_is_fed() -> None:
    frame = encode_message({":event-type": "chunk"}, b"{}")
    decoder = EventStreamDecoder()
    assert [decoder.feed(frame[i : i + 1]) for i in range(len(frame) - 1)] == [[]] * (
        len(frame) - 1
    )
    assert decoder.feed(frame[-1:]) == [EventStreamMessage({":event-type": "chunk"}, b"{}")]
    decoder.close()


def test_the_values_are_botocores_types_with_datetime_and_uuid() -> None:
    key = uuid.uuid4()
    frame = encode_message(
        [("t", True), ("f", False), ("u", key), ("at", Timestamp(1_700_000_000_123))], b""
    )
    (message,) = EventStreamDecoder().feed(frame)
    assert message.headers == {
        "t": True,
        "f": False,
        "u": key,
        "at": datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=timezone.utc),
    }


def _frame(total: int, headers_length: int, rest: bytes = b"", *, crc: bool = True) -> bytes:
    """A frame whose fields say what the test needs, with CRCs that match unless told."""
    head = struct.pack(">II", total, headers_length)
    prelude = head + struct.pack(">I", zlib.crc32(head) ^ (0 if crc else 1))
    return prelude + rest + struct.pack(">I", zlib.crc32(prelude + rest))


def _block(*headers: bytes) -> bytes:
    return b"".join(headers)


def _header(name: bytes, kind: int, value: bytes = b"") -> bytes:
    return bytes([len(name)]) + name + bytes([kind]) + value


def _framed(block: bytes, payload: bytes = b"") -> bytes:
    return _frame(16 + len(block) + len(payload), len(block), block + payload)


FAULTS = [
    ("prelude-crc", _frame(16, 0, crc=False), PreludeChecksumError),
    ("message-crc", _framed(b"", b"x")[:-1] + b"?", MessageChecksumError),
    (
        "headers-over-limit",
        _frame(MAX_HEADERS_LENGTH + 17, MAX_HEADERS_LENGTH + 1),
        HeadersLengthError,
    ),
    ("payload-over-limit", _frame(MAX_PAYLOAD_LENGTH + 17, 0), PayloadLengthError),
    ("total-below-16", _frame(12, 0), MessageLengthError),
    ("headers-past-the-payload", _frame(20, 8, b"\x00" * 4), MessageLengthError),
    ("unknown-type", _framed(_header(b"a", 10)), HeaderTypeError),
    ("type-past-block", _framed(b"\x01a"), HeaderError),
    ("name-past-block", _framed(b"\x09ab"), HeaderError),
    ("int-past-block", _framed(_header(b"a", 4, b"\x00\x00")), HeaderError),
    ("string-past-block", _framed(_header(b"a", 7, b"\x00\x09abc")), HeaderError),
    ("uuid-past-block", _framed(_header(b"a", 9, b"\x00" * 15)), HeaderError),
    ("bad-utf8-name", _framed(_header(b"\xff", 0)), HeaderError),
    ("bad-utf8-value", _framed(_header(b"a", 7, b"\x00\x01\xff")), HeaderError),
    ("huge-timestamp", _framed(_header(b"a", 8, struct.pack(">q", 2**62))), HeaderError),
    ("duplicate", _framed(_block(_header(b"a", 0), _header(b"a", 1))), DuplicateHeaderError),
]


@pytest.mark.parametrize(("frame", "error"), [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS])
def test_each_fault_raises_its_own_class_under_any_split(
    frame: bytes, error: type[EventStreamDecodeError]
) -> None:
    for step in (1, 5, len(frame)):
        with pytest.raises(error) as caught:
            _feed(frame, list(range(step, len(frame), step)))
        assert isinstance(caught.value, RemoteProtocolError)
        assert isinstance(caught.value, ValueError)
        assert str(caught.value)


def test_an_oversized_length_fails_on_the_prelude_without_waiting_for_the_body() -> None:
    with pytest.raises(PayloadLengthError, match="over the limit"):
        EventStreamDecoder().feed(_frame(2**32 - 1, 0)[:12])


def test_a_fault_after_complete_messages_comes_on_the_next_call_and_stays() -> None:
    good = encode_message({"n": 1}, b"a")
    decoder = EventStreamDecoder()
    assert (
        decoder.feed(good + good + _frame(16, 0, crc=False))
        == [EventStreamMessage({"n": 1}, b"a")] * 2
    )
    with pytest.raises(PreludeChecksumError) as first:
        decoder.feed(good)
    with pytest.raises(PreludeChecksumError) as again:
        decoder.close()
    assert again.value is first.value


@pytest.mark.parametrize("cut", [1, 11, 12, 20])
def test_close_inside_a_message_is_truncation(cut: int) -> None:
    frame = encode_message({":message-type": "event"}, b"payload")
    decoder = EventStreamDecoder()
    assert decoder.feed(frame + frame[:cut]) == [
        EventStreamMessage({":message-type": "event"}, b"payload")
    ]
    with pytest.raises(TruncatedStreamError, match=f"{cut} bytes"):
        decoder.close()


def test_empty_feeds_an_empty_stream_and_the_smallest_message() -> None:
    decoder = EventStreamDecoder()
    assert decoder.feed(b"") == []
    assert decoder.feed(_frame(16, 0)) == [EventStreamMessage({}, b"")]
    assert decoder.feed(b"") == []
    decoder.close()
    EventStreamDecoder().close()


def test_a_repeated_header_block_gives_each_message_its_own_dict() -> None:
    frame = encode_message({":event-type": "chunk"}, b"1")
    first, second = EventStreamDecoder().feed(frame + frame)
    first.headers["mine"] = "changed"
    assert second.headers == {":event-type": "chunk"}
