"""A FastAPI app as a streaming Lambda function: a JSON route and a streamed one."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

from bedrock_stream.asgi import asgi_handler


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.words = [
        "each",
        "word",
        "leaves",
        "as",
        "soon",
        "as",
        "it",
        "is",
        "written",
    ]  # Lambda's init
    yield
    print("shutdown: on SIGTERM or at exit")


app = FastAPI(lifespan=lifespan)


@app.get("/where")
def where(request: Request) -> dict[str, Any]:
    return {"root_path": request.scope["root_path"], "path": request.url.path}


@app.get("/words")
async def words(request: Request) -> StreamingResponse:
    async def each() -> AsyncIterator[str]:
        for word in request.app.state.words:
            yield word + "\n"
            await asyncio.sleep(0.05)

    return StreamingResponse(each(), media_type="text/plain; charset=utf-8")


handler = asgi_handler(app)
