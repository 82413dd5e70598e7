"""The HTTP integration response format, sans I/O.

Lambda function URLs in ``RESPONSE_STREAM`` mode and API Gateway REST integrations
in ``STREAM`` transfer mode read a streamed response as::

    <UTF-8 JSON metadata>  00 00 00 00 00 00 00 00  <body bytes, as produced>

The metadata object may hold ``statusCode``, ``headers`` (single values),
``multiValueHeaders`` (lists) and ``cookies``. The runtime marks such a response
with the content type :data:`CONTENT_TYPE`. API Gateway requires the 8-NUL
delimiter within the first 16 KiB of the stream and answers 500 otherwise.

A JSON encoder escapes NUL as ``\\u0000``, so the first run of 8 NUL bytes ends
the metadata unambiguously.

This module touches no sockets: :class:`Prelude` encodes, :class:`PreludeDecoder`
consumes bytes fed in any split.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, NoReturn

from bedrock_stream.errors import RemoteProtocolError
from bedrock_stream.protocol.headers import FIELD_NAME

__all__ = [
    "CONTENT_TYPE",
    "DELIMITER",
    "MAX_METADATA_SIZE",
    "PRELUDE_WINDOW",
    "Prelude",
    "PreludeDecoder",
    "PreludeError",
]

CONTENT_TYPE = "application/vnd.awslambda.http-integration-response"
"""Runtime response content type announcing a metadata prelude."""

DELIMITER = b"\x00" * 8
"""The 8 NUL bytes between the JSON metadata and the body."""

PRELUDE_WINDOW = 16 * 1024
"""API Gateway's rule: the delimiter must lie within the first 16 KiB of the stream."""

MAX_METADATA_SIZE = 8 * 1024
"""The encoder's cap on the JSON metadata: half the window, so the rule is never close."""

# Field values may hold visible characters, spaces, tabs and non-ASCII text;
# never CR, LF, NUL or any other control character.
_FORBIDDEN_IN_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class PreludeError(RemoteProtocolError, ValueError):
    """A byte stream that does not start with a valid metadata prelude."""


class Prelude:
    """The metadata that precedes a streamed HTTP response body; an immutable value.

    Validated at construction, so an invalid prelude never reaches the wire:
    ``status_code`` is a final status 200-599; header names are HTTP tokens and
    unique regardless of case; no name, value or cookie holds CR, LF, NUL or
    another control character. ``Set-Cookie`` headers are moved to
    :attr:`cookies`. Violations raise :class:`ValueError` naming the field.
    """

    __slots__ = ("_cookies", "_headers", "_multi_value_headers", "_status_code")

    def __init__(
        self,
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        multi_value_headers: Mapping[str, Sequence[str]] | None = None,
        cookies: Sequence[str] = (),
    ) -> None:
        if isinstance(status_code, bool) or not isinstance(status_code, int):
            raise ValueError(f"statusCode: must be an int, not {type(status_code).__name__}")
        if not 200 <= status_code <= 599:
            raise ValueError(f"statusCode: must be a final status 200-599, got {status_code}")
        all_cookies = list(_check_strings("cookies", cookies))
        single: dict[str, str] = {}
        multi: dict[str, tuple[str, ...]] = {}
        seen: set[str] = set()
        for key, values, is_single in _header_entries(headers or {}, multi_value_headers or {}):
            lowered = key.lower()
            if lowered == "set-cookie":
                all_cookies.extend(values)
                continue
            if lowered in seen:
                raise ValueError(f"headers: {key!r} is given more than once")
            seen.add(lowered)
            if is_single:
                single[key] = values[0]
            else:
                multi[key] = values
        self._status_code = status_code
        self._headers = single
        self._multi_value_headers = multi
        self._cookies = tuple(all_cookies)
        size = len(self._json())
        if size > MAX_METADATA_SIZE:
            raise ValueError(
                f"metadata: encodes to {size} bytes, over the {MAX_METADATA_SIZE}-byte limit"
            )

    @property
    def status_code(self) -> int:
        """The HTTP status, 200-599."""
        return self._status_code

    @property
    def headers(self) -> Mapping[str, str]:
        """Single-valued headers."""
        return MappingProxyType(self._headers)

    @property
    def multi_value_headers(self) -> Mapping[str, tuple[str, ...]]:
        """Headers with a list of values (API Gateway REST's ``multiValueHeaders``)."""
        return MappingProxyType(self._multi_value_headers)

    @property
    def cookies(self) -> tuple[str, ...]:
        """``Set-Cookie`` values."""
        return self._cookies

    def fields(self) -> list[tuple[str, str]]:
        """Return the header fields to send: single, then multi-valued, then ``Set-Cookie``."""
        pairs = list(self._headers.items())
        pairs += [(k, v) for k, values in self._multi_value_headers.items() for v in values]
        pairs += [("Set-Cookie", cookie) for cookie in self._cookies]
        return pairs

    def _key(self) -> tuple[object, ...]:
        return (self._status_code, self._headers, self._multi_value_headers, self._cookies)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Prelude):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]  # holds dicts

    def __repr__(self) -> str:
        return (
            f"Prelude(status_code={self._status_code!r}, headers={self._headers!r}, "
            f"multi_value_headers={self._multi_value_headers!r}, cookies={self._cookies!r})"
        )

    def _json(self) -> bytes:
        metadata: dict[str, object] = {"statusCode": self._status_code, "headers": self._headers}
        if self._multi_value_headers:
            metadata["multiValueHeaders"] = self._multi_value_headers
        if self._cookies:
            metadata["cookies"] = self._cookies
        return json.dumps(metadata, ensure_ascii=False, separators=(",", ":")).encode()

    def encode(self) -> bytes:
        """Return the compact UTF-8 JSON metadata followed by the 8-NUL delimiter."""
        return self._json() + DELIMITER

    @classmethod
    def from_json(cls, metadata: object) -> Prelude:
        """Build a prelude from decoded metadata JSON, the way API Gateway reads it.

        All keys are optional (``statusCode`` defaults to 200) and unknown keys are
        ignored. A header present in both maps keeps only its ``multiValueHeaders``
        values.

        Raises:
            ValueError: the metadata is not an object of the documented shape.
        """
        if not isinstance(metadata, dict):
            raise ValueError(f"metadata: must be a JSON object, not {type(metadata).__name__}")
        status = metadata.get("statusCode", 200)
        headers = _expect_map(metadata, "headers", str)
        multi = _expect_map(metadata, "multiValueHeaders", list)
        cookies = metadata.get("cookies") or []
        if not isinstance(cookies, list):
            raise ValueError("cookies: must be a list of strings")
        overridden = {name.lower() for name in multi}
        headers = {k: v for k, v in headers.items() if k.lower() not in overridden}
        return cls(status_code=status, headers=headers, multi_value_headers=multi, cookies=cookies)


def _expect_map(metadata: dict[str, Any], key: str, kind: type) -> dict[str, Any]:
    value = metadata.get(key) or {}
    if not isinstance(value, dict) or not all(isinstance(v, kind) for v in value.values()):
        raise ValueError(f"{key}: must be an object of {kind.__name__} values")
    return value


def _check_strings(where: str, values: Sequence[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        raise ValueError(f"{where}: must be a sequence of strings, not a string")
    checked = tuple(values)
    for value in checked:
        if not isinstance(value, str):
            raise ValueError(f"{where}: values must be strings, not {type(value).__name__}")
        if _FORBIDDEN_IN_VALUE.search(value):
            raise ValueError(f"{where}: {value!r} contains a control character (CR, LF, NUL...)")
    return checked


def _header_entries(
    headers: Mapping[str, str], multi: Mapping[str, Sequence[str]]
) -> list[tuple[str, tuple[str, ...], bool]]:
    entries: list[tuple[str, tuple[str, ...], bool]] = []
    for where, mapping, single in (("headers", headers, True), ("multiValueHeaders", multi, False)):
        for name, value in mapping.items():
            if not isinstance(name, str) or not FIELD_NAME.fullmatch(name):
                raise ValueError(f"{where}: {name!r} is not a valid header name")
            values = _check_strings(f"{where}[{name!r}]", [value] if single else value)  # type: ignore[list-item]
            entries.append((name, values, single))
    return entries


class PreludeDecoder:
    """Incrementally split a streamed response into its :class:`Prelude` and body.

    Feed bytes as they arrive, in any split; :meth:`feed` returns the events
    they complete: first the :class:`Prelude`, then body ``bytes``. Call
    :meth:`close` at the end of the stream. Errors are sticky: after a
    :class:`PreludeError` every further call raises it again.
    """

    def __init__(self, *, window: int = PRELUDE_WINDOW) -> None:
        self._window = window
        self._buffer = bytearray()
        self._error: PreludeError | None = None
        self.prelude: Prelude | None = None
        """The decoded metadata, once the delimiter has been seen."""

    def feed(self, data: bytes) -> list[Prelude | bytes]:
        """Consume ``data``; return the prelude and body bytes it completes.

        Raises:
            PreludeError: no delimiter within the window, or metadata that is not
                a valid JSON object of the documented shape. Nothing else.
        """
        if self._error is not None:
            raise self._error
        if self.prelude is not None:
            return [bytes(data)] if data else []
        scanned = max(0, len(self._buffer) - len(DELIMITER) + 1)
        self._buffer += data
        end = self._buffer.find(DELIMITER, scanned)
        if end < 0 or end + len(DELIMITER) > self._window:
            if end >= 0 or len(self._buffer) >= self._window:
                self._fail(f"no 8-NUL delimiter within the first {self._window} bytes")
            return []
        self.prelude = self._parse(bytes(self._buffer[:end]))
        body = bytes(self._buffer[end + len(DELIMITER) :])
        self._buffer = bytearray()
        return [self.prelude, body] if body else [self.prelude]

    def close(self) -> None:
        """Mark the end of the stream.

        Raises:
            PreludeError: the stream ended before a complete prelude.
        """
        if self._error is not None:
            raise self._error
        if self.prelude is None:
            self._fail("the stream ended before the 8-NUL delimiter")

    def _parse(self, raw: bytes) -> Prelude:
        try:
            return Prelude.from_json(json.loads(raw.decode("utf-8")))
        except (ValueError, RecursionError) as exc:
            self._fail(f"invalid metadata: {exc}")

    def _fail(self, message: str) -> NoReturn:
        self._error = PreludeError(message)
        raise self._error
