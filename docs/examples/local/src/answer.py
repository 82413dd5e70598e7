"""A streaming handler that answers with Amazon Bedrock (the function under test)."""

import json

from bedrock_stream import HTTPError, streaming_handler
from bedrock_stream.bedrock import stream_text

MODEL_ID = "us.anthropic.claude-3-5-haiku-20241022-v1:0"


@streaming_handler(content_type="text/plain; charset=utf-8")
def handler(event, context):
    try:
        message = json.loads(event.get("body") or "{}")["message"]
    except (ValueError, KeyError):
        raise HTTPError(400, 'send {"message": "..."}') from None
    yield from stream_text(message, model_id=MODEL_ID, max_tokens=300)
