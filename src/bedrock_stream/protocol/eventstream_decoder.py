"""The event-stream decoder: messages from ``application/vnd.amazon.eventstream`` bytes.

Sans-I/O and incremental, as botocore's ``EventStreamBuffer``: bytes split anywhere go in,
each message comes out once complete, with botocore's size limits and its order of checks
(prelude CRC, header and payload limits, message CRC, headers). Stricter than botocore where
it reads past a field: a total length too short for the prelude, headers and CRC, or a
header name or value longer than the header block, is an error here; so is a timestamp
outside :class:`~datetime.datetime`'s range (botocore's buffer gives milliseconds, its
parser a datetime). The names are also importable from
:mod:`bedrock_stream.protocol.eventstream`, beside the encoder.
"""

from __future__ import annotations

import struct
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bedrock_stream.errors import RemoteProtocolError

__all__ = [
    "MAX_HEADERS_LENGTH",
    "MAX_PAYLOAD_LENGTH",
    "DuplicateHeaderError",
    "EventStreamDecodeError",
    "EventStreamDecoder",
    "EventStreamMessage",
    "HeaderError",
    "HeaderTypeError",
    "HeadersLengthError",
    "MessageChecksumError",
    "MessageLengthError",
    "PayloadLengthError",
    "PreludeChecksumError",
    "TruncatedStreamError",
]

MAX_HEADERS_LENGTH = 128 * 1024
"""The largest header block botocore accepts, and so do we."""
MAX_PAYLOAD_LENGTH = 24 * 1024 * 1024
"""The largest payload botocore accepts, and so do we."""

_PRELUDE_CRC = struct.Struct(">III")
_UINT32 = struct.Struct(">I")
_UINT16 = struct.Struct(">H")
_INT64 = struct.Struct(">q")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# A stream repeats a few header blocks (Bedrock: one per event type): each decoder keeps the
# values of the first ones it parses, as all values are immutable.
_SEEN_BLOCKS, _SEEN_BLOCK_BYTES = 32, 1024


class EventStreamDecodeError(RemoteProtocolError, ValueError):
    """Bytes that are not a valid event stream; the subclass names the fault."""


class PreludeChecksumError(EventStreamDecodeError):
    """A prelude whose CRC32 does not match its two length fields."""


class MessageChecksumError(EventStreamDecodeError):
    """A message whose trailing CRC32 does not match its bytes."""


class HeadersLengthError(EventStreamDecodeError):
    """A prelude declaring a header block over :data:`MAX_HEADERS_LENGTH`."""


class PayloadLengthError(EventStreamDecodeError):
    """A prelude declaring a payload over :data:`MAX_PAYLOAD_LENGTH`."""


class MessageLengthError(EventStreamDecodeError):
    """A total length too short for the prelude, the header block and the message CRC."""


class HeaderError(EventStreamDecodeError):
    """A header block that does not parse (a field past its end, bad UTF-8, a huge timestamp)."""


class HeaderTypeError(HeaderError):
    """A header value type other than 0 to 9."""


class DuplicateHeaderError(HeaderError):
    """A header name that appears twice in one message."""


class TruncatedStreamError(EventStreamDecodeError):
    """The stream ended inside a message."""


@dataclass(frozen=True, slots=True)
class EventStreamMessage:
    """One decoded message: its headers as Python values, in wire order, and its payload.

    Values are ``bool`` (types 0 and 1), ``int`` (2 to 5), ``bytes`` (6), ``str`` (7), an
    aware UTC :class:`~datetime.datetime` (8) and :class:`uuid.UUID` (9).
    """

    headers: dict[str, object]
    payload: bytes


_Reader = Callable[[memoryview, int, int], tuple[object, int]]


def _end_of(pos: int, size: int, end: int, what: str) -> int:
    stop = pos + size
    if stop > end:
        raise HeaderError(f"a header {what} runs past the end of the header block")
    return stop


def _utf8(data: memoryview, what: str) -> str:
    try:
        return str(data, "utf-8")
    except UnicodeDecodeError as exc:
        raise HeaderError(f"a header {what} is not UTF-8 ({exc.reason})") from None


def _constant(value: bool) -> _Reader:
    def read(view: memoryview, pos: int, end: int) -> tuple[object, int]:
        return value, pos

    return read


def _integer(layout: struct.Struct) -> _Reader:
    unpack_from, size = layout.unpack_from, layout.size

    def read(view: memoryview, pos: int, end: int) -> tuple[object, int]:
        stop = _end_of(pos, size, end, "value")
        return unpack_from(view, pos)[0], stop

    return read


def _sized(view: memoryview, pos: int, end: int) -> tuple[int, int]:
    start = _end_of(pos, 2, end, "value length")
    return start, _end_of(start, _UINT16.unpack_from(view, pos)[0], end, "value")


def _byte_array(view: memoryview, pos: int, end: int) -> tuple[object, int]:
    start, stop = _sized(view, pos, end)
    return bytes(view[start:stop]), stop


def _string(view: memoryview, pos: int, end: int) -> tuple[object, int]:
    start, stop = _sized(view, pos, end)
    return _utf8(view[start:stop], "string value"), stop


def _timestamp(view: memoryview, pos: int, end: int) -> tuple[object, int]:
    stop = _end_of(pos, 8, end, "value")
    millis: int = _INT64.unpack_from(view, pos)[0]
    try:
        return _EPOCH + timedelta(milliseconds=millis), stop
    except OverflowError:
        raise HeaderError(
            f"a timestamp header of {millis} ms is outside datetime's range"
        ) from None


def _uuid(view: memoryview, pos: int, end: int) -> tuple[object, int]:
    stop = _end_of(pos, 16, end, "value")
    return uuid.UUID(bytes=bytes(view[pos:stop])), stop


_VALUE_READERS: dict[int, _Reader] = {
    0: _constant(True),
    1: _constant(False),
    2: _integer(struct.Struct(">b")),
    3: _integer(struct.Struct(">h")),
    4: _integer(struct.Struct(">i")),
    5: _integer(_INT64),
    6: _byte_array,
    7: _string,
    8: _timestamp,
    9: _uuid,
}


def _headers(view: memoryview, pos: int, end: int) -> dict[str, object]:
    headers: dict[str, object] = {}
    while pos < end:
        name_end = _end_of(pos + 1, view[pos], end, "name")
        name = _utf8(view[pos + 1 : name_end], "name")
        _end_of(name_end, 1, end, "type")
        reader = _VALUE_READERS.get(view[name_end])
        if reader is None:
            raise HeaderTypeError(f"header {name!r} has unknown value type {view[name_end]}")
        value, pos = reader(view, name_end + 1, end)
        if name in headers:
            raise DuplicateHeaderError(f"header {name!r} appears twice in one message")
        headers[name] = value
    return headers


def _prelude(view: memoryview, start: int) -> tuple[int, int, int]:
    """Check the prelude at ``start`` in botocore's order: CRC, headers, payload, then ours."""
    total, headers_length, crc = _PRELUDE_CRC.unpack_from(view, start)
    actual = zlib.crc32(view[start : start + 8])
    if actual != crc:
        raise PreludeChecksumError(
            f"prelude CRC32 mismatch: the frame says 0x{crc:08x}, its bytes give 0x{actual:08x}"
        )
    if headers_length > MAX_HEADERS_LENGTH:
        raise HeadersLengthError(
            f"header block of {headers_length} bytes is over the limit of {MAX_HEADERS_LENGTH}"
        )
    payload_length = total - headers_length - 16
    if payload_length > MAX_PAYLOAD_LENGTH:
        raise PayloadLengthError(
            f"payload of {payload_length} bytes is over the limit of {MAX_PAYLOAD_LENGTH}"
        )
    if payload_length < 0:
        raise MessageLengthError(
            f"total length {total} cannot hold a 12-byte prelude, {headers_length} header bytes"
            " and a 4-byte CRC"
        )
    return total, headers_length, crc


def _message(
    view: memoryview,
    start: int,
    prelude: tuple[int, int, int],
    seen: dict[bytes, dict[str, object]],
) -> EventStreamMessage:
    total, headers_length, prelude_crc = prelude
    crc_at = start + total - 4
    expected = _UINT32.unpack_from(view, crc_at)[0]
    actual = zlib.crc32(view[start + 8 : crc_at], prelude_crc)
    if actual != expected:
        raise MessageChecksumError(
            f"message CRC32 mismatch: the frame says 0x{expected:08x}, its bytes give"
            f" 0x{actual:08x}"
        )
    headers_end = start + 12 + headers_length
    block = bytes(view[start + 12 : headers_end])
    headers = seen.get(block)
    if headers is None:
        headers = _headers(view, start + 12, headers_end)
        if len(seen) < _SEEN_BLOCKS and headers_length <= _SEEN_BLOCK_BYTES:
            seen[block] = headers
    return EventStreamMessage(dict(headers), bytes(view[headers_end:crc_at]))


class EventStreamDecoder:
    """Messages from event-stream bytes split anywhere: :meth:`feed` them, then :meth:`close`.

    A fault raises a :class:`EventStreamDecodeError` subclass. When a fault follows complete
    messages in the same :meth:`feed`, those messages are returned and the fault is raised by
    the next call; once failed, the decoder raises the same fault on every call.
    """

    __slots__ = ("_buffer", "_error", "_prelude", "_seen")

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._prelude: tuple[int, int, int] | None = None  # checked prelude at the buffer start
        self._error: EventStreamDecodeError | None = None
        self._seen: dict[bytes, dict[str, object]] = {}

    def feed(self, data: bytes) -> list[EventStreamMessage]:
        """Add ``data``; return the messages it completes, in order."""
        if self._error is not None:
            raise self._error
        buffer = self._buffer
        if buffer:
            buffer += data
            source: bytes | bytearray = buffer
        else:
            source = data  # the usual case: whole messages, decoded without a copy
        messages: list[EventStreamMessage] = []
        pos, size = 0, len(source)
        try:
            with memoryview(source) as view:
                while size - pos >= 12:
                    prelude = self._prelude or _prelude(view, pos)
                    self._prelude = prelude
                    if size - pos < prelude[0]:
                        break
                    messages.append(_message(view, pos, prelude, self._seen))
                    self._prelude = None
                    pos += prelude[0]
        except EventStreamDecodeError as exc:
            self._error, self._buffer = exc, bytearray()
            if not messages:
                raise
            return messages
        if source is buffer:
            del buffer[:pos]
        else:
            buffer += source[pos:]
        return messages

    def close(self) -> None:
        """End the stream: raise :class:`TruncatedStreamError` if a message is incomplete."""
        if self._error is not None:
            raise self._error
        if self._buffer:
            expected = f" of {self._prelude[0]}" if self._prelude else ""
            raise TruncatedStreamError(
                f"the stream ended inside a message: {len(self._buffer)} bytes{expected} received"
            )
