"""Alias of :mod:`bedrock_stream.protocol.eventstream`, kept so existing imports work."""

from bedrock_stream.protocol.eventstream import HeaderValue as HeaderValue
from bedrock_stream.protocol.eventstream import Int8 as Int8
from bedrock_stream.protocol.eventstream import Int16 as Int16
from bedrock_stream.protocol.eventstream import Int32 as Int32
from bedrock_stream.protocol.eventstream import Int64 as Int64
from bedrock_stream.protocol.eventstream import Timestamp as Timestamp
from bedrock_stream.protocol.eventstream import encode_message as encode_message

__all__ = ["HeaderValue", "Int8", "Int16", "Int32", "Int64", "Timestamp", "encode_message"]
