import json
import logging
import os
from collections.abc import Iterator
from typing import Any

from bedrock_stream import streaming_handler
from bedrock_stream.bedrock import stream_text

MODEL_ID = os.environ.get("MODEL_ID", "us.anthropic.claude-sonnet-4-20250514-v1:0")
log = logging.getLogger(__name__)


@streaming_handler(content_type="text/plain; charset=utf-8")
def handler(event: Any, context: Any) -> Iterator[str]:
    prompt = json.loads(event.get("body") or "{}").get("message", "Hello")
    stream = stream_text(prompt, model_id=MODEL_ID, max_tokens=512)
    yield from stream  # raises on a mid-stream error: the answer is never silently cut
    log.info("stop=%s usage=%s", stream.stop, stream.usage)
