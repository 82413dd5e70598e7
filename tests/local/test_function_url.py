"""Function URL behaviour, sans I/O: payload 2.0 events and buffered responses."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bedrock_stream import streaming_handler
from bedrock_stream.local.function_url import BAD_GATEWAY, buffered_response, url_event
from bedrock_stream.local.messages import GatewayResponse, Request
from bedrock_stream.proxy import payload_version
from bedrock_stream.testing import LambdaContextStub


def request(body: bytes = b'{"message":"hi"}', content_type: str = "application/json") -> Request:
    return Request(
        "POST",
        "/chat?x=1&x=2&y=",
        (
            ("Host", "abc.lambda-url.us-east-1.on.aws"),
            ("Content-Type", content_type),
            ("X-Multi", "a"),
            ("x-multi", "b"),
            ("Cookie", "s=1; t=2"),
            ("User-Agent", "curl/8"),
        ),
        body,
    )


def test_url_event_shape() -> None:
    event = url_event(request(), request_id="rid", now=1767225600.0)
    assert payload_version(event) == "2.0"
    assert event["rawPath"] == "/chat" and event["rawQueryString"] == "x=1&x=2&y="
    assert event["headers"]["x-multi"] == "a,b"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["queryStringParameters"] == {"x": "1,2", "y": ""}
    http = event["requestContext"]["http"]
    assert (http["method"], http["path"], http["userAgent"]) == ("POST", "/chat", "curl/8")
    assert event["requestContext"]["domainPrefix"] == "abc"
    assert event["requestContext"]["timeEpoch"] == 1767225600000
    assert event["body"] == '{"message":"hi"}' and event["isBase64Encoded"] is False


def test_url_event_binary_body_is_base64() -> None:
    event = url_event(request(b"\x89PNG", "image/png"))
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x89PNG"
    assert "body" not in url_event(request(b""))


def test_buffered_response_of_our_handler_for_a_v2_event() -> None:
    @streaming_handler(headers={"X-Multi": ["1", "2"]}, cookies=["c=1", "d=2"])
    def handler(event: Any, context: Any) -> Iterator[str]:
        yield "ok"

    proxy = handler(url_event(request()), LambdaContextStub())
    response = buffered_response(json.dumps(proxy).encode())
    assert response.status == 200 and response.body == b"ok"
    assert ("X-Multi", "1, 2") in response.headers
    assert [v for k, v in response.headers if k == "Set-Cookie"] == ["c=1", "d=2"]


def test_json_without_status_code_is_the_body() -> None:
    payload = b'{"answer": 42}'
    assert buffered_response(payload) == GatewayResponse(
        200, (("Content-Type", "application/json"),), payload
    )
    assert buffered_response(b'"text"').body == b'"text"'


def test_unreadable_results_are_502() -> None:
    for payload in [
        b"\x00raw bytes",
        b'{"statusCode": "200"}',
        b'{"statusCode": 200, "cookies": "a=1"}',
        b'{"statusCode": 200, "headers": {"X": "a\\nb"}}',
        b'{"statusCode": 200, "body": "%%%", "isBase64Encoded": true}',
    ]:
        assert buffered_response(payload) == BAD_GATEWAY, payload


@given(st.binary(max_size=200))
def test_buffered_response_never_raises(payload: bytes) -> None:
    assert isinstance(buffered_response(payload), GatewayResponse)
