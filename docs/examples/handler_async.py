import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from bedrock_stream import HTTPError, streaming_handler


async def fetch_words(message: str) -> AsyncIterator[str]:
    # Stands in for an async client (aiobotocore, httpx ...) that streams its answer.
    for word in message.split():
        await asyncio.sleep(0.01)
        yield word


@streaming_handler(content_type="text/plain; charset=utf-8")
async def handler(event: Any, context: Any) -> AsyncIterator[str]:
    message = json.loads(event.get("body") or "{}").get("message")
    if not message:  # raised on the first step of the body: still a real 400
        raise HTTPError(400, "send a JSON body with a 'message'")
    async for word in fetch_words(message):
        yield word + "\n"
