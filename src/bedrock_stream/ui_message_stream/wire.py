"""The UI message stream's wire: one chunk per server-sent event, and the response headers.

The AI SDK's ``DefaultChatTransport`` reads ``data: {json}`` events and validates each against
``uiMessageChunkSchema``; ``data: [DONE]`` ends a stream that completed. ``HEADERS`` are the
``ai`` package's ``UI_MESSAGE_STREAM_HEADERS`` (release 7.0.173) but ``connection``, a
hop-by-hop header that Lambda's front doors set themselves.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["CONTENT_TYPE", "DONE", "HEADERS", "frame"]

CONTENT_TYPE = "text/event-stream"
HEADERS: Mapping[str, str] = {
    "content-type": CONTENT_TYPE,
    "cache-control": "no-cache",
    "x-vercel-ai-ui-message-stream": "v1",
    "x-accel-buffering": "no",
}
DONE = b"data: [DONE]\n\n"


def frame(chunk: Mapping[str, Any]) -> bytes:
    """Return one chunk as a server-sent event: ``data: {json}`` and a blank line."""
    return (
        b"data: " + json.dumps(chunk, ensure_ascii=False, separators=(",", ":")).encode() + b"\n\n"
    )
