"""Error reports in awslambdaric's shape: ``/error`` bodies, X-Ray causes, stream trailers.

The JSON is awslambdaric's ``{"errorMessage", "errorType", "requestId", "stackTrace"}``
everywhere, so an ``Invoke`` caller (``/error`` body) and an ``InvokeWithResponseStream``
caller (``Lambda-Runtime-Function-Error-Body`` trailer, base64) read the same thing. The
trailer's copy is cut down to :data:`TRAILER_BUDGET` (:func:`bounded`); the log keeps it whole.
"""

from __future__ import annotations

import os

from bedrock_stream.runtime.marshal import to_json

TYPE_CHECKING = False  # the cold path imports neither typing nor traceback
if TYPE_CHECKING:
    import traceback
    from typing import Any

__all__ = [
    "ERROR_BODY",
    "ERROR_TYPE",
    "TRAILER_BUDGET",
    "Fault",
    "bounded",
    "error_trailers",
    "from_exception",
    "make_error",
    "type_field",
    "xray_cause",
]

ERROR_TYPE = "Lambda-Runtime-Function-Error-Type"
ERROR_BODY = "Lambda-Runtime-Function-Error-Body"
TRAILER_BUDGET = 3 * 1024
"""Bytes the two error trailer fields may take in all (names, values, CRLFs).

RAPID reads a trailer section only if it fits the 4 KiB read buffer of Go's ``net/http``
server ("suspiciously long trailer" beyond it: the stream then ends truncated); the local
Runtime API allows 1 MiB, its limit on a request head.
"""
_RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))
# The X-Ray cause travels in /error's request head, which may take 1 MiB (Go's MaxHeaderBytes in
# RAPID; the local Runtime API): leave 64 KiB for the rest of it. awslambdaric's cap is 1 MiB;
# RAPID crops any cause to 64 KiB.
_MAX_XRAY_HEADER = 960 * 1024
_MAX_TYPE = 256  # characters of the error type trailer
_CUT = "... [truncated, {} characters in all]"


class Fault(Exception):
    """A runtime-detected failure with a Lambda error type (``Runtime.*``)."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


def make_error(
    message: str | None, error_type: str | None, stack_trace: list[str] | None, request_id: str = ""
) -> dict[str, Any]:
    """Build the error JSON object, key for key as awslambdaric does."""
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id,
        "stackTrace": stack_trace or [],
    }


def _frames(exc: BaseException) -> list[traceback.FrameSummary]:
    """Return the exception's frames without the runtime's own leading ones."""
    import traceback

    frames = list(traceback.extract_tb(exc.__traceback__))
    for index, frame in enumerate(frames):
        if not os.path.abspath(frame.filename).startswith(_RUNTIME_DIR):
            return frames[index:]
    return frames


def from_exception(exc: BaseException, request_id: str = "") -> tuple[dict[str, Any], str]:
    """Return the error JSON object and the X-Ray cause (JSON text) for an exception."""
    import traceback

    if isinstance(exc, Fault):
        error = make_error(exc.message, exc.error_type, exc.trace, request_id)
        return error, xray_cause("LambdaValidationError", exc.message, [])
    frames = _frames(exc)
    error = make_error(str(exc), type(exc).__name__, traceback.format_list(frames), request_id)
    return error, xray_cause(type(exc).__name__, str(exc), frames)


def xray_cause(error_type: str, message: str, frames: list[traceback.FrameSummary]) -> str:
    """Awslambdaric's ``lambda-runtime-function-xray-error-cause`` header value ("" when huge)."""
    stack = [{"label": f.name, "path": f.filename, "line": f.lineno} for f in frames]
    cause = to_json(
        {
            "working_directory": os.getcwd(),
            "exceptions": [{"message": message, "type": error_type, "stack": stack}],
            "paths": list(dict.fromkeys(f.filename for f in frames)),
        }
    )
    return cause if len(cause.encode()) < _MAX_XRAY_HEADER else ""


def error_trailers(error: dict[str, Any]) -> list[tuple[str, str]]:
    """Return the two trailer fields: the error type (one line), base64 of the JSON.

    Together they take at most :data:`TRAILER_BUDGET` bytes: the JSON is :func:`bounded`.
    """
    import base64

    error_type = type_field(error)
    room = TRAILER_BUDGET - len(f"{ERROR_TYPE}: {error_type}\r\n{ERROR_BODY}: \r\n")
    body = to_json(bounded(error, room // 4 * 3))  # base64: 4 bytes per 3
    return [(ERROR_TYPE, error_type), (ERROR_BODY, base64.b64encode(body.encode()).decode())]


def type_field(error: dict[str, Any]) -> str:
    """Return ``errorType`` as a header value: one printable ASCII line of at most 256 characters.

    The exact type stays in the JSON body; a class named with CR or LF cannot break the head.
    """
    text = str(error.get("errorType") or "")
    error_type = " ".join("".join(c if " " <= c <= "~" else "_" for c in text).split())
    return error_type[:_MAX_TYPE] or "Runtime.Unknown"


def bounded(error: dict[str, Any], budget: int) -> dict[str, Any]:
    """Return ``error`` cut down so that its JSON takes at most ``budget`` bytes.

    ``errorType`` and ``requestId`` are kept (a type is cut only beyond a quarter of the
    budget). The message may take half of the room left, the innermost frames of the
    stack trace what then remains, the message the rest; each cut is marked.
    """
    if _size(error) <= budget:
        return error
    message = str(error.get("errorMessage") or "")
    trace = [str(entry) for entry in error.get("stackTrace") or []]
    cut = {**error, "errorMessage": "", "stackTrace": []}
    cut = _fit(cut, "errorType", str(error.get("errorType") or ""), budget // 4)
    cut = _fit(cut, "errorMessage", message, (budget + _size(cut)) // 2)
    cut = _fit_trace(cut, trace, budget)
    return _fit(cut, "errorMessage", message, budget)


def _size(error: dict[str, Any]) -> int:
    return len(to_json(error).encode())


def _clip(text: str, n: int) -> str:
    """Return the first ``n`` characters of ``text`` and the cut marker."""
    return text[:n] + _CUT.format(len(text))


def _fit(error: dict[str, Any], key: str, text: str, budget: int) -> dict[str, Any]:
    """Return ``error`` with ``text`` at ``key``, clipped as little as ``budget`` allows."""
    whole = {**error, key: text}
    if _size(whole) <= budget:
        return whole
    low, high = -1, min(len(text) - 1, budget)  # a clip of n characters takes n bytes or more
    while low < high:  # the longest clip that fits; -1: not even the marker does
        mid = (low + high + 1) // 2
        if _size({**error, key: _clip(text, mid)}) <= budget:
            low = mid
        else:
            high = mid - 1
    return {**error, key: _clip(text, low) if low >= 0 else ""}


def _fit_trace(error: dict[str, Any], trace: list[str], budget: int) -> dict[str, Any]:
    """Return ``error`` with the innermost frames of ``trace`` that fit, and a marker."""

    def marked(frames: list[str]) -> dict[str, Any]:
        dropped = len(trace) - len(frames)
        note = [f"... [{dropped} outer frames truncated]\n"] if dropped else []
        return {**error, "stackTrace": note + frames}

    kept: list[str] = []
    while len(kept) < len(trace) and _size(marked(trace[-len(kept) - 1 :])) <= budget:
        kept = trace[-len(kept) - 1 :]
    result = marked(kept)
    return result if _size(result) <= budget else {**error, "stackTrace": []}
