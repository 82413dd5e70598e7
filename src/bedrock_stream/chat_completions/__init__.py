"""OpenAI Chat Completions, both directions, sans-I/O: parse requests, encode replies.

- :func:`parse_request`: a request body → :class:`ChatCompletionRequest` (Converse
  messages and Bedrock :class:`~bedrock_stream.bedrock.request_options.RequestOptions`);
- :class:`ChunkEncoder` / :func:`encode`: events → ``chat.completion.chunk`` SSE bytes;
- :func:`completion`: a ``Reply`` → the buffered ``chat.completion`` object;
- :func:`http_error`: a failure before the first chunk → an OpenAI-shaped ``HTTPError``;
- :func:`models_list`: the ``GET /v1/models`` body.

Importing it imports no botocore.
"""

from __future__ import annotations

from .buffered import completion
from .errors import error_body, http_error, invalid_request, model_not_found, with_http_errors
from .models import models_list
from .request import ChatCompletionRequest, parse_request
from .stream import CONTENT_TYPE, DONE, FINISH_REASONS, HEADERS, ChunkEncoder, encode

__all__ = [
    "CONTENT_TYPE",
    "DONE",
    "FINISH_REASONS",
    "HEADERS",
    "ChatCompletionRequest",
    "ChunkEncoder",
    "completion",
    "encode",
    "error_body",
    "http_error",
    "invalid_request",
    "model_not_found",
    "models_list",
    "parse_request",
    "with_http_errors",
]
