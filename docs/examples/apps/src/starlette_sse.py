"""Server-Sent Events from Starlette and sse-starlette, with a task that runs after the body."""

import asyncio
from collections.abc import AsyncIterator

from sse_starlette import EventSourceResponse
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.routing import Route

from bedrock_stream.asgi import asgi_handler

SENT: list[int] = []


async def count(request: Request) -> EventSourceResponse:
    upto = int(request.query_params.get("upto", "3"))

    async def events() -> AsyncIterator[dict[str, str]]:
        for n in range(1, upto + 1):
            yield {"event": "count", "data": str(n)}
            await asyncio.sleep(0.05)
        yield {"data": "[DONE]"}

    # Runs after the last event, before the invocation ends.
    return EventSourceResponse(events(), background=BackgroundTask(SENT.append, upto))


app = Starlette(routes=[Route("/count", count)])
handler = asgi_handler(app)
