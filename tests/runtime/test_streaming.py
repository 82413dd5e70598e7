"""Streaming invocations: the chunked /response, trailers, faults, and AWS's Node client."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import h11
import pytest

from bedrock_stream import StreamingResponse, streaming_handler
from bedrock_stream.http_integration import DELIMITER
from bedrock_stream.local.runtime_api import BodyChunk, Done, RuntimeAPIServer
from bedrock_stream.runtime import stream
from bedrock_stream.runtime.client import RuntimeAPI
from bedrock_stream.runtime.loop import Runtime
from bedrock_stream.sink import ResponseSink, current_sink

CONFORMANCE = Path(__file__).parent.parent / "data" / "conformance"
REST_EVENT = {"httpMethod": "POST", "requestContext": {}, "headers": {}}
TRAILER_NAMES = {"lambda-runtime-function-error-type", "lambda-runtime-function-error-body"}


def node(scenario: str) -> tuple[dict[str, str], bytes, dict[str, str]]:
    """The Node capture de-chunked by h11: headers (Trailer lines joined), body, trailers."""
    record = json.loads((CONFORMANCE / f"node-{scenario}.json").read_text())["requests"][-1]
    server = h11.Connection(h11.SERVER)
    server.receive_data(record["request_head"].encode() + b"\r\n\r\n")
    server.receive_data(base64.b64decode(record["body_wire_base64"]))
    headers: dict[str, str] = {}
    body = b""
    while True:
        event = server.next_event()
        if isinstance(event, h11.Request):
            for k, v in event.headers:
                key = k.decode().lower()
                headers[key] = f"{headers[key]}, {v.decode()}" if key in headers else v.decode()
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            return headers, body, {k.decode().lower(): v.decode() for k, v in event.headers}


def _sink() -> ResponseSink:
    sink = current_sink()
    assert sink is not None
    return sink


def trailer_names(headers: dict[str, str]) -> set[str]:
    return {n.strip().lower() for n in headers.get("trailer", "").split(",") if n.strip()}


def split(body: bytes) -> tuple[dict[str, Any], bytes]:
    prelude, _, rest = body.partition(DELIMITER)
    return json.loads(prelude), rest


# -- a hand-written handler on the sink contract -----------------------------------


def test_raw_sink_handler_streams_with_the_real_headers(harness: Any) -> None:
    def handler(event: Any, context: Any) -> Any:
        sink = _sink()
        sink.start("application/x-ndjson")
        sink.write(b'{"a":1}\n', b'{"b":2}\n')
        sink.write(b"")
        sink.write(b"end\n")

    got = harness.invoke(handler, {})
    assert got.status == "success"
    assert got.content_type == "application/x-ndjson"
    assert got.headers["lambda-runtime-function-response-mode"] == "streaming"
    assert got.headers["transfer-encoding"] == "chunked"
    assert trailer_names(got.headers) == TRAILER_NAMES
    assert got.body == b'{"a":1}\n{"b":2}\nend\n'
    assert got.trailers == {}


def test_started_without_a_write_is_an_empty_stream(harness: Any) -> None:
    got = harness.invoke(lambda e, c: _sink().start("text/plain"), {})
    assert (got.status, got.content_type, got.body) == ("success", "text/plain", b"")


def test_a_chunk_that_looks_like_the_end_is_framed(harness: Any) -> None:
    evil = b"a\r\n0\r\n\r\nPOST / HTTP/1.1\r\n\r\n"

    @streaming_handler(http=False)
    def handler(event: Any, context: Any) -> Any:
        yield evil
        yield b"after"

    got = harness.invoke(handler, {})
    assert got.body == evil + b"after"
    assert got.status == "success"


# -- the Node.js client's captures, scenario by scenario --------------------------------
#
# | scenario                | compared                                              |
# |-------------------------|-------------------------------------------------------|
# | text, metadata, large   | prelude (as JSON), delimiter and body bytes equal       |
# | raw-no-prelude          | body bytes equal, content type equal                   |
# | empty-with-prelude      | equal (status 204 prelude)                             |
# | empty-no-write          | DIFFERENT: Node sends no prelude; we always send one   |
# | error-mid-stream        | body equal; trailers: same names, base64 single-line   |
# |                         | JSON, in awslambdaric's shape (Node: errorType,        |
# |                         | errorMessage, trace)                                   |
# | error-before-first-byte | DIFFERENT: Node posts an empty body + trailers; an HTTP |
# |                         | handler of ours answers a 500 prelude + JSON body      |
# Headers: Content-Type, Response-Mode, Transfer-Encoding and the Trailer names agree
# in meaning in every scenario (Node sends two Trailer lines, we send one joined line).


def _http(handler_func: Any, **options: Any) -> Any:
    return streaming_handler(**options)(handler_func)


def _text(event: Any, context: Any) -> Any:
    yield "Hello, "
    yield "world"


def _metadata(event: Any, context: Any) -> Any:
    def body() -> Any:
        yield "data: \u00fcber \U0001f600\n\n"
        yield b"\x00\x01\x02\xff"

    return StreamingResponse(
        body=body(),
        status_code=201,
        content_type="text/event-stream",
        headers={"X-Note": 'caf\u00e9 "q"', "X-Multi": ["a", "b"]},
        cookies=["c1=blue; Path=/", "c2=red"],
    )


def _large(event: Any, context: Any) -> Any:
    yield b"a" * 100_000


SCENARIOS = {
    "text": _http(_text, content_type="text/plain; charset=utf-8"),
    "large": _http(_large, content_type="application/octet-stream"),
}


def _assert_same_headers(ours: dict[str, str], theirs: dict[str, str]) -> None:
    for name in ("content-type", "lambda-runtime-function-response-mode", "transfer-encoding"):
        assert ours[name].lower() == theirs[name].lower(), name
    assert trailer_names(ours) == trailer_names(theirs) == TRAILER_NAMES


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_same_bytes_as_the_node_client(harness: Any, scenario: str) -> None:
    headers, body, trailers = node(scenario)
    got = harness.invoke(SCENARIOS[scenario], REST_EVENT)
    _assert_same_headers(got.headers, headers)
    assert split(got.body) == split(body)
    assert got.body.partition(DELIMITER)[2] == body.partition(DELIMITER)[2]
    assert got.trailers == trailers == {}


def test_metadata_like_the_node_client(harness: Any) -> None:
    headers, body, _ = node("metadata")
    got = harness.invoke(streaming_handler(_metadata), REST_EVENT)
    _assert_same_headers(got.headers, headers)
    prelude, rest = split(got.body)
    assert prelude["headers"].pop("Cache-Control") == "no-cache"  # deliberate: SSE
    assert (prelude, rest) == split(body)
    assert got.body.partition(DELIMITER)[2] == body.partition(DELIMITER)[2]


def test_raw_stream_like_the_node_client(harness: Any) -> None:
    headers, body, _ = node("raw-no-prelude")

    @streaming_handler(content_type="application/x-ndjson", http=False)
    def handler(event: Any, context: Any) -> Any:
        yield '{"a":1}\n'
        yield '{"b":2}\n'

    got = harness.invoke(handler, {"scenario": "raw"})
    _assert_same_headers(got.headers, headers)
    assert got.body == body


def test_empty_body_with_prelude_like_the_node_client(harness: Any) -> None:
    _, body, _ = node("empty-with-prelude")

    @streaming_handler(status_code=204)
    def handler(event: Any, context: Any) -> Any:
        yield ""

    got = harness.invoke(handler, REST_EVENT)
    assert split(got.body)[0]["statusCode"] == split(body)[0]["statusCode"] == 204
    assert got.body.endswith(DELIMITER) and body.endswith(DELIMITER)


def test_empty_no_write_differs_deliberately(harness: Any) -> None:
    """Node sends no prelude (API Gateway then fails); we always send prelude + delimiter."""
    _, body, _ = node("empty-no-write")
    assert DELIMITER not in body

    @streaming_handler
    def handler(event: Any, context: Any) -> Any:
        return iter(())

    got = harness.invoke(handler, REST_EVENT)
    assert split(got.body) == ({"statusCode": 200, "headers": split(got.body)[0]["headers"]}, b"")


def test_error_mid_stream_trailers(harness: Any) -> None:
    headers, body, trailers = node("error-mid-stream")
    closed = []

    class ModelStreamError(Exception):
        pass

    @streaming_handler(content_type="text/plain")
    def handler(event: Any, context: Any) -> Any:
        try:
            yield "partial "
            raise ModelStreamError("model stream failed")
        finally:
            closed.append(True)

    got = harness.invoke(handler, REST_EVENT, request_id="req-mid")
    _assert_same_headers(got.headers, headers)
    assert got.body.partition(DELIMITER)[2] == body.partition(DELIMITER)[2] == b"partial "
    assert set(got.trailers) == set(trailers) == TRAILER_NAMES
    assert got.trailers["lambda-runtime-function-error-type"] == "ModelStreamError"
    raw = got.trailers["lambda-runtime-function-error-body"]
    decoded = base64.b64decode(raw, validate=True)
    assert b"\n" not in decoded and b"\r" not in decoded
    error = json.loads(decoded)
    assert list(error) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert error["errorMessage"] == "model stream failed"
    assert error["requestId"] == "req-mid"
    assert any("raise ModelStreamError" in line for line in error["stackTrace"])
    assert got.status == "failure" and got.error_type == "ModelStreamError"
    assert closed == [True]


def test_error_before_first_byte_differs_deliberately(harness: Any) -> None:
    """Node: empty body + trailers. Ours (HTTP): the decorator's 500 prelude and JSON body."""
    _, body, trailers = node("error-before-first-byte")
    assert body == b"" and trailers

    @streaming_handler
    def handler(event: Any, context: Any) -> Any:
        raise TypeError("bad input")
        yield ""  # pragma: no cover

    got = harness.invoke(handler, REST_EVENT)
    prelude, rest = split(got.body)
    assert prelude["statusCode"] == 500
    assert "message" in json.loads(rest)
    assert got.trailers == {}


def test_raw_error_before_first_byte_posts_error(harness: Any) -> None:
    @streaming_handler(http=False)
    def handler(event: Any, context: Any) -> Any:
        raise KeyError("nope")
        yield b""  # pragma: no cover

    got = harness.invoke(handler, {})
    assert got.content_type is None  # no /response at all
    assert got.error_type == "KeyError"
    assert got.error_json()["errorMessage"] == "'nope'"


def test_handler_yields_an_int(harness: Any) -> None:
    @streaming_handler(http=False)
    def first(event: Any, context: Any) -> Any:
        yield 1

    got = harness.invoke(first, {})
    assert (got.content_type, got.error_type) == (None, "TypeError")

    @streaming_handler(http=False)
    def later(event: Any, context: Any) -> Any:
        yield b"ok"
        yield 2

    got = harness.invoke(later, {})
    assert got.body == b"ok"
    assert got.error_type == "TypeError"
    assert got.trailers["lambda-runtime-function-error-type"] == "TypeError"


async def _async_gen_handler(event: Any, context: Any) -> AsyncIterator[str]:
    yield "a"
    yield "b"


def test_async_generator_streams(harness: Any) -> None:
    got = harness.invoke(streaming_handler(http=False)(_async_gen_handler), {})
    assert got.body == b"ab"


def test_sam_local_buffers_a_proxy_response(harness: Any) -> None:
    got = harness.invoke(SCENARIOS["text"], REST_EVENT, streaming=False)
    assert got.content_type == "application/json"
    proxy = json.loads(got.body)
    assert proxy["statusCode"] == 200
    assert proxy["body"] == "Hello, world"


# -- faults --------------------------------------------------------------------------


def test_connection_lost_closes_the_generator_and_serves_the_next(server: RuntimeAPIServer) -> None:
    small = RuntimeAPIServer(streaming_cap=100_000).start()
    api = RuntimeAPI(small.address)
    events: list[str] = []

    @streaming_handler(http=False)
    def endless(event: Any, context: Any) -> Any:
        try:
            while True:
                yield b"x" * 10_000
        finally:
            events.append("closed")

    try:
        runtime = Runtime(api, endless)
        first = small.invoke({})
        runtime.invoke(api.next())  # must return: the error is logged, not raised
        assert first.result(timeout=10).error_type == "Function.ResponseSizeTooLarge"
        assert events == ["closed"]
        second = small.invoke({})
        runtime.handler = lambda e, c: "next"
        runtime.invoke(api.next())
        assert second.result(timeout=10).body == b'"next"'
    finally:
        api.close()
        small.close()


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


def test_deadline_guard_ends_the_stream_with_a_timeout_trailer(
    harness: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = _Clock(1_000_000.0)
    monkeypatch.setattr(stream, "time", clock)
    closed = []

    @streaming_handler(http=False)
    def slow(event: Any, context: Any) -> Any:
        try:
            yield b"one"
            clock.now += 55  # the model took 55 s for the next token
            yield b"two"
        finally:
            closed.append(True)

    got = harness.invoke(slow, {}, deadline_ms=int((clock.now + 60) * 1000), deadline_guard=10)
    assert got.body == b"one"
    assert got.trailers["lambda-runtime-function-error-type"] == "Function.DeadlineGuard"
    assert closed == [True]


def test_200_mib_stream_keeps_memory_bounded(
    server: RuntimeAPIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    sinks: list[stream.StreamingSink] = []
    real = stream.StreamingSink

    def spy(*args: Any, **kwargs: Any) -> stream.StreamingSink:
        sinks.append(real(*args, **kwargs))
        return sinks[-1]

    monkeypatch.setattr("bedrock_stream.runtime.loop.StreamingSink", spy)
    block = b"z" * 65536
    total = 200 * 1024 * 1024

    @streaming_handler(http=False)
    def big(event: Any, context: Any) -> Any:
        for _ in range(total // len(block)):
            yield block

    api = RuntimeAPI(server.address)
    invocation = server.invoke({})
    runner = threading.Thread(target=lambda: Runtime(api, big).invoke(api.next()))
    runner.start()
    received = 0
    try:
        for event in invocation.events(timeout=60, keep=False):
            if isinstance(event, BodyChunk):
                received += len(event.data)
            elif isinstance(event, Done):
                assert event.status == "success"
    finally:
        runner.join()
        api.close()
    assert received == total
    assert sinks[0].peak_pending <= stream.HIGH_WATER + len(block) + 64


def test_chunks_are_not_copied(harness: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large chunks reach sendmsg as the very objects the handler wrote."""
    seen: list[int] = []
    real = stream._send_all

    def spy(sock: Any, parts: list[Any]) -> None:
        seen.extend(id(p) for p in parts)
        real(sock, parts)

    monkeypatch.setattr(stream, "_send_all", spy)
    first, second = b"q" * 1_000_000, b"r" * 70_000

    def handler(event: Any, context: Any) -> Any:
        sink = _sink()
        sink.start("application/octet-stream")
        sink.write(first)
        sink.write(second)

    assert harness.invoke(handler, {}).body == first + second
    assert id(first) in seen and id(second) in seen


def test_chunks_written_while_a_write_is_in_flight_go_out_together(
    harness: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hold the writer inside its sendmsg; what the handler writes meanwhile is one batch."""
    batches: list[int] = []
    in_flight = threading.Event()
    release = threading.Event()
    real = stream._send_all

    def slow(sock: Any, parts: list[Any]) -> None:
        if threading.current_thread() is not threading.main_thread():
            batches.append(len(parts))
            if len(batches) == 1:
                in_flight.set()
                release.wait(10)
        real(sock, parts)

    monkeypatch.setattr(stream, "_send_all", slow)

    def handler(event: Any, context: Any) -> Any:
        sink = _sink()
        sink.start("text/plain")
        sink.write(b"first")  # inline, with the head
        sink.write(b"a")  # handed to the idle writer, which goes in flight
        assert in_flight.wait(10)
        for token in (b"b", b"c", b"d"):
            sink.write(token)  # queued behind the write in flight
        release.set()

    assert harness.invoke(handler, {}).body == b"firstabcd"
    assert batches == [1, 3]


def test_a_content_type_that_would_break_the_framing_is_an_error_before_any_byte(
    harness: Any,
) -> None:
    def handler(event: Any, context: Any) -> Any:
        sink = _sink()
        sink.start("text/plain\r\nX-Injected: 1")
        sink.write(b"data")

    got = harness.invoke(handler, {})
    assert got.content_type is None  # no /response was started
    assert got.error_type == "WireError"


def test_deadline_guard_before_the_first_byte_posts_error(
    harness: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = _Clock(1_000_000.0)
    monkeypatch.setattr(stream, "time", clock)

    @streaming_handler(http=False)
    def late(event: Any, context: Any) -> Any:
        yield b"never"

    got = harness.invoke(late, {}, deadline_ms=int((clock.now + 5) * 1000), deadline_guard=10)
    assert (got.content_type, got.error_type) == (None, "Function.DeadlineGuard")


def test_tokens_of_a_paced_stream_are_sent_from_the_handlers_thread(
    harness: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the writer has idled, a token goes out without waking it (no thread hop)."""
    writer_batches: list[int] = []
    real = stream._send_all

    def spy(sock: Any, parts: list[Any]) -> None:
        if threading.current_thread() is not threading.main_thread():
            writer_batches.append(len(parts))
        real(sock, parts)

    monkeypatch.setattr(stream, "_send_all", spy)

    def handler(event: Any, context: Any) -> Any:
        sink = _sink()
        sink.start("text/plain")
        sink.write(b"first")  # inline, with the head
        sink.write(b"a")  # wakes the writer: one batch
        for token in (b"b", b"c", b"d"):
            time.sleep(0.02)  # a model's pace: the writer has long been idle
            sink.write(token)

    assert harness.invoke(handler, {}).body == b"firstabcd"
    assert writer_batches == [1]  # b, c and d never went through the writer


@pytest.mark.parametrize("streamed", [True, False])
def test_a_write_after_the_response_finished_raises(harness: Any, streamed: bool) -> None:
    """A thread the handler left behind gets an error, not a silently lost write."""
    late: list[BaseException] = []
    threads: list[threading.Thread] = []
    release = threading.Event()

    def write_later(sink: ResponseSink) -> None:
        release.wait(10)
        try:
            if not streamed:
                sink.start("text/plain")
            sink.write(b"late")
        except Exception as exc:
            late.append(exc)

    def handler(event: Any, context: Any) -> Any:
        sink = _sink()
        if streamed:
            sink.start("text/plain")
            sink.write(b"body")
        threads.append(threading.Thread(target=write_later, args=(sink,)))
        threads[0].start()
        return None if streamed else "buffered"

    got = harness.invoke(handler, {})
    assert (got.status, got.body) == ("success", b"body" if streamed else b'"buffered"')
    release.set()
    threads[0].join(10)
    assert len(late) == 1
    assert isinstance(late[0], RuntimeError)
    assert "response" in str(late[0]) and "is finished" in str(late[0])
    after = harness.invoke(lambda e, c: "next", {})
    assert (after.status, after.body, after.trailers) == ("success", b'"next"', {})
