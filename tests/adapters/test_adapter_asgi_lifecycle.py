"""The app's task across an invocation: waits that time out, cancellations, a head that
cannot go out, and SIGTERM while a request runs."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import StreamingResponse
from starlette.routing import Route

from bedrock_stream import _aio
from bedrock_stream.asgi import asgi_handler
from bedrock_stream.local.function_url import url_event
from bedrock_stream.local.messages import Request
from bedrock_stream.sink import attach_sink, detach_sink
from bedrock_stream.testing import LambdaContextStub, MemorySink, invoke_streaming

EVENT = url_event(Request("GET", "/x", (("Host", "127.0.0.1:3001"),), b""))
START = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"a/b")]}


def test_starlettes_is_disconnected_polls_without_breaking_the_request() -> None:
    async def events(request: StarletteRequest) -> Any:
        for n in range(3):
            if await request.is_disconnected():  # a receive() in a cancelled scope
                return
            yield f"data: {n}\n\n"

    async def route(request: StarletteRequest) -> StreamingResponse:
        return StreamingResponse(events(request), media_type="text/event-stream")

    app = Starlette(routes=[Route("/x", route)])
    handler = asgi_handler(app, lifespan="off")
    expected = "data: 0\n\ndata: 1\n\ndata: 2\n\n"
    assert handler(EVENT, LambdaContextStub())["body"] == expected
    streamed = invoke_streaming(handler, EVENT)
    assert streamed.error is None and streamed.body == expected.encode()


def test_a_receive_that_times_out_leaves_later_receives_working() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        for _ in range(2):
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(receive(), 0.01)
        await send(START)
        await send({"type": "http.response.body", "body": b"ok"})

    assert invoke_streaming(asgi_handler(app, lifespan="off"), EVENT).body == b"ok"


@pytest.mark.parametrize("when", ["before-start", "mid-stream"])
def test_an_app_whose_own_task_is_cancelled_gets_the_error_policy(when: str) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if when == "mid-stream":
            await send(START)
            await send({"type": "http.response.body", "body": b"part", "more_body": True})
        helper = asyncio.ensure_future(asyncio.sleep(10))
        helper.cancel()
        await helper  # raises CancelledError in the app: nobody cancelled the app itself

    handler = asgi_handler(app, lifespan="off")
    if when == "before-start":
        answer = handler(EVENT, LambdaContextStub())
        assert answer["statusCode"] == 500 and "Internal" in json.loads(answer["body"])["message"]
    else:
        streamed = invoke_streaming(handler, EVENT)
        assert streamed.body == b"part" and streamed.error is not None


def test_a_lifespan_startup_that_is_cancelled_does_not_hang_the_init() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        raise asyncio.CancelledError

    with pytest.raises(Exception, match="cancelled"):
        asgi_handler(app, lifespan="on")


class FirstWriteFails(MemorySink):
    def write(self, *chunks: bytes) -> None:
        raise ConnectionResetError("no connection for the head")


def test_a_head_that_cannot_go_out_stops_the_app_before_the_next_invocation() -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(START)
        try:
            await asyncio.sleep(5)
            seen.append("ran on")
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    token = attach_sink(FirstWriteFails())
    try:
        with pytest.raises(ConnectionResetError):
            asgi_handler(app, lifespan="off")(EVENT, LambdaContextStub())
    finally:
        detach_sink(token)
    assert seen == ["cancelled"]
    pending = _aio.run(_pending_tasks())
    assert pending == []


async def _pending_tasks() -> list[asyncio.Task[Any]]:
    current = asyncio.current_task()
    return [t for t in asyncio.all_tasks() if t is not current and "app" in repr(t.get_coro())]


SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from bedrock_stream.asgi import asgi_handler
    from bedrock_stream.local.function_url import url_event
    from bedrock_stream.local.messages import Request

    def log(line):
        with open(sys.argv[1], "a") as out:
            out.write(line + "\\n")

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.shutdown":
                    log("shutdown")
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        os.kill(os.getpid(), signal.SIGTERM)  # mid-request: Lambda stopping the sandbox
        log("request goes on")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
        log("request done")

    handler = asgi_handler(app)
    handler(url_event(Request("GET", "/", (("Host", "h"),), b"")), None)
    log("not reached: SIGTERM ends the process after the invocation")
    """
)


def test_sigterm_during_a_request_shuts_down_after_it(tmp_path: Path) -> None:
    log = tmp_path / "log"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(log)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == -signal.SIGTERM, done.stderr
    assert log.read_text().split("\n")[:-1] == ["request goes on", "request done", "shutdown"]
