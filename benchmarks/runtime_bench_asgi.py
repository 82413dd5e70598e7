"""The Lambda Web Adapter app path: uvicorn + Starlette StreamingResponse, same workloads."""

from __future__ import annotations

import asyncio
import time

from starlette.applications import Starlette
from starlette.requests import Request  # noqa: TC002 - Starlette reads the annotation
from starlette.responses import StreamingResponse
from starlette.routing import Route

TOKEN = b"0123456789abcdef"
BLOCK = b"z" * 65536


async def stream(request: Request) -> StreamingResponse:
    kind = request.path_params["kind"]

    async def body():
        if kind == "burst":
            for _ in range(100_000):
                yield TOKEN
        elif kind == "large":
            for _ in range(3200):
                yield BLOCK
        else:
            for _ in range(200):
                await asyncio.sleep(0.01)
                yield b"T%019d...........\n" % time.monotonic_ns()

    return StreamingResponse(body(), media_type="application/octet-stream")


app = Starlette(routes=[Route("/{kind}", stream)])
