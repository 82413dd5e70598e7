import asyncio
from collections.abc import AsyncIterator
from typing import Any

from bedrock_stream import streaming_handler
from bedrock_stream.sse import SSEEvent


@streaming_handler(format="sse")
async def handler(event: Any, context: Any) -> AsyncIterator[str | SSEEvent]:
    for token in ["Why", " is", " the", " sky", " blue?"]:
        await asyncio.sleep(0)  # an async model client
        yield token  # one `data:` event per token
    yield SSEEvent(data='{"outputTokens": 5}', event="usage")
