"""What the front doors answer for a function's response, over real loopback sockets.

A scripted invoker stands in for the Lambda service: each test names the Runtime API
events the function produced (the content type it posted, its body chunks, how it ended),
and reads the HTTP answer a client gets from a REST API or a function URL.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Sequence
from pathlib import Path

from bedrock_stream.http_integration import CONTENT_TYPE, Prelude
from bedrock_stream.local.deployment import Function, FunctionUrl, RestApi, Route
from bedrock_stream.local.front_doors import FunctionUrlServer, RestApiServer
from bedrock_stream.local.http_server import HTTPService
from bedrock_stream.local.invocation import BodyChunk, Done, Event, ResponseStarted, Result


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
    """Answers every invocation with the same scripted events; keeps the payloads."""

    def __init__(self, events: Sequence[Event]) -> None:
        self.events = events
        self.payloads: list[bytes] = []

    def invoke(
        self, function: str, payload: bytes, *, streaming: bool, client_context: str | None = None
    ) -> _Scripted:
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
