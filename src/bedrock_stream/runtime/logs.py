"""Lambda's log contract: framed records on ``_LAMBDA_TELEMETRY_LOG_FD``, text or JSON format.

Inside Lambda the platform passes a file descriptor in ``_LAMBDA_TELEMETRY_LOG_FD``.
Each record written there is one frame (type, length, microsecond timestamp, UTF-8
message; big-endian), so a multi-line traceback stays one CloudWatch event. Without
it (locally, in a container without the variable) records go to stdout, with the
lines of an error report joined by ``\\r`` as awslambdaric does.

``AWS_LAMBDA_LOG_FORMAT=JSON`` selects awslambdaric's JSON records; the text format is
``[LEVEL]\\t<time>Z\\t<request id>\\t<message>``. ``AWS_LAMBDA_LOG_LEVEL`` sets the root
logger's level (``TRACE`` meaning ``DEBUG``).
"""

from __future__ import annotations

import logging
import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO

__all__ = ["current_request", "log_error", "setup", "write"]

# Frame types per level (NOTSET, DEBUG, INFO, WARNING, ERROR, CRITICAL), text and JSON.
_TEXT_CODES = (0xA55A0003, 0xA55A000B, 0xA55A000F, 0xA55A0013, 0xA55A0017, 0xA55A001B)
_JSON_CODES = (0xA55A0002, 0xA55A000A, 0xA55A000E, 0xA55A0012, 0xA55A0016, 0xA55A001A)
_TEXT_TYPES = {i * 10: code.to_bytes(4, "big") for i, code in enumerate(_TEXT_CODES)}
_JSON_TYPES = {i * 10: code.to_bytes(4, "big") for i, code in enumerate(_JSON_CODES)}
_LEVELS = frozenset({"CRITICAL", "FATAL", "ERROR", "WARN", "WARNING", "INFO", "DEBUG", "NOTSET"})
_RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "aws_request_id",
    "tenant_id",
    "_frame_type",
    "taskName",
}


class _State:
    request_id = ""
    tenant_id: str | None = None
    json = False
    typed = False  # per-level frame types (JSON format or AWS_LAMBDA_LOG_LEVEL set)
    fd: int | None = None


def current_request(request_id: str, tenant_id: str | None) -> None:
    """Tag the following log records with this invocation's request id (and tenant id)."""
    _State.request_id = request_id
    _State.tenant_id = tenant_id


def _level(levelno: int) -> int:
    return min(50, max(0, levelno)) // 10 * 10


def write(message: str, frame_type: bytes | None = None) -> None:
    """Write one log record: a telemetry frame, or text on stdout."""
    if _State.fd is None:
        sys.stdout.write(message)
        sys.stdout.flush()
        return
    data = message.encode("utf-8", "backslashreplace")
    header = (frame_type or _TEXT_TYPES[0]) + len(data).to_bytes(4, "big")
    stamp = (time.time_ns() // 1000).to_bytes(8, "big")
    os.write(_State.fd, header + stamp + data)


def log_error(error: dict[str, Any]) -> None:
    """Log an error report (handler failure, init failure) the way awslambdaric does."""
    from bedrock_stream.runtime.marshal import to_json

    if _State.json:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        write(to_json({"timestamp": stamp, "level": "ERROR", **error}), _JSON_TYPES[40])
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
    if _State.fd is None:
        write("\r".join(lines) + "\n")
    else:
        write("\n".join(lines), _TEXT_TYPES[40])


class _Filter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _State.request_id
        record.tenant_id = _State.tenant_id
        return True


class _Handler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
            types = _JSON_TYPES if _State.json else _TEXT_TYPES
            write(message, types.get(_level(record.levelno)) if _State.typed else None)
        except Exception:
            self.handleError(record)


class JsonFormatter(logging.Formatter):
    """awslambdaric's JSON record: timestamp, level, message, logger, requestId, extras."""

    def __init__(self) -> None:
        super().__init__(datefmt="%Y-%m-%dT%H:%M:%SZ")

    def format(self, record: logging.LogRecord) -> str:
        import json
        import traceback

        level = _level(record.levelno)
        exc = record.exc_info
        message = record.msg if isinstance(record.msg, dict) and not record.args else None
        result: dict[str, Any] = {
            "timestamp": self.formatTime(record, self.datefmt),
            "level": logging.getLevelName(level),
            "message": message if message is not None else record.getMessage(),
            "logger": record.name,
            "stackTrace": traceback.format_tb(exc[2]) if exc else None,
            "errorType": exc[0].__name__ if exc and exc[0] else None,
            "errorMessage": str(exc[1]) if exc else None,
            "requestId": getattr(record, "aws_request_id", None),
            "location": f"{record.pathname}:{record.funcName}:{record.lineno}" if exc else None,
        }
        tenant_id = getattr(record, "tenant_id", None)
        if tenant_id is not None:
            result["tenantId"] = tenant_id
        result.update(
            (k, v) for k, v in record.__dict__.items() if k not in _RESERVED and k not in result
        )
        clean = {k: v for k, v in result.items() if v is not None}
        return json.dumps(clean, ensure_ascii=False, default=str) + "\n"


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
        _State.fd = int(fd)
    _State.json = (env.get("AWS_LAMBDA_LOG_FORMAT") or "").upper() == "JSON"
    if not isinstance(sys.stdout, _Unbuffered):
        sys.stdout = _Unbuffered(sys.stdout)
        sys.stderr = _Unbuffered(sys.stderr)
    logging.Formatter.converter = time.gmtime
    handler = _Handler()
    if _State.json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(
                "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
                "%Y-%m-%dT%H:%M:%S",
            )
        )
    handler.addFilter(_Filter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = (env.get("AWS_LAMBDA_LOG_LEVEL") or "").upper()
    level = "DEBUG" if level == "TRACE" else level
    if level in _LEVELS:
        root.setLevel(level)
    _State.typed = _State.json or bool(level)
