"""Fuzz target: how the local API Gateway and function URLs turn a request into an event.

Holds, for any method, target, header bytes and body: routing returns a match or None; the
REST API proxy event and the function URL event are JSON that round-trips, carry the method
and the exact body (base64 when it is not text), and the function URL event keeps the raw
path and query string as sent.
"""

from __future__ import annotations

import base64
import json

from bedrock_stream.local.deployment import RestApi, Route
from bedrock_stream.local.function_url import url_event
from bedrock_stream.local.messages import Request
from bedrock_stream.local.rest_api import Router, proxy_event

ROUTER = Router(
    [
        RestApi(
            "Api",
            "Prod",
            (
                Route("POST", "/run", "Run", streaming=True),
                Route("GET", "/items/{id}", "Item"),
                Route("ANY", "/files/{path+}", "Files"),
                Route("ANY", "/", "Root"),
            ),
        )
    ]
)


def _request(data: bytes) -> Request:
    """Split ``data`` at NULs into method, target, header names and values, and a body."""
    method, target, *rest = [*data.decode("latin-1").split("\0", 3), "", ""][:4]
    fields, _, body = rest[0].partition("\n\n") if rest else ("", "", "")
    headers = tuple(
        (name, value) for name, _, value in (line.partition(":") for line in fields.split("\n"))
    )
    return Request(method or "GET", target or "/", headers, body.encode("latin-1"), "127.0.0.1")


def _body_of(event: dict[str, object]) -> bytes:
    body = str(event.get("body") or "")
    return base64.b64decode(body) if event["isBase64Encoded"] else body.encode()


def test_one_input(data: bytes) -> None:
    """Build both events for the request ``data`` describes."""
    request = _request(data)
    match = ROUTER.match(request.method, request.target)
    if match is not None:
        event = proxy_event(request, match, binary_media_types=["image/png"])
        assert json.loads(json.dumps(event)) == event
        assert _body_of(event) == request.body
        assert event["httpMethod"] == request.method.upper()
    event = url_event(request)
    assert json.loads(json.dumps(event)) == event
    assert _body_of(event) == request.body
    query = "?" + event["rawQueryString"] if "?" in request.target else ""
    assert event["rawPath"] + query == request.target
