"""JSON server-sent events, as the chat protocols frame them: ``data: {json}`` and ``[DONE]``.

Both OpenAI's Chat Completions stream and the AI SDK's UI message stream send one compact
JSON object per event and end a whole stream with ``data: [DONE]``. JSON escapes line
breaks, so an object is always one ``data:`` line (see :mod:`bedrock_stream.sse`).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["DONE", "json_event"]

DONE = b"data: [DONE]\n\n"
"""The last event of a stream that completed; a failed one never gets it."""


def json_event(obj: Any) -> bytes:
    """Return ``obj`` as one server-sent event: ``data: {json}`` (UTF-8) and a blank line."""
    return b"data: " + json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n\n"
