"""Amazon Bedrock streaming: typed events, per-family parsers, ``stream_text``.

Importing this package never imports boto3/botocore; they are loaded on the
first call that needs them.
"""

from __future__ import annotations

from .assembly import Reply, ReplyAssembler, ToolResult
from .client import (
    Completion,
    complete_reply,
    complete_text,
    default_client,
    stream_events,
    stream_text,
)
from .converse import converse_events, converse_response_events
from .errors import (
    BedrockError,
    IncompleteStreamError,
    InternalServerError,
    MalformedChunkError,
    ModelStreamError,
    ModelTimeoutError,
    ServiceUnavailableError,
    ThrottlingError,
    ToolInputError,
    UnknownModelError,
    ValidationError,
)
from .events import (
    BlockStart,
    BlockStop,
    Citation,
    Event,
    MessageStart,
    Metrics,
    PerformanceConfig,
    RawEvent,
    ReasoningDelta,
    ServiceTier,
    Stop,
    StopReason,
    TextDelta,
    ToolCall,
    ToolInputDelta,
    ToolResultDelta,
    ToolResultStart,
    ToolUseStart,
    Trace,
    Usage,
    normalize_stop_reason,
)
from .eventstream import encode_message
from .families import Family, resolve_family
from .parsers import ChunkParser, parse_invoke_response
from .requests import RequestOptions, build_converse_request, build_invoke_body
from .retry import RetryPolicy
from .streams import ReplyStream, TextStream

__all__ = [
    "BedrockError",
    "BlockStart",
    "BlockStop",
    "ChunkParser",
    "Citation",
    "Completion",
    "Event",
    "Family",
    "IncompleteStreamError",
    "InternalServerError",
    "MalformedChunkError",
    "MessageStart",
    "Metrics",
    "ModelStreamError",
    "ModelTimeoutError",
    "PerformanceConfig",
    "RawEvent",
    "ReasoningDelta",
    "Reply",
    "ReplyAssembler",
    "ReplyStream",
    "RequestOptions",
    "RetryPolicy",
    "ServiceTier",
    "ServiceUnavailableError",
    "Stop",
    "StopReason",
    "TextDelta",
    "TextStream",
    "ThrottlingError",
    "ToolCall",
    "ToolInputDelta",
    "ToolInputError",
    "ToolResult",
    "ToolResultDelta",
    "ToolResultStart",
    "ToolUseStart",
    "Trace",
    "UnknownModelError",
    "Usage",
    "ValidationError",
    "build_converse_request",
    "build_invoke_body",
    "complete_reply",
    "complete_text",
    "converse_events",
    "converse_response_events",
    "default_client",
    "encode_message",
    "normalize_stop_reason",
    "parse_invoke_response",
    "resolve_family",
    "stream_events",
    "stream_text",
]
