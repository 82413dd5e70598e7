"""Error reports in awslambdaric's shape: ``/error`` bodies, X-Ray causes, stream trailers.

The JSON is awslambdaric's ``{"errorMessage", "errorType", "requestId", "stackTrace"}``
everywhere, so an ``Invoke`` caller (``/error`` body) and an ``InvokeWithResponseStream``
caller (``Lambda-Runtime-Function-Error-Body`` trailer, base64) read the same thing.
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
    "Fault",
    "error_trailers",
    "from_exception",
    "make_error",
    "xray_cause",
]

ERROR_TYPE = "Lambda-Runtime-Function-Error-Type"
ERROR_BODY = "Lambda-Runtime-Function-Error-Body"
_RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))
_MAX_XRAY_HEADER = 1024 * 1024


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
    """Return the two trailer fields: the error type (one line), base64 of the JSON."""
    import base64

    # One printable ASCII line; the exact type stays in the JSON body.
    text = str(error.get("errorType") or "")
    error_type = " ".join("".join(c if " " <= c <= "~" else "_" for c in text).split())
    body = base64.b64encode(to_json(error).encode()).decode("ascii")
    return [(ERROR_TYPE, error_type or "Runtime.Unknown"), (ERROR_BODY, body)]
