"""``asgi_handler`` on hand-built events, sans network: the scope an app sees, what it answers.

Events are built by the local stack's own builders (``proxy_event`` for a REST API, payload
1.0; ``url_event`` for a function URL, payload 2.0) from a :class:`Request` as a client sent
it; the handler runs with the in-memory sink of ``bedrock_stream.testing`` attached, or with
none (buffered). A recording app keeps each scope and request body.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from startup_fails import MESSAGE
from startup_fails import app as failing_app

from app_matrix import QUERY_PAIRS, grouped_by_key, rest_event, url_request_event
from bedrock_stream.asgi import LifespanError, asgi_handler
from bedrock_stream.testing import LambdaContextStub, invoke_streaming

SECRET = "the-secret-detail-4711"


class Recorder:
    """An ASGI app that keeps each scope and body, and answers in two body messages."""

    def __init__(self) -> None:
        self.scopes: list[MutableMapping[str, Any]] = []
        self.bodies: list[bytes] = []

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        message = await receive()
        self.scopes.append(scope)
        self.bodies.append(message["body"])
        headers = [(b"content-type", b"text/plain"), (b"x-twice", b"1"), (b"x-twice", b"2")]
        headers += [(b"set-cookie", b"a=1; HttpOnly"), (b"set-cookie", b"b=2")]
        await send({"type": "http.response.start", "status": 201, "headers": headers})
        await send({"type": "http.response.body", "body": b"one ", "more_body": True})
        await send({"type": "http.response.body", "body": b"two"})


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def serve(app: Any, event: Any) -> Any:
    """Run ``app`` on ``event`` through ``asgi_handler``, streamed to a memory sink."""
    return invoke_streaming(asgi_handler(app, lifespan="off"), event)


def test_a_rest_event_gives_the_stage_as_root_path(recorder: Recorder) -> None:
    serve(recorder, rest_event("/items/a%20b?q=1&q=2&r=", b"hello"))
    (scope,) = recorder.scopes
    assert scope["type"] == "http" and scope["method"] == "POST"
    assert (scope["root_path"], scope["path"]) == ("/Prod", "/Prod/items/a b")
    assert scope["raw_path"] == b"/Prod/items/a%20b"
    assert scope["query_string"] == b"q=1&q=2&r="
    assert (b"x-multi", b"a") in scope["headers"] and (b"x-multi", b"b") in scope["headers"]
    assert (b"cookie", b"s=1; t=2") in scope["headers"]
    assert all(name == name.lower() for name, _ in scope["headers"])
    assert (scope["client"], scope["server"]) == (("127.0.0.1", 0), ("localhost", 3000))
    assert (scope["scheme"], scope["http_version"]) == ("http", "1.1")  # X-Forwarded-Proto
    assert scope["asgi"]["version"] == "3.0"
    assert recorder.bodies == [b"hello"]


def test_a_function_url_event_has_no_root_path(recorder: Recorder) -> None:
    serve(recorder, url_request_event("/items/a%20b?x=1&x=2&y=", b"hello"))
    (scope,) = recorder.scopes
    assert (scope["root_path"], scope["path"]) == ("", "/items/a b")
    assert scope["raw_path"] == b"/items/a%20b"
    assert scope["query_string"] == b"x=1&x=2&y="
    assert (b"x-multi", b"a,b") in scope["headers"]  # a function URL joins repeats
    assert (b"cookie", b"s=1; t=2") in scope["headers"]  # from the event's "cookies"
    assert (scope["client"], scope["server"]) == (("127.0.0.1", 0), ("localhost", 3000))
    assert (scope["scheme"], scope["http_version"]) == ("http", "1.1")
    assert recorder.bodies == [b"hello"]


@pytest.mark.parametrize("build", [rest_event, url_request_event])
def test_a_binary_body_arrives_decoded_from_base64(build: Any, recorder: Recorder) -> None:
    headers = (("Host", "localhost"), ("Content-Type", "application/octet-stream"))
    event = build("/upload", b"\xff\x00\x80", headers)
    assert event["isBase64Encoded"] is True
    serve(recorder, event)
    assert recorder.bodies == [b"\xff\x00\x80"]


@pytest.mark.parametrize("build", [rest_event, url_request_event])
def test_the_response_streams_with_its_headers_and_cookies(build: Any, recorder: Recorder) -> None:
    result = serve(recorder, build("/x"))
    assert result.error is None
    assert (result.status, result.body) == (201, b"one two")
    assert result.headers["x-twice"] == "1, 2" and result.headers["content-type"] == "text/plain"
    assert result.prelude.cookies == ("a=1; HttpOnly", "b=2")


BUFFERED = {
    "1.0": {
        "headers": {"content-type": "text/plain"},
        "multiValueHeaders": {"x-twice": ["1", "2"], "Set-Cookie": ["a=1; HttpOnly", "b=2"]},
    },
    "2.0": {
        "headers": {"content-type": "text/plain", "x-twice": "1, 2"},
        "cookies": ["a=1; HttpOnly", "b=2"],
    },
}


@pytest.mark.parametrize(("build", "version"), [(rest_event, "1.0"), (url_request_event, "2.0")])
def test_without_a_sink_the_answer_is_buffered(
    build: Any, version: str, recorder: Recorder
) -> None:
    answer = asgi_handler(recorder, lifespan="off")(build("/x"), LambdaContextStub())
    assert answer == {
        "statusCode": 201,
        **BUFFERED[version],
        "body": "one two",
        "isBase64Encoded": False,
    }


async def crash_before_start(scope: Any, receive: Any, send: Any) -> None:
    raise RuntimeError(SECRET)


async def crash_after_first_chunk(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"first", "more_body": True})
    raise RuntimeError(SECRET)


@pytest.mark.parametrize("build", [rest_event, url_request_event])
def test_an_exception_before_the_response_is_a_generic_500(build: Any) -> None:
    result = serve(crash_before_start, build("/x"))
    assert result.status == 500 and result.error is None
    assert json.loads(result.body)["message"] == "Internal server error"
    assert SECRET not in result.body.decode()
    buffered = asgi_handler(crash_before_start, lifespan="off")(build("/x"), LambdaContextStub())
    assert buffered["statusCode"] == 500 and SECRET not in json.dumps(buffered)
    assert json.loads(buffered["body"])["message"] == "Internal server error"


@pytest.mark.parametrize("build", [rest_event, url_request_event])
def test_an_exception_after_the_first_chunk_fails_the_stream(build: Any) -> None:
    result = serve(crash_after_first_chunk, build("/x"))
    assert (result.status, result.body) == (200, b"first")  # the app's bytes only
    assert isinstance(result.error, RuntimeError)


def test_a_failed_startup_fails_the_handler_with_its_message() -> None:
    with pytest.raises(LifespanError, match=MESSAGE):
        asgi_handler(failing_app)


# -- what the app sees of the query and headers, for any values ------------------------------


def _query_seen(event: Any) -> list[tuple[str, str]]:
    recorder = Recorder()
    serve(recorder, event)
    return parse_qsl(recorder.scopes[0]["query_string"].decode("ascii"), keep_blank_values=True)


@settings(max_examples=50, deadline=None)
@given(QUERY_PAIRS)
def test_a_function_url_query_reaches_the_app_as_sent(pairs: list[tuple[str, str]]) -> None:
    assert _query_seen(url_request_event("/q?" + urlencode(pairs))) == pairs


@settings(max_examples=50, deadline=None)
@given(QUERY_PAIRS)
def test_a_rest_query_reaches_the_app_grouped_by_key(pairs: list[tuple[str, str]]) -> None:
    assert _query_seen(rest_event("/q?" + urlencode(pairs))) == grouped_by_key(pairs)


_TOKEN = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=10)
_VALUE = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12)
_HEADERS = st.lists(st.tuples(_TOKEN.map(lambda t: f"X-H-{t}"), _VALUE), min_size=1, max_size=6)


def _headers_seen(event: Any) -> dict[str, list[str]]:
    recorder = Recorder()
    serve(recorder, event)
    seen: dict[str, list[str]] = {}
    for name, value in recorder.scopes[0]["headers"]:
        seen.setdefault(name.decode("latin-1"), []).append(value.decode("latin-1"))
    return seen


def _by_name(headers: list[tuple[str, str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in headers:
        found.setdefault(name.lower(), []).append(value)
    return found


@settings(max_examples=50, deadline=None)
@given(_HEADERS)
def test_rest_headers_reach_the_app_with_every_value(headers: list[tuple[str, str]]) -> None:
    seen = _headers_seen(rest_event("/h", headers=(("Host", "localhost"), *headers)))
    for name, values in _by_name(headers).items():
        assert seen[name] == values


@settings(max_examples=50, deadline=None)
@given(_HEADERS)
def test_function_url_headers_reach_the_app_comma_joined(headers: list[tuple[str, str]]) -> None:
    seen = _headers_seen(url_request_event("/h", headers=(("Host", "localhost"), *headers)))
    for name, values in _by_name(headers).items():
        assert seen[name] == [",".join(values)]


_SEGMENT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8)


@settings(max_examples=50, deadline=None)
@given(st.lists(_SEGMENT, min_size=1, max_size=4))
def test_the_path_reaches_the_app_decoded_and_raw(segments: list[str]) -> None:
    """``path`` is the decoded path, ``raw_path`` its bytes as sent, the root path in both."""
    path = "/" + "/".join(segments)
    raw = quote(path, safe="/")
    for event, root in ((rest_event(raw), "/Prod"), (url_request_event(raw), "")):
        recorder = Recorder()
        serve(recorder, event)
        (scope,) = recorder.scopes
        assert (scope["root_path"], scope["path"]) == (root, root + path)
        assert scope["raw_path"] == (root + raw).encode("ascii")
