"""Lambda's log contract: framed records on ``_LAMBDA_TELEMETRY_LOG_FD``, text or JSON format.

Inside Lambda the platform passes a file descriptor in ``_LAMBDA_TELEMETRY_LOG_FD``.
Each record written there is one frame (type, length, microsecond timestamp, UTF-8
message; big-endian), so a multi-line traceback stays one CloudWatch event. Without
it (locally, in a container without the variable) records go to stdout, one line each:
the line feeds inside a record become ``\\r``, so that a message cannot forge a record.

``AWS_LAMBDA_LOG_FORMAT=JSON`` selects awslambdaric's JSON records; the text format is
``[LEVEL]\\t<time>Z\\t<request id>\\t<message>``. ``AWS_LAMBDA_LOG_LEVEL`` sets the root
logger's level (``TRACE`` meaning ``DEBUG``).

Records go out through :mod:`.logoutput`. The root logger's handler lives in
:mod:`.loghandler`, installed as soon as ``logging`` is imported: at once if it already
is, else right after the function's code imports it (a meta path hook), so a function
that never logs does not pay for ``logging`` at cold start, and one that does finds the
handler in place before its first record.
"""

from __future__ import annotations

import os
import sys
import time

from bedrock_stream.runtime.logoutput import JSON_TYPES, TEXT_TYPES, LogOutput
from bedrock_stream.runtime.logoutput import current_request as current_request
from bedrock_stream.runtime.logoutput import write as write

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any, TextIO

__all__ = ["current_request", "log_error", "setup", "write"]

_LEVELS = frozenset({"CRITICAL", "FATAL", "ERROR", "WARN", "WARNING", "INFO", "DEBUG", "NOTSET"})


def log_error(error: dict[str, Any]) -> None:
    """Log an error report (handler failure, init failure) the way awslambdaric does."""
    from bedrock_stream.runtime.marshal import to_json

    if LogOutput.json:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        write(to_json({"timestamp": stamp, "level": "ERROR", **error}), JSON_TYPES[40])
        return
    line = "[ERROR]"
    if error.get("errorType"):
        line += f" {error['errorType']}"
    if error.get("errorMessage"):
        line += ":" if error.get("errorType") else ""
        line += f" {error['errorMessage']}"
    lines = [line, "Traceback (most recent call last):"]
    for element in error.get("stackTrace") or []:
        for text in element.splitlines() or [""]:
            stripped = text.lstrip(" ")
            lines.append("\u00a0" * (len(text) - len(stripped)) + stripped)
    if LogOutput.fd is None:
        write("\r".join(lines) + "\n")
    else:
        write("\n".join(lines), TEXT_TYPES[40])


class _Unbuffered:
    """Flush after every write, like awslambdaric's stdout/stderr wrappers."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def write(self, text: str) -> int:
        n = self._stream.write(text)
        self._stream.flush()
        return n

    def writelines(self, lines: Any) -> None:
        self._stream.writelines(lines)
        self._stream.flush()


def setup(environ: dict[str, str] | None = None) -> None:
    """Install Lambda's log handler on the root logger (once per process)."""
    env = os.environ if environ is None else environ
    fd = env.get("_LAMBDA_TELEMETRY_LOG_FD")
    if fd is not None:
        os.environ.pop("_LAMBDA_TELEMETRY_LOG_FD", None)  # not inherited by children
        LogOutput.fd = int(fd)
    LogOutput.json = (env.get("AWS_LAMBDA_LOG_FORMAT") or "").upper() == "JSON"
    if not isinstance(sys.stdout, _Unbuffered):
        sys.stdout = _Unbuffered(sys.stdout)
        sys.stderr = _Unbuffered(sys.stderr)
    level = (env.get("AWS_LAMBDA_LOG_LEVEL") or "").upper()
    level = "DEBUG" if level == "TRACE" else level
    LogOutput.level = level if level in _LEVELS else ""
    LogOutput.typed = LogOutput.json or bool(level)
    if "logging" in sys.modules:
        _install_handler()
    else:
        sys.meta_path.insert(0, _LoggingHook())


def _install_handler() -> None:
    from bedrock_stream.runtime.loghandler import install

    install(LogOutput.level)


class _LoggingHook:
    """A meta path finder that installs the handler right after ``logging`` is imported."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if name != "logging":
            return None
        sys.meta_path.remove(self)
        from importlib.util import find_spec

        spec = find_spec(name)  # the spec the other finders give, its loader wrapped
        if spec is not None and spec.loader is not None:
            exec_module = spec.loader.exec_module

            def exec_then_install(module: ModuleType) -> None:
                exec_module(module)
                _install_handler()

            setattr(spec.loader, "exec_module", exec_then_install)  # noqa: B010
        return spec
