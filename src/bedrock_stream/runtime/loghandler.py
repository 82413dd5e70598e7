"""Lambda's handler on the root logger: imported only once the function's code uses ``logging``.

See :mod:`.logs`, which installs it and owns the log contract (formats, levels); records
go out through :mod:`.logoutput`.
"""

from __future__ import annotations

import logging
import time

from bedrock_stream.runtime.logoutput import JSON_TYPES, TEXT_TYPES, LogOutput, frame_level, write

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["JsonFormatter", "install"]

_RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "aws_request_id",
    "tenant_id",
    "_frame_type",
    "taskName",
}


class _Filter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = LogOutput.request_id
        record.tenant_id = LogOutput.tenant_id
        return True


class _Handler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
            types = JSON_TYPES if LogOutput.json else TEXT_TYPES
            write(message, types.get(frame_level(record.levelno)) if LogOutput.typed else None)
        except Exception:
            self.handleError(record)


class JsonFormatter(logging.Formatter):
    """awslambdaric's JSON record: timestamp, level, message, logger, requestId, extras."""

    def __init__(self) -> None:
        super().__init__(datefmt="%Y-%m-%dT%H:%M:%SZ")

    def format(self, record: logging.LogRecord) -> str:
        """Format ``record`` as one JSON line."""
        import json
        import traceback

        level = frame_level(record.levelno)
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


def install(level: str) -> None:
    """Add the handler to the root logger and set its level (``""``: leave it)."""
    logging.Formatter.converter = time.gmtime
    handler = _Handler()
    if LogOutput.json:
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
    if level:
        root.setLevel(level)
