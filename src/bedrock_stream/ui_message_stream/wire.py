"""The UI message stream's wire: one chunk per server-sent event, and the response headers.

The AI SDK's ``DefaultChatTransport`` reads ``data: {json}`` events and validates each against
``uiMessageChunkSchema``; ``data: [DONE]`` ends a stream that completed. ``HEADERS`` are the
``ai`` package's ``UI_MESSAGE_STREAM_HEADERS`` (release 7.0.173) but ``connection``, a
hop-by-hop header that Lambda's front doors set themselves.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._json_sse import DONE as DONE
from .._json_sse import json_event as frame

__all__ = ["CONTENT_TYPE", "DONE", "HEADERS", "frame"]

CONTENT_TYPE = "text/event-stream"
HEADERS: Mapping[str, str] = {
    "content-type": CONTENT_TYPE,
    "cache-control": "no-cache",
    "x-vercel-ai-ui-message-stream": "v1",
    "x-accel-buffering": "no",
}
