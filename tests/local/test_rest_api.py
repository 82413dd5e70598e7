"""API Gateway REST behaviour, sans I/O: routing, proxy events, buffered responses."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bedrock_stream import streaming_handler
from bedrock_stream.local.deployment import RestApi, Route
from bedrock_stream.local.messages import GatewayResponse, Request
from bedrock_stream.local.rest_api import BAD_GATEWAY, Router, buffered_response, proxy_event
from bedrock_stream.testing import LambdaContextStub, invoke_streaming

API = RestApi(
    "Api",
    "Prod",
    (
        Route("POST", "/ask", "Ask", streaming=True),
        Route("OPTIONS", "/ask", None, mock_headers={"Access-Control-Allow-Origin": "*"}),
        Route("GET", "/items/{id}", "Item"),
        Route("GET", "/items/special", "Special"),
        Route("ANY", "/files/{path+}", "Files"),
    ),
)
OTHER = RestApi("Other", "v1", (Route("POST", "/ask", "OtherAsk"),))
ROUTER = Router([API, OTHER])


def test_routes_by_stage_method_and_specificity() -> None:
    match = ROUTER.match("POST", "/Prod/ask?x=1")
    assert match is not None and match.route.function == "Ask" and match.path == "/ask"
    assert ROUTER.match("POST", "/v1/ask").route.function == "OtherAsk"  # type: ignore[union-attr]
    assert ROUTER.match("GET", "/Prod/items/special").route.function == "Special"  # type: ignore[union-attr]
    item = ROUTER.match("GET", "/Prod/items/a%20b")
    assert item is not None and item.path_parameters == {"id": "a b"}
    files = ROUTER.match("DELETE", "/Prod/files/a/b/c.txt")
    assert files is not None and files.path_parameters == {"path+": "a/b/c.txt"}


def test_unknown_route_method_or_stage_is_no_match() -> None:
    assert ROUTER.match("GET", "/Prod/ask") is None
    assert ROUTER.match("POST", "/Staging/ask") is None
    assert ROUTER.match("POST", "/Prod/ask/extra") is None
    assert ROUTER.match("GET", "/") is None


def test_missing_token_shape() -> None:
    from bedrock_stream.local.rest_api import MISSING_TOKEN

    assert MISSING_TOKEN.status == 403
    assert json.loads(MISSING_TOKEN.body) == {"message": "Missing Authentication Token"}


def request(body: bytes = b'{"message":"hi"}', **kwargs: Any) -> Request:
    headers = kwargs.pop(
        "headers",
        (
            ("Host", "localhost:3000"),
            ("Content-Type", "application/json"),
            ("X-Multi", "a"),
            ("X-Multi", "b"),
        ),
    )
    return Request(
        kwargs.pop("method", "POST"),
        kwargs.pop("target", "/Prod/ask?q=1&q=2&r="),
        headers,
        body,
        **kwargs,
    )


def test_proxy_event_shape() -> None:
    match = ROUTER.match("POST", "/Prod/ask")
    assert match is not None
    event = proxy_event(request(), match, request_id="rid", now=1767225600.5)
    assert event["resource"] == "/ask" and event["path"] == "/ask"
    assert event["httpMethod"] == "POST"
    assert event["headers"]["X-Multi"] == "b"
    assert event["multiValueHeaders"]["X-Multi"] == ["a", "b"]
    assert event["queryStringParameters"] == {"q": "2", "r": ""}
    assert event["multiValueQueryStringParameters"] == {"q": ["1", "2"], "r": [""]}
    assert event["pathParameters"] is None
    context = event["requestContext"]
    assert context["path"] == "/Prod/ask" and context["stage"] == "Prod"
    assert context["requestId"] == "rid" and context["requestTimeEpoch"] == 1767225600500
    assert context["requestTime"] == "01/Jan/2026:00:00:00 +0000"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert event["body"] == '{"message":"hi"}' and event["isBase64Encoded"] is False


def test_binary_bodies_are_base64() -> None:
    match = ROUTER.match("POST", "/Prod/ask")
    assert match is not None
    invalid_utf8 = proxy_event(request(b"\xff\x00"), match)
    assert invalid_utf8["isBase64Encoded"] is True
    assert base64.b64decode(invalid_utf8["body"]) == b"\xff\x00"
    png = request(b"text-looking", headers=(("Content-Type", "image/png"),))
    assert proxy_event(png, match, binary_media_types=["image/*"])["isBase64Encoded"] is True
    assert proxy_event(request(b""), match)["body"] is None


def test_buffered_response_merges_headers_like_api_gateway() -> None:
    payload = {
        "statusCode": 201,
        "headers": {"X-A": "single", "X-B": "b", "Flag": True},
        "multiValueHeaders": {"x-a": ["m1", "m2"], "Set-Cookie": ["a=1", "b=2"]},
        "body": base64.b64encode(b"\x00bin").decode(),
        "isBase64Encoded": True,
    }
    response = buffered_response(json.dumps(payload).encode())
    assert response.status == 201
    assert response.headers == (
        ("X-B", "b"),
        ("Flag", "true"),
        ("x-a", "m1"),
        ("x-a", "m2"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
    )
    assert response.body == b"\x00bin"


def test_buffered_response_of_our_handler_round_trips(rest_event: dict[str, Any]) -> None:
    @streaming_handler(headers={"X-Multi": ["1", "2"]}, cookies=["c=1"])
    def handler(event: Any, context: Any) -> Iterator[str]:
        yield "héllo"

    proxy = handler(rest_event, LambdaContextStub())
    response = buffered_response(json.dumps(proxy).encode())
    assert response.status == 200
    assert response.body == "héllo".encode()
    assert ("X-Multi", "1") in response.headers and ("X-Multi", "2") in response.headers
    assert ("Set-Cookie", "c=1") in response.headers


def test_streaming_output_behind_a_buffered_integration_loses_its_body(
    rest_event: dict[str, Any],
) -> None:
    @streaming_handler(status_code=202, headers={"X-Trace": "t"})
    def handler(event: Any, context: Any) -> Iterator[str]:
        yield "the body API Gateway drops"

    streamed = invoke_streaming(handler, rest_event)
    raw = b"".join(b"".join(w.chunks) for w in streamed.writes)
    response = buffered_response(raw)
    assert response.status == 202
    assert ("X-Trace", "t") in response.headers
    assert response.body == b""


def test_unreadable_proxy_responses_are_502() -> None:
    for payload in [
        b"not json",
        b"[]",
        b'{"body": "no status"}',
        b'{"statusCode": 99}',
        b'{"statusCode": 200, "headers": {"X": "a\\r\\nInjected: 1"}}',
        b'{"statusCode": 200, "multiValueHeaders": {"X": "not-a-list"}}',
        b'{"statusCode": 200, "body": 5}',
        b'{"statusCode": 200, "body": "***", "isBase64Encoded": true}',
    ]:
        assert buffered_response(payload) == BAD_GATEWAY, payload


@given(st.binary(max_size=300))
def test_buffered_response_never_raises(payload: bytes) -> None:
    assert isinstance(buffered_response(payload), GatewayResponse)


@given(
    st.dictionaries(
        st.sampled_from(
            ["statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded", "x"]
        ),
        st.recursive(
            st.none() | st.booleans() | st.integers(-5, 700) | st.text(max_size=10),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=5), inner, max_size=3)
            ),
            max_leaves=8,
        ),
    )
)
def test_buffered_response_on_arbitrary_json_never_raises(payload: dict[str, Any]) -> None:
    assert isinstance(buffered_response(json.dumps(payload).encode()), GatewayResponse)


def test_gateway_responses_customize_what_the_gateway_generates() -> None:
    from bedrock_stream.local.deployment import GatewayResponseSpec, RestApi
    from bedrock_stream.local.rest_api import MISSING_TOKEN, TIMEOUT, customized

    api = RestApi(
        "Api",
        "Prod",
        (),
        {
            "DEFAULT_4XX": GatewayResponseSpec(None, (("Access-Control-Allow-Origin", "*"),)),
            "INTEGRATION_TIMEOUT": GatewayResponseSpec(503, (("Retry-After", "1"),)),
        },
    )
    missing = customized(api, "MISSING_AUTHENTICATION_TOKEN", MISSING_TOKEN)
    assert missing.status == 403  # falls back to DEFAULT_4XX by status class
    assert ("Access-Control-Allow-Origin", "*") in missing.headers
    assert missing.body == MISSING_TOKEN.body
    timeout = customized(api, "INTEGRATION_TIMEOUT", TIMEOUT)
    assert (timeout.status, dict(timeout.headers)["Retry-After"]) == (503, "1")
    assert customized(None, "DEFAULT_5XX", TIMEOUT) is TIMEOUT


def test_the_most_specific_route_wins_whatever_the_template_order() -> None:
    # An open greedy or ANY route must never shadow a protected, more specific one.
    guarded = (
        Route("GET", "/{id}", "Guarded", api_key_required=True),
        Route("POST", "/ask", "Ask", authorization="AWS_IAM"),
    )
    open_routes = (Route("ANY", "/{proxy+}", "Open"), Route("ANY", "/ask", "OpenAsk"))
    for routes in (guarded + open_routes, open_routes + guarded):
        router = Router([RestApi("Api", "Prod", routes)])
        secret, ask = router.match("GET", "/Prod/secret"), router.match("POST", "/Prod/ask")
        assert secret is not None and secret.route.function == "Guarded"
        assert ask is not None and ask.route.function == "Ask"
        other = router.match("GET", "/Prod/a/b")
        assert other is not None and other.route.function == "Open"
