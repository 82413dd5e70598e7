"""What the front doors answer for a function's response, over real loopback sockets.

A scripted invoker stands in for the Lambda service: each test names the Runtime API
events the function produced (the content type it posted, its body chunks, how it ended),
and reads the HTTP answer a client gets from a REST API or a function URL.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import re
import socket
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bedrock_stream.http_integration import CONTENT_TYPE, Prelude
from bedrock_stream.local.deployment import Function, FunctionUrl, RestApi, Route
from bedrock_stream.local.front_doors import FunctionUrlServer, RestApiServer
from bedrock_stream.local.http_server import HTTPService
from bedrock_stream.local.invocation import BodyChunk, Done, Event, ResponseStarted, Result
from bedrock_stream.local.invoker import TooManyRequests


class _Scripted:
    """A finished invocation whose events are given up front."""

    request_id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd"

    def __init__(self, events: Sequence[Event]) -> None:
        self._events = list(events)

    def next_event(self, timeout: float | None = None, *, keep: bool = True) -> Event:
        return self._events.pop(0)

    def result(self, timeout: float | None = None) -> Result:  # pragma: no cover - unused
        raise NotImplementedError

    def detach(self) -> None:
        pass


class _Invoker:
    """Answers every invocation with the same scripted events (None: throttled); keeps payloads."""

    def __init__(self, events: Sequence[Event] | None) -> None:
        self.events = events
        self.payloads: list[bytes] = []

    def invoke(
        self, function: str, payload: bytes, *, streaming: bool, client_context: str | None = None
    ) -> _Scripted:
        if self.events is None:
            raise TooManyRequests(function)
        self.payloads.append(payload)
        return _Scripted(self.events)


def streamed(content_type: str, *chunks: bytes) -> list[Event]:
    """The events of a streamed ``/response`` with ``content_type`` and ``chunks``."""
    events: list[Event] = [ResponseStarted(content_type, (), True)]
    events += [BodyChunk(chunk, 0.0) for chunk in chunks]
    return [*events, Done("success")]


def _door(kind: str, invoker: _Invoker) -> HTTPService:
    if kind == "rest-api":
        api = RestApi("Api", "Prod", (Route("POST", "/run", "Fn", streaming=True),))
        return RestApiServer([api], invoker)
    url = FunctionUrl("RESPONSE_STREAM", "NONE")
    return FunctionUrlServer(
        Function("Fn", Path("."), "app.handler", "python3.12", url=url), invoker
    )


def _call(kind: str, events: Sequence[Event]) -> tuple[http.client.HTTPResponse, bytes]:
    door = _door(kind, _Invoker(events)).start()
    try:
        connection = http.client.HTTPConnection(door.server.host, door.server.port, timeout=30)
        connection.request("POST", "/Prod/run" if kind == "rest-api" else "/", body=b"{}")
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response, body
    finally:
        door.close()


# -- a streamed response with nothing in it ----------------------------------------------------


def test_an_empty_stream_at_a_function_url_is_200_octet_stream_and_empty() -> None:
    """AWS's Node.js client posts an empty body for ``from(...)`` then ``end()`` (the capture
    ``node-empty-no-write.json``); a function URL answers it 200, octet-stream, empty."""
    response, body = _call("function-url", streamed(CONTENT_TYPE))
    assert response.status == 200
    assert response.getheader("Content-Type") == "application/octet-stream"
    assert response.getheader("Transfer-Encoding") == "chunked"
    assert body == b""


def test_a_body_without_its_prelude_at_a_function_url_is_a_502() -> None:
    """``from(...)`` then ``end("Not Found")``: the body is posted without the prelude."""
    response, body = _call("function-url", streamed(CONTENT_TYPE, b"Not Found"))
    assert response.status == 502
    assert json.loads(body) == {"message": "Internal Server Error"}


def test_an_empty_stream_on_a_rest_stream_route_stays_a_500() -> None:
    """AWS's answer is not reported; the emulator keeps treating it as a missing prelude."""
    response, body = _call("rest-api", streamed(CONTENT_TYPE))
    assert response.status == 500
    assert json.loads(body) == {"message": "Internal server error"}


def test_a_prelude_with_an_empty_body_keeps_its_status_and_headers() -> None:
    prelude = Prelude(status_code=301, headers={"Location": "https://example.com/"})
    for kind in ("function-url", "rest-api"):
        response, body = _call(kind, streamed(CONTENT_TYPE, prelude.encode()))
        assert (response.status, response.getheader("Location"), body) == (
            301,
            "https://example.com/",
            b"",
        ), kind


# -- what API Gateway and function URLs add to every answer ------------------------------------


def _exchange(
    kind: str, events: Sequence[Event] | None, path: str | None = None
) -> tuple[str, http.client.HTTPResponse, list[dict[str, Any]]]:
    """The status line, the response and the events the function got; None: throttled."""
    invoker = _Invoker(events)
    door = _door(kind, invoker).start()
    try:
        target = path or ("/Prod/run" if kind == "rest-api" else "/")
        with socket.create_connection((door.server.host, door.server.port), timeout=30) as sock:
            request = f"POST {target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{{}}"
            sock.sendall(request.encode())
            response = http.client.HTTPResponse(sock)
            response.begin()
            response.read()
            status_line = f"HTTP/1.1 {response.status} {response.reason}"
        return status_line, response, [json.loads(p) for p in invoker.payloads]
    finally:
        door.close()


def test_every_status_line_has_its_reason_phrase() -> None:
    for kind, events, expected in [
        ("function-url", streamed("text/plain", b"hi"), "HTTP/1.1 200 OK"),
        ("rest-api", streamed(CONTENT_TYPE, b"x"), "HTTP/1.1 500 Internal Server Error"),
    ]:
        status_line, _, _ = _exchange(kind, events)
        assert status_line == expected, kind


def _date(response: http.client.HTTPResponse) -> float:
    value = response.getheader("Date")
    assert value is not None and value.endswith(" GMT"), value
    return email.utils.parsedate_to_datetime(value).timestamp()


def test_a_rest_api_answer_names_its_request_extended_id_and_trace() -> None:
    prelude = Prelude(headers={"Content-Type": "text/plain"})
    _, response, events = _exchange("rest-api", streamed(CONTENT_TYPE, prelude.encode(), b"ok"))
    context = events[0]["requestContext"]
    assert response.getheader("x-amzn-RequestId") == context["requestId"]
    assert response.getheader("x-amz-apigw-id") == context["extendedRequestId"]
    assert re.fullmatch(r"[A-Za-z0-9+/]{15}=", context["extendedRequestId"])
    assert response.getheader("X-Amzn-Trace-Id") == events[0]["headers"]["X-Amzn-Trace-Id"]
    assert abs(_date(response) - time.time()) < 60


def test_a_function_url_answer_names_its_request_and_trace() -> None:
    _, response, events = _exchange("function-url", streamed("text/plain", b"ok"))
    assert response.getheader("x-amzn-RequestId") == events[0]["requestContext"]["requestId"]
    assert response.getheader("X-Amzn-Trace-Id") == events[0]["headers"]["x-amzn-trace-id"]
    assert response.getheader("x-amz-apigw-id") is None
    assert abs(_date(response) - time.time()) < 60


def test_answers_the_gateway_generates_carry_them_too() -> None:
    _, missing, _ = _exchange("rest-api", [], path="/Prod/nowhere")
    assert missing.status == 403
    _, throttled, _ = _exchange("function-url", None)
    assert throttled.status == 429
    for response, names in [
        (missing, ("x-amzn-RequestId", "x-amz-apigw-id", "X-Amzn-Trace-Id", "Date")),
        (throttled, ("x-amzn-RequestId", "X-Amzn-Trace-Id", "Date")),
    ]:
        for name in names:
            assert response.getheader(name), (response.status, name)
