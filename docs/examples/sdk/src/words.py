import json
from collections.abc import Iterator
from typing import Any

from bedrock_stream import HTTPError, streaming_handler


@streaming_handler(format="ndjson")
def handler(event: dict[str, Any], context: Any) -> Iterator[dict[str, Any]]:
    # API Gateway and function URLs carry the request in the body; an SDK payload is the request.
    try:
        request = json.loads(event["body"] or "{}") if "requestContext" in event else event
        message = request["message"]
    except (ValueError, KeyError, TypeError):
        message = None
    if not isinstance(message, str):
        raise HTTPError(400, "send a JSON object with a 'message'")
    words = message.split()
    for index, word in enumerate(words):
        yield {"index": index, "word": word}
    yield {"done": True, "words": len(words)}
