"""Where Lambda's log records go: telemetry frames or stdout lines, tagged with the request.

Both :mod:`.logs` (which configures it) and :mod:`.loghandler` (``logging``'s handler)
write through here, so neither imports the other's internals. A record is one frame on
``_LAMBDA_TELEMETRY_LOG_FD`` (type, length, microsecond timestamp, UTF-8 message;
big-endian), or without it one line on stdout.
"""

from __future__ import annotations

import os
import sys
import time

__all__ = ["JSON_TYPES", "TEXT_TYPES", "LogOutput", "current_request", "frame_level", "write"]

# Frame types per level (NOTSET, DEBUG, INFO, WARNING, ERROR, CRITICAL), text and JSON.
_TEXT_CODES = (0xA55A0003, 0xA55A000B, 0xA55A000F, 0xA55A0013, 0xA55A0017, 0xA55A001B)
_JSON_CODES = (0xA55A0002, 0xA55A000A, 0xA55A000E, 0xA55A0012, 0xA55A0016, 0xA55A001A)
TEXT_TYPES = {i * 10: code.to_bytes(4, "big") for i, code in enumerate(_TEXT_CODES)}
JSON_TYPES = {i * 10: code.to_bytes(4, "big") for i, code in enumerate(_JSON_CODES)}


class LogOutput:
    """The process's log output, set once by :func:`.logs.setup`; the request tag per invocation."""

    request_id = ""
    tenant_id: str | None = None
    json = False
    typed = False  # per-level frame types (JSON format or AWS_LAMBDA_LOG_LEVEL set)
    fd: int | None = None
    level = ""  # AWS_LAMBDA_LOG_LEVEL, validated


def current_request(request_id: str, tenant_id: str | None) -> None:
    """Tag the following log records with this invocation's request id (and tenant id)."""
    LogOutput.request_id = request_id
    LogOutput.tenant_id = tenant_id


def frame_level(levelno: int) -> int:
    """Return the key of ``levelno``'s frame type: 0 to 50, in steps of 10."""
    return min(50, max(0, levelno)) // 10 * 10


def write(message: str, frame_type: bytes | None = None) -> None:
    """Write one log record: a telemetry frame, or one line on stdout."""
    if LogOutput.fd is None:
        _write_line(message)
        return
    data = message.encode("utf-8", "backslashreplace")
    header = (frame_type or TEXT_TYPES[0]) + len(data).to_bytes(4, "big")
    stamp = (time.time_ns() // 1000).to_bytes(8, "big")
    os.write(LogOutput.fd, header + stamp + data)


def _write_line(message: str) -> None:
    """Write a record as one line on stdout, on file descriptor 1 if ``sys.stdout`` fails.

    CloudWatch makes an event of each line of stdout: a line feed inside a message would
    forge a record (or split one), so each becomes a carriage return, as AWS's Node.js
    runtime client does on this path (awslambdaric does it for error reports only).
    """
    line = message.removesuffix("\n").replace("\n", "\r") + "\n"
    try:
        sys.stdout.write(line)
        sys.stdout.flush()
    except Exception:  # the handler closed or replaced sys.stdout: the loop must go on
        data = line.encode("utf-8", "backslashreplace")
        try:
            while data:
                data = data[os.write(1, data) :]
        except OSError:
            pass  # nowhere left to log to
