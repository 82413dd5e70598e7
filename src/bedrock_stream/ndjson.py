"""Newline-delimited JSON (``application/x-ndjson``): one compact JSON value per line."""

from __future__ import annotations

import json

__all__ = ["CONTENT_TYPE", "encode_line"]

CONTENT_TYPE = "application/x-ndjson"


def encode_line(value: object) -> bytes:
    """Encode ``value`` as one line of compact UTF-8 JSON ending in ``\\n``.

    JSON escapes line breaks inside strings, so a value never spans two lines.

    Raises:
        TypeError: ``value`` is not JSON-serializable.
        ValueError: ``value`` holds NaN or infinity, which JSON cannot express.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text + "\n").encode()
