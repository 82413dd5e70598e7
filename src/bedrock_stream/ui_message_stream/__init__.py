"""The Vercel AI SDK's UI message stream (v1), what ``useChat`` and its ``Chat`` speak.

Sans-I/O: :func:`parse_request` turns the body ``DefaultChatTransport`` posts into Converse
messages, :class:`UIMessageStreamEncoder` / :func:`encode` turn events (or plain ``str``
text) into the stream's server-sent events; :func:`reply_events` / :func:`encode_reply` do the
same for a buffered call's reply. Checked against npm ``ai`` 7.0.173.
"""

from __future__ import annotations

from .encoder import GENERIC_ERROR as GENERIC_ERROR
from .encoder import UIMessageStreamEncoder as UIMessageStreamEncoder
from .encoder import encode as encode
from .encoder import error_frame as error_frame
from .reply import encode_reply as encode_reply
from .reply import reply_events as reply_events
from .request import UIChatRequest as UIChatRequest
from .request import parse_request as parse_request
from .wire import CONTENT_TYPE as CONTENT_TYPE
from .wire import DONE as DONE
from .wire import HEADERS as HEADERS
from .wire import frame as frame

__all__ = [
    "CONTENT_TYPE",
    "DONE",
    "GENERIC_ERROR",
    "HEADERS",
    "UIChatRequest",
    "UIMessageStreamEncoder",
    "encode",
    "encode_reply",
    "error_frame",
    "frame",
    "parse_request",
    "reply_events",
]
