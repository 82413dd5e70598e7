"""The FastAPI app every server in asgi_bench.py serves: a stream of SSE-sized tokens.

``GET /stream?n=N&gap_ms=G`` answers ``text/event-stream`` with ``N`` events of 24 bytes
(``data: {"t":"tk000042"}`` and a blank line), each its own ``http.response.body``, the
first at once and the others ``G`` ms apart. Only FastAPI is imported: this module's import
is the app's cold-start cost that every server pays. With ``ASGI_BENCH_MARKS`` set to a
path, the import writes there when it began and ended (CLOCK_MONOTONIC ns, which every
process shares), so a server's cold start splits into before, during and after the app.
"""

from __future__ import annotations

import time

IMPORT_BEGAN = time.monotonic_ns()

import asyncio  # noqa: E402
import os  # noqa: E402
from collections.abc import AsyncIterator  # noqa: E402

from fastapi import FastAPI  # noqa: E402
from fastapi.responses import StreamingResponse  # noqa: E402

app = FastAPI()


def token(index: int) -> bytes:
    """Event ``index`` of a stream, 24 bytes."""
    return b'data: {"t":"tk%06d"}\n\n' % index


@app.get("/stream")
async def stream(n: int = 10, gap_ms: float = 0.0) -> StreamingResponse:
    async def events() -> AsyncIterator[bytes]:
        for index in range(n):
            if index and gap_ms:
                await asyncio.sleep(gap_ms / 1000)
            yield token(index)

    return StreamingResponse(events(), media_type="text/event-stream")


if marks := os.environ.get("ASGI_BENCH_MARKS"):
    with open(marks, "w") as out:
        out.write(f"{IMPORT_BEGAN} {time.monotonic_ns()}")
