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
    UnsupportedOptionError,
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
from .prime import prime
from .replay import replay_events
from .request_blocks import (
    Message,
    cache_point,
    document_block,
    image_block,
    reasoning_block,
    redacted_reasoning_block,
    text_block,
    tool_result_block,
    tool_use_block,
)
from .request_floor import check_request_fields
from .request_options import GuardrailConfig, Reasoning, Tool, named_tool, tool
from .requests import (
    RequestOptions,
    build_converse_request,
    build_invoke_body,
    build_invoke_request,
)
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
    "GuardrailConfig",
    "IncompleteStreamError",
    "InternalServerError",
    "MalformedChunkError",
    "Message",
    "MessageStart",
    "Metrics",
    "ModelStreamError",
    "ModelTimeoutError",
    "PerformanceConfig",
    "RawEvent",
    "Reasoning",
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
    "Tool",
    "ToolCall",
    "ToolInputDelta",
    "ToolInputError",
    "ToolResult",
    "ToolResultDelta",
    "ToolResultStart",
    "ToolUseStart",
    "Trace",
    "UnknownModelError",
    "UnsupportedOptionError",
    "Usage",
    "ValidationError",
    "build_converse_request",
    "build_invoke_body",
    "build_invoke_request",
    "cache_point",
    "check_request_fields",
    "complete_reply",
    "complete_text",
    "converse_events",
    "converse_response_events",
    "default_client",
    "document_block",
    "encode_message",
    "image_block",
    "named_tool",
    "normalize_stop_reason",
    "parse_invoke_response",
    "prime",
    "reasoning_block",
    "redacted_reasoning_block",
    "replay_events",
    "resolve_family",
    "stream_events",
    "stream_text",
    "text_block",
    "tool",
    "tool_result_block",
    "tool_use_block",
]
