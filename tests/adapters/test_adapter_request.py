"""The HTTP request a proxy event carries, as the app adapters give it to an app.

The events are built by the local front doors, which build them as API Gateway and function
URLs do (tests/local checks them against captures and Powertools' models).
"""

from __future__ import annotations

import base64
from urllib.parse import parse_qsl, quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app_matrix import grouped_by_key
from bedrock_stream.local.deployment import RestApi, Route
from bedrock_stream.local.function_url import url_event
from bedrock_stream.local.messages import Request
from bedrock_stream.local.rest_api import Router, proxy_event
from bedrock_stream.proxy_request import NotAnHTTPEvent, http_request

ROUTER = Router(
    [RestApi("App", "Prod", (Route("ANY", "/{proxy+}", "App"), Route("ANY", "/", "App")))]
)


def rest(target: str, *headers: tuple[str, str], body: bytes = b"", method: str = "GET") -> dict:
    match = ROUTER.match(method, target)
    assert match is not None, target
    request = Request(method, target, (("Host", "127.0.0.1:3000"), *headers), body, "10.1.2.3")
    return proxy_event(request, match)


def url(target: str, *headers: tuple[str, str], body: bytes = b"", method: str = "GET") -> dict:
    request = Request(method, target, (("Host", "127.0.0.1:3001"), *headers), body, "10.1.2.3")
    return url_event(request)


def test_a_rest_request_keeps_the_stage_as_its_root_path_and_in_its_path() -> None:
    got = http_request(rest("/Prod/items/a%20b?x=1", method="POST"))
    assert got.method == "POST"
    assert got.root_path == "/Prod"
    assert got.path == "/Prod/items/a b"
    assert got.raw_path == b"/Prod/items/a%20b"
    assert got.query_string == b"x=1"
    assert got.client == ("10.1.2.3", 0)
    assert got.server == ("127.0.0.1", 3000)
    assert got.scheme == "http"  # the local stack's X-Forwarded-Proto
    assert got.http_version == "1.1"


def test_the_stage_root_is_the_root_path_with_a_slash_path() -> None:
    got = http_request(rest("/Prod/"))
    assert (got.root_path, got.path) == ("/Prod", "/Prod/")


def test_a_function_url_request_has_no_root_path_and_its_raw_path_and_query() -> None:
    got = http_request(url("/items/a%20b?x=1&x=2&y=%2F"))
    assert got.root_path == ""
    assert got.path == "/items/a b"
    assert got.raw_path == b"/items/a%20b"
    assert got.query_string == b"x=1&x=2&y=%2F"


@pytest.mark.parametrize("event", [rest, url], ids=["rest", "function-url"])
def test_repeated_headers_and_cookies_reach_the_app(event) -> None:
    got = http_request(
        event("/Prod/c", ("X-Many", "1"), ("X-Many", "2"), ("Cookie", "a=1"), ("Cookie", "b=2"))
    )
    values = [value for name, value in got.headers if name == "x-many"]
    assert ",".join(values) == "1,2"  # one header per value for REST, comma-joined for URLs
    cookies = [value for name, value in got.headers if name == "cookie"]
    assert "; ".join(cookies).replace(" ", "").split(";") == ["a=1", "b=2"]
    assert all(name == name.lower() for name, _ in got.headers)


@pytest.mark.parametrize("event", [rest, url], ids=["rest", "function-url"])
@pytest.mark.parametrize("body", [b'{"a": 1}', b"\xff\x00\x01 binary"], ids=["text", "binary"])
def test_the_body_arrives_as_sent_text_or_base64(event, body: bytes) -> None:
    content_type = ("Content-Type", "application/octet-stream" if body[0] == 0xFF else "text/plain")
    sent = event("/Prod/echo", content_type, body=body, method="POST")
    assert sent["isBase64Encoded"] is (body[0] == 0xFF)
    assert http_request(sent).body == body


pairs = st.lists(
    st.tuples(st.text(min_size=1, max_size=8), st.text(max_size=8)), min_size=1, max_size=6
)


@given(pairs)
def test_a_rest_query_reaches_the_app_with_every_value_of_every_key(items) -> None:
    target = "/Prod/q?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in items)
    got = parse_qsl(http_request(rest(target)).query_string.decode(), keep_blank_values=True)
    assert got == grouped_by_key(items)  # REST groups a key's values: the order it keeps


@given(pairs)
def test_a_function_url_query_reaches_the_app_as_sent(items) -> None:
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in items)
    assert http_request(url("/q?" + query)).query_string == query.encode()


def test_a_raw_invocation_and_a_websocket_event_are_refused_by_name() -> None:
    with pytest.raises(NotAnHTTPEvent, match="API Gateway or function URL"):
        http_request({"prompt": "hi"})
    websocket = {"requestContext": {"connectionId": "abc=", "eventType": "CONNECT"}}
    with pytest.raises(NotAnHTTPEvent, match="WebSocket"):
        http_request(websocket)


def test_a_custom_domain_without_a_base_path_has_no_root_path() -> None:
    event = rest("/Prod/ask")
    event["requestContext"]["path"] = "/ask"  # what API Gateway sends on a custom domain
    got = http_request(event)
    assert (got.root_path, got.path) == ("", "/ask")
    event["requestContext"]["path"] = "/v1/ask"  # a base path mapping "v1"
    assert http_request(event).root_path == "/v1"


def test_base64_bodies_are_decoded() -> None:
    event = url("/x", ("Content-Type", "image/png"), body=b"\x89PNG", method="POST")
    assert event["body"] == base64.b64encode(b"\x89PNG").decode()
    assert http_request(event).body == b"\x89PNG"


def test_a_custom_domain_base_path_is_found_from_the_routed_resource() -> None:
    event = rest("/Prod/bar/baz")  # resource /{proxy+}, pathParameters proxy=bar/baz
    event["path"] = event["requestContext"]["path"] = "/tiler/bar/baz"  # base path "tiler"
    got = http_request(event)
    assert (got.root_path, got.path) == ("/tiler", "/tiler/bar/baz")
    assert got.raw_path == b"/tiler/bar/baz"


def test_an_ipv6_host_and_http2_are_spelled_as_uvicorn_spells_them() -> None:
    event = url("/x", ("Host", "[::1]:3001"))
    event["requestContext"]["http"]["protocol"] = "HTTP/2.0"
    got = http_request(event)
    assert got.server == ("::1", 3001) and got.http_version == "2"


def test_characters_an_event_carries_unencoded_are_their_utf8_bytes() -> None:
    event = url("/")
    event["rawPath"], event["rawQueryString"] = "/€uro/café", "q=é&e=€"
    got = http_request(event)
    assert got.raw_path == "/€uro/café".encode()
    assert got.path == "/€uro/café"
    assert got.query_string == "q=é&e=€".encode()


@pytest.mark.parametrize(
    ("path", "whole", "root_path"),
    [
        ("/", "/Prod", "/Prod"),  # the stage's root on execute-api, no slash
        ("/", "/Prod/", "/Prod"),
        ("/v1", "/v1", "/v1"),  # a base path mapping's root, as a custom domain sends it
        ("/v1/", "/v1/", "/v1"),
        ("/", "/", ""),  # a custom domain without a base path
    ],
)
def test_the_root_route_is_the_app_root_under_any_prefix(
    path: str, whole: str, root_path: str
) -> None:
    event = rest("/Prod/")  # resource "/"
    event["path"], event["requestContext"]["path"] = path, whole
    got = http_request(event)
    assert (got.root_path, got.path, got.raw_path) == (
        root_path,
        root_path + "/",
        (root_path + "/").encode(),
    )
