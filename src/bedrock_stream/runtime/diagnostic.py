"""The runtime's error reports: :class:`Fault`, exceptions to diagnostics, X-Ray causes.

A report is a :class:`~bedrock_stream.protocol.diagnostic.Diagnostic` (its JSON and trailer
encodings are the protocol's); this module builds one from an exception, without the
runtime's own frames, and encodes it with the JSON flavour of the runtime it runs on
(:func:`~bedrock_stream.runtime.marshal.ensure_ascii`). The trailer's copy is cut down to
:data:`TRAILER_BUDGET`; the log keeps it whole.
"""

from __future__ import annotations

import os

from bedrock_stream.errors import LambdaRuntimeError
from bedrock_stream.protocol.diagnostic import TRAILER_BUDGET as TRAILER_BUDGET
from bedrock_stream.protocol.diagnostic import Diagnostic
from bedrock_stream.protocol.runtime_api import ERROR_BODY as ERROR_BODY
from bedrock_stream.protocol.runtime_api import ERROR_TYPE as ERROR_TYPE
from bedrock_stream.runtime.marshal import ensure_ascii, to_json

TYPE_CHECKING = False  # the cold path imports neither typing nor traceback
if TYPE_CHECKING:
    import traceback

__all__ = [
    "ERROR_BODY",
    "ERROR_TYPE",
    "TRAILER_BUDGET",
    "Diagnostic",
    "Fault",
    "bounded",
    "error_trailers",
    "from_exception",
    "make_error",
    "to_body",
    "type_field",
    "xray_cause",
]

_RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))
# The X-Ray cause travels in /error's request head, which may take 1 MiB (Go's MaxHeaderBytes in
# RAPID; the local Runtime API): leave 64 KiB for the rest of it. awslambdaric's cap is 1 MiB;
# RAPID crops any cause to 64 KiB.
_MAX_XRAY_HEADER = 960 * 1024


class Fault(LambdaRuntimeError):
    """A runtime-detected failure with a Lambda error type (``Runtime.*``)."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


def make_error(
    message: str | None, error_type: str | None, stack_trace: list[str] | None, request_id: str = ""
) -> Diagnostic:
    """Build a report; ``None`` stands for empty, as in awslambdaric."""
    return Diagnostic(error_type or "", message or "", stack_trace or (), request_id)


def _frames(exc: BaseException) -> list[traceback.FrameSummary]:
    """Return the exception's frames without the runtime's own leading ones."""
    import traceback

    frames = list(traceback.extract_tb(exc.__traceback__))
    for index, frame in enumerate(frames):
        if not os.path.abspath(frame.filename).startswith(_RUNTIME_DIR):
            return frames[index:]
    return frames


def from_exception(exc: BaseException, request_id: str = "") -> tuple[Diagnostic, str]:
    """Return the report and the X-Ray cause (JSON text) for an exception.

    A :class:`Fault` reports its own type, message and trace.
    """
    if isinstance(exc, Fault):
        error = make_error(exc.message, exc.error_type, exc.trace, request_id)
        return error, xray_cause("LambdaValidationError", exc.message, [])
    import traceback

    frames = _frames(exc)
    # As awslambdaric: each frame's file, line, name and source line, no column positions,
    # so no carets under the failing expression (Python 3.11+ would draw them).
    plain = [traceback.FrameSummary(f.filename, f.lineno, f.name, line=f.line) for f in frames]
    error = make_error(str(exc), type(exc).__name__, traceback.format_list(plain), request_id)
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


def to_body(error: Diagnostic) -> str:
    """Return the ``/error`` body: the report's JSON, in this runtime's flavour."""
    return error.to_json(ensure_ascii=ensure_ascii())


def error_trailers(error: Diagnostic) -> list[tuple[str, str]]:
    """Return the two trailer fields (see :meth:`Diagnostic.to_trailers`)."""
    return error.to_trailers(ensure_ascii=ensure_ascii())


def type_field(error: Diagnostic) -> str:
    """Return the error type as a header value (see :meth:`Diagnostic.type_field`)."""
    return error.type_field()


def bounded(error: Diagnostic, budget: int) -> Diagnostic:
    """Return ``error`` cut down to ``budget`` bytes of JSON (see :meth:`Diagnostic.bounded`)."""
    return error.bounded(budget, ensure_ascii=ensure_ascii())
