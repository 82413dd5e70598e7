"""The function cold_start.py deploys on the local stack: one ConverseStream answer, streamed.

``handler`` streams ``stream_text(PROMPT)``'s text deltas as they arrive, nothing before
them, so the client's first body byte is the model's first token. Which transport carries
the call is the function's ``BEDROCK_STREAM_BEDROCK_TRANSPORT`` (``boto3`` or
``builtin``); the module imports only what either path needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bedrock_stream import streaming_handler
from bedrock_stream.bedrock import stream_text

MODEL_ID = "us.amazon.nova-pro-v1:0"
PROMPT = "Why is the sea salty?"


@streaming_handler(content_type="text/plain; charset=utf-8")
def handler(event: dict[str, Any], context: Any) -> Iterator[str]:
    """Stream the answer to ``PROMPT``."""
    yield from stream_text(PROMPT, model_id=MODEL_ID)
