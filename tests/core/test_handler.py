"""@streaming_handler: shapes of handlers, errors before and after the first chunk, modes."""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from bedrock_stream import CORS, HTTPError, MidStreamError, StreamingResponse, streaming_handler
from bedrock_stream.handler import is_streaming_handler
from bedrock_stream.http_integration import CONTENT_TYPE, DELIMITER, Prelude
from bedrock_stream.sink import attach_sink, detach_sink
from bedrock_stream.sse import SSEEvent
from bedrock_stream.testing import LambdaContextStub, MemorySink, invoke_streaming

REQUEST_ID = LambdaContextStub().aws_request_id


# -- handler shapes -----------------------------------------------------------------


def sync_gen(event: Any, context: Any) -> Iterator[str | bytes]:
    yield "Hello, "
    yield b"world"


async def async_gen(event: Any, context: Any) -> AsyncIterator[str | bytes]:
    yield "Hello, "
    await asyncio.sleep(0)
    yield b"world"


def returns_list(event: Any, context: Any) -> list[Any]:
    return ["Hello, ", bytearray(b"wor"), memoryview(b"ld")]


async def coroutine_returning_async_iterable(event: Any, context: Any) -> Any:
    class Body:
        def __aiter__(self) -> AsyncIterator[str]:
            return async_gen(event, context)  # type: ignore[return-value]

    return Body()


def returns_str(event: Any, context: Any) -> str:
    return "Hello, world"


@pytest.mark.parametrize(
    "func", [sync_gen, async_gen, returns_list, coroutine_returning_async_iterable, returns_str]
)
def test_every_handler_shape_streams_and_buffers_the_same_body(
    func: Any, rest_event: dict[str, Any]
) -> None:
    handler = streaming_handler(func)
    streamed = invoke_streaming(handler, rest_event)
    assert streamed.error is None and streamed.returned is None
    assert streamed.content_type == CONTENT_TYPE
    assert streamed.prelude == Prelude(headers={"Content-Type": "text/plain; charset=utf-8"})
    assert streamed.body == b"Hello, world"
    buffered = handler(rest_event, LambdaContextStub())
    assert buffered == {
        "statusCode": 200,
        "headers": {"Content-Type": "text/plain; charset=utf-8"},
        "body": "Hello, world",
        "isBase64Encoded": False,
    }


def test_chunks_are_written_as_produced_and_prelude_travels_with_the_first(
    rest_event: dict[str, Any],
) -> None:
    sink = MemorySink()
    seen_by_sink_when_yielding: list[int] = []

    @streaming_handler
    def handler(event: Any, context: Any) -> Iterator[str]:
        for word in ["a", "", "b", "c"]:
            seen_by_sink_when_yielding.append(len(sink.writes))
            yield word

    token = attach_sink(sink)
    try:
        assert handler(rest_event, LambdaContextStub()) is None
    finally:
        detach_sink(token)
    # the generator is only resumed after the previous chunk reached the sink
    assert seen_by_sink_when_yielding == [0, 1, 1, 2]
    first = sink.writes[0].chunks
    assert len(first) == 2 and first[0].endswith(DELIMITER) and first[1] == b"a"
    assert [w.chunks for w in sink.writes[1:]] == [(b"b",), (b"c",)], "empty chunk skipped"


def test_bytearray_chunks_are_snapshotted(rest_event: dict[str, Any]) -> None:
    buffer = bytearray(b"one")

    @streaming_handler
    def handler(event: Any, context: Any) -> Iterator[bytearray]:
        yield buffer
        buffer[:] = b"two"
        yield buffer

    assert invoke_streaming(handler, rest_event).body == b"onetwo"


def test_a_non_chunk_before_the_first_chunk_is_a_500(
    rest_event: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    @streaming_handler
    def handler(event: Any, context: Any) -> Iterator[object]:
        yield 42

    result = invoke_streaming(handler, rest_event)
    assert result.prelude is not None and result.prelude.status_code == 500
    assert "int" in caplog.text and "TypeError" in caplog.text
    assert b"int" not in result.body


def test_a_non_chunk_after_the_first_chunk_is_a_mid_stream_type_error(
    rest_event: dict[str, Any],
) -> None:
    @streaming_handler
    def handler(event: Any, context: Any) -> Iterator[object]:
        yield "ok"
        yield 4.2

    result = invoke_streaming(handler, rest_event)
    assert isinstance(result.error, TypeError)
    assert "float" in str(result.error)
    assert result.body == b"ok"


def test_returning_a_non_iterable_is_a_500(rest_event: dict[str, Any]) -> None:
    handler = streaming_handler(lambda event, context: 42)
    response = handler(rest_event, LambdaContextStub())
    assert response["statusCode"] == 500


# -- errors ---------------------------------------------------------------------------


def test_http_error_before_the_first_chunk(rest_event: dict[str, Any]) -> None:
    @streaming_handler
    def handler(event: Any, context: Any) -> Iterator[str]:
        raise HTTPError(429, "slow down", headers={"Retry-After": "3"})
        yield "never"

    streamed = invoke_streaming(handler, rest_event)
    assert streamed.prelude == Prelude(
        status_code=429, headers={"Content-Type": "application/json", "Retry-After": "3"}
    )
    assert json.loads(streamed.body) == {"message": "slow down", "requestId": REQUEST_ID}
    buffered = handler(rest_event, LambdaContextStub())
    assert buffered["statusCode"] == 429
    assert json.loads(buffered["body"])["message"] == "slow down"


def test_http_error_with_a_body_of_its_own_sends_that_body(rest_event: dict[str, Any]) -> None:
    shape = {"error": {"message": "no such model", "type": "invalid_request_error"}}

    @streaming_handler
    def handler(event: Any, context: Any) -> Iterator[str]:
        raise HTTPError(404, "no such model", body=shape)
        yield "never"

    streamed = invoke_streaming(handler, rest_event)
    assert streamed.prelude is not None and streamed.prelude.status_code == 404
    assert json.loads(streamed.body) == shape
    buffered = handler(rest_event, LambdaContextStub())
    assert (buffered["statusCode"], json.loads(buffered["body"])) == (404, shape)


def test_other_errors_are_a_generic_500_without_exception_text(
    rest_event: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    @streaming_handler
    def handler(event: Any, context: Any) -> Iterator[str]:
        raise KeyError("secret-table-name")
        yield "never"

    with caplog.at_level(logging.ERROR, logger="bedrock_stream"):
        streamed = invoke_streaming(handler, rest_event)
    assert streamed.prelude is not None and streamed.prelude.status_code == 500
    body = json.loads(streamed.body)
    assert body == {"message": "Internal server error", "requestId": REQUEST_ID}
    assert b"secret" not in streamed.body and b"Traceback" not in streamed.body
    assert "secret-table-name" in caplog.text and "Traceback" in caplog.text
    assert REQUEST_ID in caplog.text


def test_error_in_the_plain_function_before_returning_a_body(rest_event: dict[str, Any]) -> None:
    def handler_func(event: Any, context: Any) -> Iterator[str]:
        if "message" not in json.loads(event["body"]):
            raise HTTPError(400, "message is required")
        return iter(["ok"])

    rest_event["body"] = "{}"
    response = streaming_handler(handler_func)(rest_event, LambdaContextStub())
    assert response["statusCode"] == 400


def test_error_after_the_first_chunk_is_a_mid_stream_error_with_the_partial_body(
    rest_event: dict[str, Any],
) -> None:
    @streaming_handler
    def handler(event: Any, context: Any) -> Iterator[str]:
        yield "partial "
        raise RuntimeError("model stream failed")

    sink = MemorySink()
    token = attach_sink(sink)
    try:
        with pytest.raises(MidStreamError) as caught:
            handler(rest_event, LambdaContextStub())
    finally:
        detach_sink(token)
    assert isinstance(caught.value.error, RuntimeError)
    assert caught.value.__cause__ is caught.value.error
    assert sink.data.endswith(DELIMITER + b"partial ")


def test_http_error_after_the_first_chunk_is_also_mid_stream(rest_event: dict[str, Any]) -> None:
    @streaming_handler
    def handler(event: Any, context: Any) -> Iterator[str]:
        yield "partial"
        raise HTTPError(503, "busy")

    result = invoke_streaming(handler, rest_event)
    assert isinstance(result.error, HTTPError)
    assert result.prelude is not None and result.prelude.status_code == 200


def test_buffered_failure_after_some_chunks_is_an_error_response_not_a_partial_200(
    rest_event: dict[str, Any],
) -> None:
    @streaming_handler
    def handler(event: Any, context: Any) -> Iterator[str]:
        yield "partial"
        raise RuntimeError("boom")

    response = handler(rest_event, LambdaContextStub())
    assert response["statusCode"] == 500
    assert "partial" not in response["body"]


def test_sse_mid_stream_error_is_also_sent_in_band(rest_event: dict[str, Any]) -> None:
    @streaming_handler(format="sse")
    def handler(event: Any, context: Any) -> Iterator[str]:
        yield "token"
        raise RuntimeError("secret detail")

    result = invoke_streaming(handler, rest_event)
    assert isinstance(result.error, RuntimeError)
    assert result.body.startswith(b"data: token\n\n")
    assert result.body.endswith(
        b'event: error\ndata: {"message":"Internal server error","requestId":"'
        + REQUEST_ID.encode()
        + b'"}\n\n'
    )
    assert b"secret" not in result.body


@pytest.mark.parametrize("content_type", ["text/event-stream", "application/x-ndjson"])
def test_a_responses_error_event_replaces_the_default_in_band_error(
    rest_event: dict[str, Any], content_type: str
) -> None:
    seen: list[Exception] = []

    def error_event(exc: Exception) -> bytes:
        seen.append(exc)
        return b'data: {"error":{"message":"the stream failed"}}\n\n'

    def body() -> Iterator[str]:
        yield "data: token\n\n"
        raise RuntimeError("secret detail")

    @streaming_handler
    def handler(event: Any, context: Any) -> StreamingResponse:
        return StreamingResponse(body(), content_type=content_type, error_event=error_event)

    result = invoke_streaming(handler, rest_event)
    assert isinstance(result.error, RuntimeError) and seen == [result.error]
    assert result.body == b'data: token\n\ndata: {"error":{"message":"the stream failed"}}\n\n'
    buffered = handler(rest_event, LambdaContextStub())  # nothing was sent: an error response
    assert buffered["statusCode"] == 500 and "token" not in buffered["body"]


def test_a_failing_error_event_still_ends_the_stream_as_failed(
    rest_event: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    def error_event(exc: Exception) -> bytes:
        raise KeyError("frame bug")

    def body() -> Iterator[str]:
        yield "data: token\n\n"
        raise RuntimeError("model failed")

    @streaming_handler
    def handler(event: Any, context: Any) -> StreamingResponse:
        return StreamingResponse(body(), content_type="text/event-stream", error_event=error_event)

    with caplog.at_level(logging.ERROR, logger="bedrock_stream"):
        result = invoke_streaming(handler, rest_event)
    assert isinstance(result.error, RuntimeError)  # the stream's own failure, not the frame's
    assert b'event: error\ndata: {"message":"Internal server error"' in result.body
    assert "frame bug" in caplog.text


def test_an_http_error_body_that_is_not_json_falls_back_to_the_message(
    rest_event: dict[str, Any],
) -> None:
    @streaming_handler
    def handler(event: Any, context: Any) -> Iterator[str]:
        raise HTTPError(400, "bad request", body={"error": object()})
        yield "never"

    response = handler(rest_event, LambdaContextStub())
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["message"] == "bad request"


# -- sink failures: the generator is closed --------------------------------------------


class BrokenSink(MemorySink):
    def __init__(self, fail_on_write: int) -> None:
        super().__init__()
        self.fail_on_write = fail_on_write

    def write(self, *chunks: bytes) -> None:
        if len(self.writes) + 1 == self.fail_on_write:
            raise ConnectionResetError("runtime api went away")
        super().write(*chunks)


def test_sink_failure_closes_a_sync_generator_and_propagates(rest_event: dict[str, Any]) -> None:
    events: list[str] = []

    @streaming_handler
    def handler(event: Any, context: Any) -> Iterator[str]:
        try:
            for i in range(10):
                events.append(f"yield {i}")
                yield str(i)
        finally:
            events.append("closed")

    token = attach_sink(BrokenSink(fail_on_write=2))
    try:
        with pytest.raises(ConnectionResetError):
            handler(rest_event, LambdaContextStub())
    finally:
        detach_sink(token)
    assert events == ["yield 0", "yield 1", "closed"]


def test_sink_failure_acloses_an_async_generator(rest_event: dict[str, Any]) -> None:
    events: list[str] = []

    @streaming_handler
    async def handler(event: Any, context: Any) -> AsyncIterator[str]:
        try:
            for i in range(10):
                events.append(f"yield {i}")
                yield str(i)
        finally:
            await asyncio.sleep(0)
            events.append("closed")

    token = attach_sink(BrokenSink(fail_on_write=1))
    try:
        with pytest.raises(ConnectionResetError):
            handler(rest_event, LambdaContextStub())
    finally:
        detach_sink(token)
    assert events == ["yield 0", "closed"]


# -- bodies, modes and payload versions -------------------------------------------------


def test_empty_body_streams_a_prelude_only(rest_event: dict[str, Any]) -> None:
    handler = streaming_handler(lambda event, context: [])
    result = invoke_streaming(handler, rest_event)
    assert result.prelude is not None and result.body == b""
    assert len(result.writes) == 1 and result.writes[0].chunks[0].endswith(DELIMITER)


def test_buffered_binary_body_is_base64(rest_event: dict[str, Any]) -> None:
    @streaming_handler(content_type="application/octet-stream")
    def handler(event: Any, context: Any) -> Iterator[bytes]:
        yield b"\x00\xff"
        yield b"\x10"

    response = handler(rest_event, LambdaContextStub())
    assert response["isBase64Encoded"] is True
    assert base64.b64decode(response["body"]) == b"\x00\xff\x10"


def test_buffered_text_type_with_invalid_utf8_falls_back_to_base64(
    rest_event: dict[str, Any],
) -> None:
    handler = streaming_handler(lambda event, context: [b"\xff"])
    response = handler(rest_event, LambdaContextStub())
    assert response["isBase64Encoded"] is True and response["body"] == "/w=="


def test_v1_repeated_headers_and_cookies(rest_event: dict[str, Any]) -> None:
    @streaming_handler(headers={"X-Multi": ["a", "b"], "X-One": "1"}, cookies=["c1=x", "c2=y"])
    def handler(event: Any, context: Any) -> Iterator[str]:
        yield "hi"

    response = handler(rest_event, LambdaContextStub())
    assert response["headers"] == {"Content-Type": "text/plain; charset=utf-8", "X-One": "1"}
    assert response["multiValueHeaders"] == {"X-Multi": ["a", "b"], "Set-Cookie": ["c1=x", "c2=y"]}
    streamed = invoke_streaming(handler, rest_event)
    assert streamed.prelude == Prelude(
        headers={"Content-Type": "text/plain; charset=utf-8", "X-One": "1"},
        multi_value_headers={"X-Multi": ["a", "b"]},
        cookies=["c1=x", "c2=y"],
    )


def test_v2_cookies_top_level_and_repeated_headers_joined(url_event: dict[str, Any]) -> None:
    @streaming_handler(headers={"X-Multi": ["a", "b"]}, cookies=["c1=x"])
    def handler(event: Any, context: Any) -> Iterator[str]:
        yield "hi"

    response = handler(url_event, LambdaContextStub())
    assert "multiValueHeaders" not in response
    assert response["headers"]["X-Multi"] == "a, b"
    assert response["cookies"] == ["c1=x"]
    streamed = invoke_streaming(handler, url_event)
    assert streamed.prelude is not None
    assert streamed.prelude.headers["X-Multi"] == "a, b"
    assert streamed.prelude.multi_value_headers == {}
    assert streamed.prelude.cookies == ("c1=x",)


def test_per_request_response_overrides_static_options(rest_event: dict[str, Any]) -> None:
    @streaming_handler(status_code=200, headers={"X-Static": "1", "X-Over": "static"})
    def handler(event: Any, context: Any) -> StreamingResponse:
        return StreamingResponse(
            body=iter(["{}"]),
            status_code=202,
            content_type="application/json",
            headers={"x-over": "request"},
            cookies=["session=abc"],
        )

    result = invoke_streaming(handler, rest_event)
    assert result.prelude == Prelude(
        status_code=202,
        headers={"Content-Type": "application/json", "X-Static": "1", "x-over": "request"},
        cookies=["session=abc"],
    )


def test_invalid_per_request_metadata_is_a_500_before_any_byte(rest_event: dict[str, Any]) -> None:
    handler = streaming_handler(
        lambda event, context: StreamingResponse(body=["x"], headers={"X-Bad": "a\r\nb"})
    )
    result = invoke_streaming(handler, rest_event)
    assert result.prelude is not None and result.prelude.status_code == 500


def test_raw_invocation_has_no_prelude(rest_event: dict[str, Any]) -> None:
    handler = streaming_handler(sync_gen)
    result = invoke_streaming(handler, {"prompt": "direct SDK call"})
    assert result.content_type == "text/plain; charset=utf-8"
    assert result.prelude is None and result.body == b"Hello, world"
    assert handler({"prompt": "x"}, LambdaContextStub()) == b"Hello, world"


def test_raw_invocation_errors_propagate() -> None:
    @streaming_handler
    def handler(event: Any, context: Any) -> Iterator[str]:
        raise ValueError("no status code to use")
        yield ""

    with pytest.raises(ValueError, match="no status code"):
        handler({}, LambdaContextStub())
    with pytest.raises(ValueError, match="no status code"):
        invoke_streaming(handler, {})


def test_http_argument_overrides_event_detection(rest_event: dict[str, Any]) -> None:
    forced_on = streaming_handler(http=True)(sync_gen)
    result = invoke_streaming(forced_on, {"raw": True})
    assert result.content_type == CONTENT_TYPE and result.body == b"Hello, world"
    assert forced_on({"raw": True}, LambdaContextStub())["statusCode"] == 200
    forced_off = streaming_handler(http=False)(sync_gen)
    result = invoke_streaming(forced_off, rest_event)
    assert result.prelude is None and result.content_type == "text/plain; charset=utf-8"


# -- CORS -----------------------------------------------------------------------------


def test_cors_headers_in_both_modes_and_on_errors(rest_event: dict[str, Any]) -> None:
    cors = CORS(allow_origin="https://app.example", allow_methods=("POST",))

    @streaming_handler(cors=cors)
    def handler(event: Any, context: Any) -> Iterator[str]:
        if event.get("fail"):
            raise HTTPError(400, "bad")
        yield "ok"

    expected = {
        "Access-Control-Allow-Origin": "https://app.example",
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Content-Type,Authorization",
    }
    streamed = invoke_streaming(handler, rest_event)
    assert streamed.prelude is not None
    assert expected.items() <= streamed.prelude.headers.items()
    assert expected.items() <= handler(rest_event, LambdaContextStub())["headers"].items()
    failing = {**rest_event, "fail": True}
    assert expected.items() <= handler(failing, LambdaContextStub())["headers"].items()


def test_cors_preflight_is_answered_without_calling_the_function(
    rest_event: dict[str, Any],
) -> None:
    calls: list[Any] = []

    @streaming_handler(cors=True)
    def handler(event: Any, context: Any) -> Iterator[str]:
        calls.append(event)
        yield "never"

    preflight = {**rest_event, "httpMethod": "OPTIONS", "body": None}
    response = handler(preflight, LambdaContextStub())
    assert response["statusCode"] == 204
    assert response["headers"]["Access-Control-Max-Age"] == "300"
    assert response["body"] == ""
    streamed = invoke_streaming(handler, preflight)
    assert streamed.prelude is not None and streamed.prelude.status_code == 204
    assert calls == []


def test_cors_with_credentials_needs_an_explicit_origin() -> None:
    with pytest.raises(ValueError, match="allow_credentials"):
        CORS(allow_credentials=True)


# -- formats -----------------------------------------------------------------------------


def test_sse_format(rest_event: dict[str, Any]) -> None:
    @streaming_handler(format="sse")
    def handler(event: Any, context: Any) -> Iterator[Any]:
        yield "line one\nline two"
        yield SSEEvent(data="{}", event="usage", id="7")
        yield b": raw comment\n\n"

    result = invoke_streaming(handler, rest_event)
    assert result.prelude is not None
    assert result.prelude.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert result.prelude.headers["Cache-Control"] == "no-cache"
    assert result.body == (
        b"data: line one\ndata: line two\n\nevent: usage\nid: 7\ndata: {}\n\n: raw comment\n\n"
    )


def test_sse_cache_control_can_be_overridden(rest_event: dict[str, Any]) -> None:
    handler = streaming_handler(format="sse", headers={"cache-control": "no-store"})(sync_gen)
    prelude = invoke_streaming(handler, rest_event).prelude
    assert prelude is not None and prelude.headers["cache-control"] == "no-store"
    assert "Cache-Control" not in prelude.headers


def test_ndjson_format(rest_event: dict[str, Any]) -> None:
    @streaming_handler(format="ndjson")
    def handler(event: Any, context: Any) -> Iterator[Any]:
        yield {"text": "a\nb"}
        yield "plain"
        yield [1, None]

    result = invoke_streaming(handler, rest_event)
    lines = result.body.split(b"\n")
    assert lines[-1] == b""
    assert [json.loads(line) for line in lines[:-1]] == [{"text": "a\nb"}, "plain", [1, None]]


# -- heartbeats (early prelude) -----------------------------------------------------------------


class SignallingSink(MemorySink):
    def __init__(self) -> None:
        super().__init__()
        self.condition = threading.Condition()

    def write(self, *chunks: bytes) -> None:
        with self.condition:
            super().write(*chunks)
            self.condition.notify_all()

    def wait_for(self, data: bytes) -> None:
        with self.condition:
            assert self.condition.wait_for(lambda: data in self.data, timeout=30)


def test_heartbeat_mode_sends_the_prelude_at_once_then_heartbeats_then_in_band_error(
    rest_event: dict[str, Any],
) -> None:
    sink = SignallingSink()

    @streaming_handler(format="sse", heartbeat=0.01)
    def handler(event: Any, context: Any) -> Iterator[str]:
        sink.wait_for(b": heartbeat\n\n")  # a slow model: nothing until heartbeats flowed
        raise RuntimeError("model failed before its first token")
        yield "never"

    token = attach_sink(sink)
    try:
        with pytest.raises(MidStreamError):
            handler(rest_event, LambdaContextStub())
    finally:
        detach_sink(token)
    writes = [b"".join(w.chunks) for w in sink.writes]
    assert writes[0].endswith(DELIMITER), "prelude first, alone"
    assert json.loads(writes[0][: -len(DELIMITER)])["statusCode"] == 200
    assert set(writes[1:-1]) == {b": heartbeat\n\n"}
    assert writes[-1].startswith(b"event: error\ndata: ")
    count = len(sink.writes)
    threading.Event().wait(0.05)
    assert len(sink.writes) == count, "no heartbeat after the handler returned"


def test_heartbeat_mode_keeps_status_codes_for_errors_before_the_body(
    rest_event: dict[str, Any],
) -> None:
    def handler_func(event: Any, context: Any) -> Iterator[str]:
        raise HTTPError(400, "invalid request")

    handler = streaming_handler(format="sse", heartbeat=0.01)(handler_func)
    result = invoke_streaming(handler, rest_event)
    assert result.prelude is not None and result.prelude.status_code == 400


def test_heartbeat_from_the_environment_applies_to_sse_handlers_only(
    rest_event: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEDROCK_STREAM_HEARTBEAT", "0.01")
    sink = SignallingSink()

    @streaming_handler(format="sse")
    def handler(event: Any, context: Any) -> Iterator[str]:
        sink.wait_for(b": heartbeat\n\n")
        yield "token"

    plain = streaming_handler(sync_gen)  # not SSE: the variable does not apply
    token = attach_sink(sink)
    try:
        handler(rest_event, LambdaContextStub())
    finally:
        detach_sink(token)
    assert sink.data.endswith(b"data: token\n\n")
    assert invoke_streaming(plain, rest_event).body == b"Hello, world"


def test_heartbeat_argument_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEDROCK_STREAM_HEARTBEAT", "not-a-number")
    with pytest.raises(ValueError, match="BEDROCK_STREAM_HEARTBEAT"):
        streaming_handler(format="sse")(sync_gen)
    assert streaming_handler(format="sse", heartbeat=0)(sync_gen) is not None


# -- decoration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status_code": 700}, "statusCode"),
        ({"headers": {"Bad Header": "x"}}, "headers"),
        ({"cookies": ["a\nb"]}, "cookies"),
        ({"format": "xml"}, "format"),
        ({"heartbeat": 5}, "heartbeat"),
        ({"format": "sse", "heartbeat": -1}, "non-negative"),
    ],
)
def test_invalid_options_fail_at_decoration(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        streaming_handler(**kwargs)(sync_gen)


def test_bare_and_called_forms_and_wrapping_metadata() -> None:
    bare = streaming_handler(sync_gen)
    called = streaming_handler()(sync_gen)
    assert bare.__name__ == called.__name__ == "sync_gen"
    assert bare.__wrapped__ is sync_gen  # type: ignore[attr-defined]
    assert is_streaming_handler(bare) and is_streaming_handler(called)

    def outer(func: Any) -> Any:
        @functools.wraps(func)
        def wrapper(event: Any, context: Any) -> Any:
            return func(event, context)

        return wrapper

    assert is_streaming_handler(outer(bare))
    assert not is_streaming_handler(sync_gen)


def test_async_handlers_share_one_event_loop_across_invocations(
    rest_event: dict[str, Any],
) -> None:
    loops: list[asyncio.AbstractEventLoop] = []

    @streaming_handler
    async def handler(event: Any, context: Any) -> AsyncIterator[str]:
        loops.append(asyncio.get_running_loop())
        yield "x"

    handler(rest_event, LambdaContextStub())
    invoke_streaming(handler, rest_event)
    assert len(loops) == 2 and loops[0] is loops[1] and not loops[0].is_closed()
