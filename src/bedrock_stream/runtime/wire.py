"""Alias of :mod:`bedrock_stream.protocol.http1`, kept so existing imports work."""

from bedrock_stream.protocol.http1 import CRLF as CRLF
from bedrock_stream.protocol.http1 import SMALL as SMALL
from bedrock_stream.protocol.http1 import SMALL_CHUNK as SMALL_CHUNK
from bedrock_stream.protocol.http1 import Response as Response
from bedrock_stream.protocol.http1 import ResponseParser as ResponseParser
from bedrock_stream.protocol.http1 import WireError as WireError
from bedrock_stream.protocol.http1 import frame as frame
from bedrock_stream.protocol.http1 import last_chunk as last_chunk
from bedrock_stream.protocol.http1 import request_head as request_head
from bedrock_stream.protocol.http1 import small_chunk as small_chunk

__all__ = [
    "CRLF",
    "SMALL",
    "SMALL_CHUNK",
    "Response",
    "ResponseParser",
    "WireError",
    "frame",
    "last_chunk",
    "request_head",
    "small_chunk",
]
