"""Fuzz target: the event-stream decoder against botocore's ``EventStreamBuffer``, split anywhere.

Holds: fed the same pieces, ``EventStreamDecoder`` gives the messages botocore gives (values as
its buffer has them: timestamps in milliseconds, UUIDs as 16 bytes) and fails where botocore
fails, with the class ``ERRORS`` maps botocore's to; or it stops earlier with one of
``STRICTER``, at a frame botocore reads past a field of (a total length that cannot hold the
frame, a header name or value longer than the header block) or a timestamp no ``datetime``
holds. Either way its outcome is the same under every split.
"""

from __future__ import annotations

import struct
import uuid
from datetime import datetime, timedelta, timezone

from botocore.eventstream import (
    ChecksumMismatch,
    DuplicateHeader,
    EventStreamBuffer,
    InvalidHeadersLength,
    InvalidPayloadLength,
)

from bedrock_stream.protocol.eventstream import (
    DuplicateHeaderError,
    EventStreamDecodeError,
    EventStreamDecoder,
    HeaderError,
    HeadersLengthError,
    HeaderTypeError,
    MessageChecksumError,
    MessageLengthError,
    PayloadLengthError,
    PreludeChecksumError,
    TruncatedStreamError,
)


class BytesLeftOver(Exception):
    """botocore's outcome when its buffer holds part of a message at the end (it has no close)."""


# botocore's failure -> ours. Besides its ParserErrors, botocore lets Python's own errors out of
# a header block it cannot read.
ERRORS: dict[type[Exception], tuple[type[EventStreamDecodeError], ...]] = {
    ChecksumMismatch: (PreludeChecksumError, MessageChecksumError),
    InvalidHeadersLength: (HeadersLengthError,),
    InvalidPayloadLength: (PayloadLengthError,),
    DuplicateHeader: (DuplicateHeaderError,),
    KeyError: (HeaderTypeError,),  # a header type botocore has no unpacker for
    struct.error: (HeaderError,),  # a fixed-size field with too few bytes left
    UnicodeDecodeError: (HeaderError,),
    BytesLeftOver: (TruncatedStreamError,),
}
STRICTER = (MessageLengthError, HeaderError)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
Message = list[tuple[str, type, object]]  # header name, value type, value; then the payload


def _as_botocore(value: object) -> object:
    if isinstance(value, datetime):
        return (value - _EPOCH) // timedelta(milliseconds=1)
    if isinstance(value, uuid.UUID):
        return value.bytes
    return value


def _message(headers: dict[str, object], payload: bytes) -> Message:
    return [(k, type(v), v) for k, v in headers.items()] + [("", bytes, payload)]


def ours(pieces: list[bytes]) -> tuple[list[Message], Exception | None]:
    """Return our decoder's messages, in botocore's values, and its error."""
    decoder, found = EventStreamDecoder(), []
    try:
        for piece in pieces:
            for m in decoder.feed(piece):
                found.append(
                    _message({k: _as_botocore(v) for k, v in m.headers.items()}, m.payload)
                )
        decoder.close()
    except EventStreamDecodeError as exc:
        return found, exc
    return found, None


def botocores(pieces: list[bytes]) -> tuple[list[Message], Exception | None]:
    """Return botocore's messages and its error, truncation as :class:`BytesLeftOver`."""
    buffer, found = EventStreamBuffer(), []
    try:
        for piece in pieces:
            buffer.add_data(piece)
            for m in buffer:  # a loop, not a list: keep the messages before a failure
                found.append(_message(m.headers, m.payload))
    except Exception as exc:  # which class escapes is what is compared
        return found, exc
    return found, BytesLeftOver() if buffer._data else None


def pieces(data: bytes) -> list[bytes]:
    """Cut the stream in ``data`` (after its first byte) every ``data[0] + 1`` bytes."""
    step, stream = data[0] + 1, data[1:]
    return [stream[start : start + step] for start in range(0, len(stream), step)]


def test_one_input(data: bytes) -> None:
    """Feed ``data`` (its first byte chooses the split size) to both decoders."""
    if not data:
        return
    found, error = ours(pieces(data))
    theirs, their_error = botocores(pieces(data))
    assert theirs[: len(found)] == found
    whole, whole_error = ours([data[1:]])
    assert (whole, type(whole_error)) == (found, type(error))
    if error is None:
        assert (theirs, their_error) == (found, None)
    elif len(theirs) == len(found) and isinstance(error, ERRORS.get(type(their_error), ())):
        return  # the same fault at the same message
    else:
        assert isinstance(error, STRICTER), (error, their_error)
