"""The ASGI adapter with plain ASGI callables: the message rules, streaming, failures, lifespan.

Apps built with Starlette and FastAPI, compared with uvicorn, are in tests/asgi; these tests
pin the adapter's own contract with apps small enough to show each rule.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from bedrock_stream.asgi import ASGIProtocolError, LifespanError, asgi_handler
from bedrock_stream.asgi.cycle import HIGH_WATER
from bedrock_stream.http_integration import DELIMITER
from bedrock_stream.local.function_url import url_event
from bedrock_stream.local.messages import Request
from bedrock_stream.sink import attach_sink, detach_sink
from bedrock_stream.testing import LambdaContextStub, MemorySink, invoke_streaming

EVENT = url_event(Request("GET", "/x?a=1", (("Host", "127.0.0.1:3001"),), b""))
START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"text/plain")],
}


def body(data: bytes, more: bool = False) -> dict[str, Any]:
    return {"type": "http.response.body", "body": data, "more_body": more}


class GateSink(MemorySink):
    """A sink that sets ``written`` after each write, so an app can wait for its bytes."""

    def __init__(self, fail_at: int | None = None) -> None:
        super().__init__()
        self.written = asyncio.Event()
        self.fail_at = fail_at

    def write(self, *chunks: bytes) -> None:
        if self.fail_at is not None and len(self.writes) == self.fail_at:
            raise ConnectionResetError("the client is gone")
        super().write(*chunks)
        self.written.set()


def stream(handler: Any, sink: MemorySink) -> Any:
    token = attach_sink(sink)
    try:
        return handler(EVENT, LambdaContextStub())
    finally:
        detach_sink(token)


async def written(sink: GateSink) -> None:
    """Wait for the next write; a short timeout makes a held-back write a clear failure."""
    await asyncio.wait_for(sink.written.wait(), 2)
    sink.written.clear()


def test_the_head_goes_out_at_response_start_and_each_body_message_as_it_is_sent() -> None:
    sink = GateSink()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(START)
        await written(sink)  # only returns once the prelude is in the sink
        await send(body(b"one", more=True))
        await written(sink)
        await send(body(b"two"))

    stream(asgi_handler(app, lifespan="off"), sink)
    parts = [b"".join(w.chunks) for w in sink.writes]
    assert parts[0].endswith(DELIMITER) and json.loads(parts[0][: -len(DELIMITER)]) == {
        "statusCode": 200,
        "headers": {"content-type": "text/plain"},
    }
    assert parts[1:] == [b"one", b"two"]


def test_the_scope_is_uvicorns_shape_and_receive_gives_the_body_then_a_late_disconnect() -> None:
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope)
        seen.append(await receive())

        async def listen() -> None:
            seen.append((await receive())["type"])

        listener = asyncio.ensure_future(listen())
        await asyncio.sleep(0)
        await send(START)
        seen.append("final body")
        await send(body(b"done"))
        await listener

    result = invoke_streaming(asgi_handler(app, lifespan="off"), EVENT)
    scope, request = seen[0], seen[1]
    assert scope["type"] == "http" and scope["asgi"] == {"version": "3.0", "spec_version": "2.3"}
    assert (scope["path"], scope["raw_path"], scope["query_string"]) == ("/x", b"/x", b"a=1")
    assert (b"host", b"127.0.0.1:3001") in scope["headers"]
    assert scope["aws.event"] is EVENT and scope["aws.context"] is not None
    assert request == {"type": "http.request", "body": b"", "more_body": False}
    assert seen[2:] == ["final body", "http.disconnect"]
    assert result.body == b"done"


def test_an_exception_before_the_start_is_a_generic_500(caplog: pytest.LogCaptureFixture) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("database password is hunter2")

    result = invoke_streaming(asgi_handler(app, lifespan="off"), EVENT)
    assert result.status == 500
    assert b"hunter2" not in result.body and json.loads(result.body)["message"]
    assert "hunter2" in caplog.text  # the log has it, the client never does


def test_an_exception_after_the_start_is_a_failed_stream_never_a_complete_one() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(START)
        await send(body(b"partial", more=True))
        raise RuntimeError("model went away")

    result = invoke_streaming(asgi_handler(app, lifespan="off"), EVENT)
    assert result.status == 200 and result.body == b"partial"
    assert isinstance(result.error, RuntimeError)


def test_a_failed_sse_stream_gets_no_frame_of_ours_in_the_apps_bytes() -> None:
    sse = [(b"content-type", b"text/event-stream")]

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": sse})
        await send(body(b"data: one\r\n\r\n", more=True))
        raise RuntimeError("model went away")

    result = invoke_streaming(asgi_handler(app, lifespan="off"), EVENT)
    assert result.body == b"data: one\r\n\r\n"  # no "event: error": the app's protocol
    assert isinstance(result.error, RuntimeError)  # the stream still ends as failed


@pytest.mark.parametrize(
    ("messages", "streamed"),
    [([], False), ([START, body(b"x", more=True)], True)],
    ids=["no-start", "no-last-body"],
)
def test_an_app_that_returns_early_is_an_error(messages: list[Any], streamed: bool) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        for message in messages:
            await send(message)

    result = invoke_streaming(asgi_handler(app, lifespan="off"), EVENT)
    if streamed:
        assert isinstance(result.error, ASGIProtocolError)
    else:
        assert result.status == 500 and result.error is None


@pytest.mark.parametrize(
    "bad",
    [
        [body(b"x")],
        [START, START],
        [{**START, "headers": [("content-type", "text/plain")]}],
        [{**START, "status": "200"}],
        [{"type": "http.response.trailers"}],
    ],
    ids=["body-first", "start-twice", "str-header", "str-status", "trailers"],
)
def test_messages_out_of_order_or_malformed_never_make_a_clean_response(bad: list[Any]) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        for message in bad:
            await send(message)
        await send(body(b"never"))

    result = invoke_streaming(asgi_handler(app, lifespan="off"), EVENT)
    assert result.status == 500 or isinstance(result.error, ASGIProtocolError)
    assert b"never" not in result.body


def test_framing_headers_are_dropped_and_set_cookies_become_cookies() -> None:
    headers = [
        (b"content-type", b"text/plain"),
        (b"content-length", b"2"),
        (b"transfer-encoding", b"chunked"),
        (b"connection", b"keep-alive"),
        (b"set-cookie", b"a=1"),
        (b"set-cookie", b"b=2"),
        (b"x-kept", b"1"),
        (b"x-kept", b"2"),
    ]

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 201, "headers": headers})
        await send(body(b"ok"))

    result = invoke_streaming(asgi_handler(app, lifespan="off"), EVENT)
    assert result.prelude is not None and result.prelude.status_code == 201
    assert dict(result.prelude.headers) == {"content-type": "text/plain", "x-kept": "1, 2"}
    assert result.prelude.cookies == ("a=1", "b=2")
    buffered = asgi_handler(app, lifespan="off")(EVENT, LambdaContextStub())
    assert buffered == {
        "statusCode": 201,
        "headers": {"content-type": "text/plain", "x-kept": "1, 2"},
        "cookies": ["a=1", "b=2"],
        "body": "ok",
        "isBase64Encoded": False,
    }


def test_background_work_runs_before_the_invocation_ends_and_a_late_exception_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    done: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(START)
        await send(body(b"complete"))
        await asyncio.sleep(0.01)
        done.append("background")
        raise RuntimeError("after the response")

    caplog.set_level(logging.ERROR, "bedrock_stream")
    result = invoke_streaming(asgi_handler(app, lifespan="off"), EVENT)
    assert done == ["background"]
    assert result.error is None and result.body == b"complete"
    assert "after its response was complete" in caplog.text


def test_a_client_gone_mid_stream_disconnects_and_cancels_the_app() -> None:
    sink = GateSink(fail_at=2)  # the prelude and one chunk go out, the next write fails
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()

        async def listen() -> None:
            seen.append((await receive())["type"])

        listener = asyncio.ensure_future(listen())
        await send(START)
        try:
            for n in range(100):
                await send(body(b"%d" % n, more=True))
                await asyncio.sleep(0)
        except asyncio.CancelledError:
            seen.append("cancelled")
            await listener
            raise

    with pytest.raises(ConnectionResetError):
        stream(asgi_handler(app, lifespan="off"), sink)
    assert sorted(seen) == ["cancelled", "http.disconnect"]
    assert len(sink.writes) == 2


def test_send_waits_for_the_writer_past_the_high_water_mark() -> None:
    piece = b"x" * 1024
    total = 4 * HIGH_WATER

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(START)
        for _ in range(total // len(piece)):
            await send(body(piece, more=True))  # never awaits anything else
        await send(body(b""))

    sink = MemorySink()
    stream(asgi_handler(app, lifespan="off"), sink)
    sizes = [len(b"".join(w.chunks)) for w in sink.writes[1:]]
    assert sum(sizes) == total
    assert len(sizes) >= 4 and max(sizes) <= HIGH_WATER + len(piece)


class LifespanApp:
    """An app whose startup does what ``startup`` says, and which records its events."""

    def __init__(self, startup: str = "complete") -> None:
        self.startup = startup
        self.events: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.events.append(f"request state={scope['state']}")
            await send(START)
            await send(body(b"ok"))
            return
        message = await receive()
        self.events.append(message["type"])
        if self.startup == "raise":
            raise AssertionError("lifespan? never heard of it")
        if self.startup == "failed":
            await send({"type": "lifespan.startup.failed", "message": "no database"})
            return
        scope["state"]["pool"] = "ready"
        await send({"type": "lifespan.startup.complete"})
        message = await receive()
        self.events.append(message["type"])
        await send({"type": "lifespan.shutdown.complete"})


def test_the_startup_runs_once_when_the_handler_is_made_and_fills_each_requests_state() -> None:
    app = LifespanApp()
    handler = asgi_handler(app)
    assert app.events == ["lifespan.startup"]
    handler(EVENT, LambdaContextStub())
    handler(EVENT, LambdaContextStub())
    assert app.events[1:] == ["request state={'pool': 'ready'}"] * 2


@pytest.mark.parametrize("mode", ["auto", "on"])
def test_a_failed_startup_is_an_error_with_its_message(mode: Any) -> None:
    with pytest.raises(LifespanError, match="no database"):
        asgi_handler(LifespanApp("failed"), lifespan=mode)


def test_an_app_without_lifespan_is_served_in_auto_mode_and_refused_in_on_mode() -> None:
    app = LifespanApp("raise")
    assert asgi_handler(app)(EVENT, LambdaContextStub())["body"] == "ok"
    with pytest.raises(LifespanError, match="never heard of it"):
        asgi_handler(LifespanApp("raise"), lifespan="on")
    off = LifespanApp()
    asgi_handler(off, lifespan="off")
    assert off.events == []
    with pytest.raises(ValueError, match="lifespan"):
        asgi_handler(off, lifespan="sometimes")  # type: ignore[arg-type]


def test_senders_waiting_at_once_past_the_high_water_mark_are_all_woken() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(START)
        big = body(b"x" * (HIGH_WATER + 1), more=True)
        await asyncio.wait_for(asyncio.gather(send(big), send(big)), 10)  # a hang fails it
        await send(body(b"end"))

    answer = asgi_handler(app, lifespan="off")(EVENT, LambdaContextStub())  # buffered
    assert answer["statusCode"] == 200
    assert answer["body"] == "x" * (2 * HIGH_WATER + 2) + "end"


def test_the_answer_to_head_keeps_its_head_and_drops_its_body() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({**START, "headers": [(b"content-type", b"text/plain"), (b"x-a", b"1")]})
        await send(body(b"not for HEAD", more=True))
        await send(body(b"either"))

    head = url_event(Request("HEAD", "/x", (("Host", "127.0.0.1:3001"),), b""))
    handler = asgi_handler(app, lifespan="off")
    streamed = invoke_streaming(handler, head)
    assert streamed.status == 200 and streamed.body == b""
    assert streamed.headers["x-a"] == "1" and streamed.headers["content-type"] == "text/plain"
    buffered = handler(head, LambdaContextStub())
    assert (buffered["statusCode"], buffered["body"]) == (200, "")


def test_made_inside_a_running_loop_the_handler_leaves_the_lifespan_to_that_server() -> None:
    app = LifespanApp()

    async def imported_by_a_server() -> None:  # uvicorn --reload imports the app in its loop
        asgi_handler(app)

    asyncio.run(imported_by_a_server())
    assert app.events == []
