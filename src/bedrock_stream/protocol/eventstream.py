"""The ``application/vnd.amazon.eventstream`` framing, both ways (sans-I/O).

:func:`encode_message` writes one message; :class:`EventStreamDecoder` (from
:mod:`.eventstream_decoder`, re-exported here) reads messages back from bytes split anywhere,
as botocore's ``EventStreamBuffer`` does, with its size limits.
Wire format: a 12-byte prelude (total length, headers length, CRC32 of those 8 bytes),
typed headers, the payload, and a CRC32 of everything before it.
"""

from __future__ import annotations

import struct
import uuid
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bedrock_stream.protocol.eventstream_decoder import (
    MAX_HEADERS_LENGTH,
    MAX_PAYLOAD_LENGTH,
    DuplicateHeaderError,
    EventStreamDecodeError,
    EventStreamDecoder,
    EventStreamMessage,
    HeaderError,
    HeadersLengthError,
    HeaderTypeError,
    MessageChecksumError,
    MessageLengthError,
    PayloadLengthError,
    PreludeChecksumError,
    TruncatedStreamError,
)

__all__ = [
    "MAX_HEADERS_LENGTH",
    "MAX_PAYLOAD_LENGTH",
    "DuplicateHeaderError",
    "EventStreamDecodeError",
    "EventStreamDecoder",
    "EventStreamMessage",
    "HeaderError",
    "HeaderTypeError",
    "HeaderValue",
    "HeadersLengthError",
    "Int8",
    "Int16",
    "Int32",
    "Int64",
    "MessageChecksumError",
    "MessageLengthError",
    "PayloadLengthError",
    "PreludeChecksumError",
    "Timestamp",
    "TruncatedStreamError",
    "encode_message",
]


@dataclass(frozen=True, slots=True)
class Int8:
    """A byte header value (type 2)."""

    value: int


@dataclass(frozen=True, slots=True)
class Int16:
    """A short header value (type 3)."""

    value: int


@dataclass(frozen=True, slots=True)
class Int32:
    """An integer header value (type 4); plain ``int`` values encode as this."""

    value: int


@dataclass(frozen=True, slots=True)
class Int64:
    """A long header value (type 5)."""

    value: int


@dataclass(frozen=True, slots=True)
class Timestamp:
    """A timestamp header value (type 8), milliseconds since the epoch."""

    millis: int


HeaderValue = bool | int | Int8 | Int16 | Int32 | Int64 | bytes | str | Timestamp | uuid.UUID

_PRELUDE = struct.Struct(">II")


def _encode_header(name: str, value: HeaderValue) -> bytes:
    raw_name = name.encode("utf-8")
    if not 0 < len(raw_name) < 256:
        raise ValueError("header names are 1 to 255 bytes")
    head = bytes([len(raw_name)]) + raw_name
    if value is True:
        return head + b"\x00"
    if value is False:
        return head + b"\x01"
    if isinstance(value, Int8):
        return head + b"\x02" + struct.pack(">b", value.value)
    if isinstance(value, Int16):
        return head + b"\x03" + struct.pack(">h", value.value)
    if isinstance(value, Int32):
        return head + b"\x04" + struct.pack(">i", value.value)
    if isinstance(value, int):
        return head + b"\x04" + struct.pack(">i", value)
    if isinstance(value, Int64):
        return head + b"\x05" + struct.pack(">q", value.value)
    if isinstance(value, bytes):
        return head + b"\x06" + struct.pack(">H", len(value)) + value
    if isinstance(value, str):
        data = value.encode("utf-8")
        return head + b"\x07" + struct.pack(">H", len(data)) + data
    if isinstance(value, Timestamp):
        return head + b"\x08" + struct.pack(">q", value.millis)
    if isinstance(value, uuid.UUID):
        return head + b"\x09" + value.bytes
    raise TypeError(f"unsupported header value type {type(value).__name__}")


def encode_message(
    headers: Mapping[str, HeaderValue] | Iterable[tuple[str, HeaderValue]], payload: bytes
) -> bytes:
    """Encode one event-stream message; headers keep their order."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    raw_headers = b"".join(_encode_header(name, value) for name, value in items)
    total = 16 + len(raw_headers) + len(payload)
    prelude = _PRELUDE.pack(total, len(raw_headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + raw_headers + payload
    return message + struct.pack(">I", zlib.crc32(message))
