"""The ASGI conformance matrix's app: one FastAPI app, served by uvicorn and as a Lambda.

Each route shows one thing a web app does (see ``tests/asgi/test_asgi_matrix.py``). The
streaming routes take ``?gate=<dir>``: they send their first chunk, then wait for the file
``<dir>/release`` (see ``tests/app_matrix.py``). ``app`` is the FastAPI app behind a
one-line ASGI wrapper that raises, before any response, on ``/raw-crash``: no framework
catches that, so the server's own answer shows.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fastapi import BackgroundTasks, FastAPI, HTTPException, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import (
    FileResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from sse_starlette import EventSourceResponse

GATE_TIMEOUT = 10.0
"""Seconds a gated route waits for ``release`` before it writes ``timed-out`` and goes on."""

SECRET = "the-secret-detail-4711"
"""Text of the exceptions routes raise: it must never reach a client."""

BINARY_FIRST = b"\xff\xfe\x00\x80 first"
BINARY_REST = bytes(range(256)) * 4
"""The binary stream's chunks: not UTF-8, every byte value."""

LARGE_PATTERN = bytes(range(251))
"""Repeated for the large response (a prime length, so no chunk boundary lines up)."""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    """Start up: what it yields is every request's ``request.state``."""
    yield {"started": "yes"}


api = FastAPI(lifespan=lifespan)
api.add_middleware(GZipMiddleware, minimum_size=500)  # for clients that accept gzip


async def wait_at_gate(gate: str | None) -> None:
    """Wait for ``<gate>/release``; after :data:`GATE_TIMEOUT`, write ``timed-out``."""
    if gate is None:
        return
    release = Path(gate) / "release"
    for _ in range(int(GATE_TIMEOUT / 0.01)):
        if release.exists():
            return
        await asyncio.sleep(0.01)
    (Path(gate) / "timed-out").touch()


@api.get("/")
async def root(request: Request) -> dict[str, str]:
    """The app's root: behind a REST API, the stage's."""
    return {"path": request.scope["path"], "url_for": str(request.url_for("root"))}


@api.get("/json")
async def get_json(request: Request) -> JSONResponse:
    """A JSON body, a header of the app's own, and the lifespan's state."""
    return JSONResponse(
        {"hello": "wörld", "numbers": [1, 2, 3], "lifespan": request.state.started},
        headers={"X-Matrix": "json"},
    )


@api.get("/stream/text")
async def stream_text(gate: str | None = None) -> StreamingResponse:
    """Text, one line per chunk, the first before the gate."""

    async def lines() -> AsyncIterator[str]:
        yield "first line\n"
        await wait_at_gate(gate)
        for n in range(3):
            yield f"line {n}: ünïcödé\n"

    return StreamingResponse(lines(), media_type="text/plain; charset=utf-8")


@api.get("/stream/binary")
async def stream_binary(gate: str | None = None) -> StreamingResponse:
    """Bytes that are not UTF-8, the first chunk before the gate."""

    async def chunks() -> AsyncIterator[bytes]:
        yield BINARY_FIRST
        await wait_at_gate(gate)
        yield BINARY_REST

    return StreamingResponse(chunks(), media_type="application/octet-stream")


@api.get("/sse")
async def sse(gate: str | None = None) -> EventSourceResponse:
    """Server-sent events from sse-starlette, the first event before the gate."""

    async def events() -> AsyncIterator[dict[str, str]]:
        yield {"event": "first", "data": "one"}
        await wait_at_gate(gate)
        yield {"data": "two\nlines"}
        yield {"id": "3", "event": "last", "data": "three"}

    return EventSourceResponse(events(), ping=600)


@api.get("/stream/many")
async def stream_many(n: int = 2000) -> StreamingResponse:
    """``n`` small chunks, as fast as they come."""

    async def lines() -> AsyncIterator[bytes]:
        for i in range(n):
            yield b"%d\n" % i

    return StreamingResponse(lines(), media_type="text/plain")


@api.get("/file")
async def file() -> FileResponse:
    """This very file, with its ``ETag`` and ``Last-Modified``; a ``Range`` gets a 206."""
    return FileResponse(__file__, media_type="text/x-python")


@api.get("/items/{item_id}")
async def item(item_id: int) -> dict[str, int]:
    """Item 1 exists; others are a 404 with a detail; a non-integer id is a 422."""
    if item_id != 1:
        raise HTTPException(404, detail=f"no item {item_id}", headers={"X-Missing": "item"})
    return {"item": item_id}


@api.delete("/items/{item_id}")
async def delete_item(item_id: int) -> Response:
    """No content."""
    return Response(status_code=204)


@api.get("/teapot")
async def teapot() -> JSONResponse:
    """A status without a common reason phrase."""
    return JSONResponse({"tea": True}, status_code=418)


@api.get("/redirect")
async def redirect() -> RedirectResponse:
    """A relative redirect."""
    return RedirectResponse("/json?from=redirect", status_code=307)


@api.get("/redirect/absolute")
async def redirect_absolute(request: Request) -> RedirectResponse:
    """A redirect to a URL the app builds, stage prefix included."""
    return RedirectResponse(str(request.url_for("get_json")), status_code=303)


@api.get("/cookies")
async def cookies() -> JSONResponse:
    """Several ``Set-Cookie`` headers on one response."""
    response = JSONResponse({"cookies": 3})
    response.set_cookie("session", "abc123", httponly=True, samesite="strict")
    response.set_cookie("theme", "dark", max_age=3600, path="/")
    response.set_cookie("old", "", max_age=0, expires=datetime(2000, 1, 1, tzinfo=timezone.utc))
    return response


@api.get("/cookies/echo")
async def cookies_echo(request: Request) -> dict[str, str]:
    """The cookies the request carried, as the app parses them."""
    return request.cookies


@api.get("/headers")
async def headers(request: Request) -> dict[str, Any]:
    """Request headers as the app sees them: a repeated one, and one the client set once."""
    return {
        "x-custom": request.headers.getlist("x-custom"),
        "user-agent": request.headers.get("user-agent"),
        "content-type": request.headers.get("content-type"),
    }


@api.get("/headers/repeated")
async def repeated_headers() -> Response:
    """A header the response repeats, and one with an empty value."""
    response = Response(b"repeated", media_type="text/plain")
    response.headers.append("X-Twice", "1")
    response.headers.append("X-Twice", "2")
    response.headers.append("Vary", "Accept")
    response.headers.append("Vary", "Origin")
    response.headers["X-Empty"] = ""
    return response


@api.get("/untyped")
async def untyped() -> Response:
    """A body without a ``Content-Type``."""
    return Response(b"no type")


@api.get("/query")
async def query(request: Request) -> dict[str, Any]:
    """The query as the app parses it: repeated keys kept, in order."""
    return {"items": request.query_params.multi_items(), "a": request.query_params.getlist("a")}


@api.get("/where/{name}")
async def where(request: Request, name: str) -> dict[str, str]:
    """Where the app thinks it is: paths, root path and the URLs it builds."""
    scope = request.scope
    return {
        "url.path": request.url.path,
        "path": scope["path"],
        "raw_path": scope["raw_path"].decode("latin-1"),
        "root_path": scope["root_path"],
        "url": str(request.url),
        "base_url": str(request.base_url),
        "url_for": str(request.url_for("where", name="other")),
        "name": name,
    }


@api.post("/echo")
async def echo(request: Request) -> Response:
    """The request body back, with its length and SHA-256."""
    body = await request.body()
    return Response(
        body,
        media_type="application/octet-stream",
        headers={"X-Length": str(len(body)), "X-SHA256": hashlib.sha256(body).hexdigest()},
    )


@api.get("/large")
async def large(mib: int = 2) -> Response:
    """``mib`` MiB of :data:`LARGE_PATTERN`."""
    size = mib * 1024 * 1024
    body = (LARGE_PATTERN * (size // len(LARGE_PATTERN) + 1))[:size]
    return Response(body, media_type="application/octet-stream")


@api.post("/background")
async def background(path: str, value: str, tasks: BackgroundTasks) -> dict[str, bool]:
    """Answer, then (a background task) write ``value`` to the file ``path``."""
    tasks.add_task(Path(path).write_text, value)
    return {"scheduled": True}


@api.get("/read")
async def read(path: str) -> Response:
    """The text of the file ``path``, which a background task wrote."""
    return Response(Path(path).read_text(), media_type="text/plain")


@api.get("/boom")
async def boom() -> None:
    """Raise before any response: the framework's error middleware answers 500."""
    raise RuntimeError(SECRET)


@api.get("/stream/fail")
async def stream_fail() -> StreamingResponse:
    """Raise after the first chunk: the stream must not look complete."""

    async def chunks() -> AsyncIterator[str]:
        yield "first\n"
        await asyncio.sleep(0)
        raise RuntimeError(SECRET)

    return StreamingResponse(chunks(), media_type="text/plain")


async def app(
    scope: MutableMapping[str, Any],
    receive: Any,
    send: Any,
) -> None:
    """``api``, except that ``/raw-crash`` raises before any framework sees it."""
    if scope["type"] == "http" and scope["path"].endswith("/raw-crash"):
        raise RuntimeError(SECRET)
    await api(scope, receive, send)
