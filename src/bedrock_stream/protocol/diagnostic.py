"""An error report as the Runtime API carries it: a frozen :class:`Diagnostic`, JSON, trailers.

The JSON is awslambdaric's ``{"errorMessage", "errorType", "requestId", "stackTrace"}``
everywhere, so an ``Invoke`` caller (``/error`` body) and an ``InvokeWithResponseStream``
caller (:data:`~bedrock_stream.protocol.runtime_api.ERROR_BODY` trailer, base64) read the
same thing. Invariants:

* the two trailer fields take at most :data:`TRAILER_BUDGET` bytes in all: the JSON they
  carry is :meth:`Diagnostic.bounded`, each cut marked; the error type is kept whole up to
  a quarter of the budget;
* :meth:`Diagnostic.type_field` is one printable ASCII line of at most 256 characters, so
  a class named with CR or LF cannot break a head; the exact type stays in the JSON.
"""

from __future__ import annotations

import json

from bedrock_stream.protocol.runtime_api import ERROR_BODY, ERROR_TYPE

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: the runtime's cold path does not need typing
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, NoReturn

__all__ = ["TRAILER_BUDGET", "Diagnostic", "decode_error_body"]

TRAILER_BUDGET = 3 * 1024
"""Bytes the two error trailer fields may take in all (names, values, CRLFs).

RAPID reads a trailer section only if it fits the 4 KiB read buffer of Go's ``net/http``
server ("suspiciously long trailer" beyond it: the stream then ends truncated); the local
Runtime API allows 1 MiB, its limit on a request head.
"""
_MAX_TYPE = 256  # characters of the error type field
_CUT = "... [truncated, {} characters in all]"


class Diagnostic:
    """One error report: type, message, stack trace (formatted frames), request id. Frozen."""

    __slots__ = ("error_type", "message", "request_id", "stack_trace")

    error_type: str
    message: str
    stack_trace: tuple[str, ...]
    request_id: str

    def __init__(
        self,
        error_type: str,
        message: str,
        stack_trace: Sequence[str] = (),
        request_id: str = "",
    ) -> None:
        # object.__setattr__: the class refuses assignment once built.
        object.__setattr__(self, "error_type", error_type)
        object.__setattr__(self, "message", message)
        object.__setattr__(self, "stack_trace", tuple(stack_trace))
        object.__setattr__(self, "request_id", request_id)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"Diagnostic is frozen: cannot set {name}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"Diagnostic is frozen: cannot delete {name}")

    def _key(self) -> tuple[str, str, tuple[str, ...], str]:
        return (self.error_type, self.message, self.stack_trace, self.request_id)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Diagnostic) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Diagnostic({self.error_type!r}, {self.message!r}, {self.stack_trace!r}, "
            f"{self.request_id!r})"
        )

    def to_object(self) -> dict[str, Any]:
        """Return the error JSON object, key for key as awslambdaric builds it."""
        return {
            "errorMessage": self.message,
            "errorType": self.error_type,
            "requestId": self.request_id,
            "stackTrace": list(self.stack_trace),
        }

    def to_json(self, *, ensure_ascii: bool = True) -> str:
        """Return the error JSON (``ensure_ascii=False``: non-ASCII kept, as on python3.12+)."""
        return json.dumps(self.to_object(), ensure_ascii=ensure_ascii)

    def type_field(self) -> str:
        """Return the error type as a header value: one printable ASCII line, 256 at most."""
        text = self.error_type
        error_type = " ".join("".join(c if " " <= c <= "~" else "_" for c in text).split())
        return error_type[:_MAX_TYPE] or "Runtime.Unknown"

    def to_trailers(self, *, ensure_ascii: bool = True) -> list[tuple[str, str]]:
        """Return the two trailer fields, error type and base64 of the JSON, in the budget."""
        import base64

        error_type = self.type_field()
        room = TRAILER_BUDGET - len(f"{ERROR_TYPE}: {error_type}\r\n{ERROR_BODY}: \r\n")
        body = self.bounded(room // 4 * 3, ensure_ascii=ensure_ascii)  # base64: 4 per 3
        encoded = base64.b64encode(body.to_json(ensure_ascii=ensure_ascii).encode()).decode()
        return [(ERROR_TYPE, error_type), (ERROR_BODY, encoded)]

    def bounded(self, budget: int, *, ensure_ascii: bool = True) -> Diagnostic:
        """Return this report cut down so that its JSON takes at most ``budget`` bytes.

        The type and request id are kept (a type is cut only beyond a quarter of the
        budget). The message may take half of the room left, the innermost frames of the
        stack trace what then remains, the message the rest; each cut is marked.
        """

        def size(report: Diagnostic) -> int:
            return len(report.to_json(ensure_ascii=ensure_ascii).encode())

        if size(self) <= budget:
            return self
        cut = _fit(
            lambda t: Diagnostic(t, "", (), self.request_id), self.error_type, budget // 4, size
        )
        typed = cut.error_type
        cut = _fit(
            lambda m: Diagnostic(typed, m, (), self.request_id),
            self.message,
            (budget + size(cut)) // 2,
            size,
        )
        message = cut.message
        trace = self.stack_trace
        kept: tuple[str, ...] = ()
        while (
            len(kept) < len(trace) and size(_framed(cut, trace, trace[-len(kept) - 1 :])) <= budget
        ):
            kept = trace[-len(kept) - 1 :]
        cut = _framed(cut, trace, kept)
        if size(cut) > budget:
            cut = Diagnostic(typed, message, (), self.request_id)
        frames = cut.stack_trace
        return _fit(
            lambda m: Diagnostic(typed, m, frames, self.request_id), self.message, budget, size
        )


def _framed(report: Diagnostic, trace: tuple[str, ...], frames: tuple[str, ...]) -> Diagnostic:
    """Return ``report`` with ``frames`` (the innermost of ``trace``) and a marker if cut."""
    dropped = len(trace) - len(frames)
    note = (f"... [{dropped} outer frames truncated]\n",) if dropped else ()
    return Diagnostic(report.error_type, report.message, note + frames, report.request_id)


def _fit(
    make: Callable[[str], Diagnostic], text: str, budget: int, size: Callable[[Diagnostic], int]
) -> Diagnostic:
    """Return ``make(text)``, ``text`` clipped (and marked) as little as ``budget`` allows."""
    whole = make(text)
    if size(whole) <= budget:
        return whole
    low, high = -1, min(len(text) - 1, budget)  # a clip of n characters takes n bytes or more
    while low < high:  # the longest clip that fits; -1: not even the marker does
        mid = (low + high + 1) // 2
        if size(make(_clip(text, mid))) <= budget:
            low = mid
        else:
            high = mid - 1
    return make(_clip(text, low) if low >= 0 else "")


def _clip(text: str, n: int) -> str:
    """Return the first ``n`` characters of ``text`` and the cut marker."""
    return text[:n] + _CUT.format(len(text))


def decode_error_body(text: str) -> bytes:
    """Decode an error body trailer like RAPID: standard base64; empty when it does not decode."""
    import base64
    import binascii

    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return b""
