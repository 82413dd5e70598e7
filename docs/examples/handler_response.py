import json
from collections.abc import Iterator
from typing import Any

from bedrock_stream import CORS, HTTPError, StreamingResponse, streaming_handler


def words(message: str) -> Iterator[str]:
    for word in message.split():
        yield word.upper() + " "


@streaming_handler(cors=CORS(allow_origin="https://app.example"))
def handler(event: Any, context: Any) -> StreamingResponse:
    # Validation here runs before any byte is sent: a 400 stays a 400.
    try:
        message = str(json.loads(event.get("body") or "{}")["message"])
    except (ValueError, KeyError, TypeError):
        raise HTTPError(400, "send a JSON body with a 'message'") from None
    return StreamingResponse(
        body=words(message),
        headers={"X-Model": "upper-v1"},
        cookies=["seen=1; Secure; HttpOnly"],
    )
