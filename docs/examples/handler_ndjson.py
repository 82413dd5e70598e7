import json
from collections.abc import Iterator
from typing import Any

from bedrock_stream import streaming_handler


@streaming_handler(format="ndjson")
def handler(event: Any, context: Any) -> Iterator[dict[str, Any]]:
    message = json.loads(event.get("body") or "{}").get("message", "")
    words = message.split()
    for index, word in enumerate(words):
        yield {"type": "token", "index": index, "text": word}  # one line per record
    yield {"type": "done", "tokens": len(words)}
