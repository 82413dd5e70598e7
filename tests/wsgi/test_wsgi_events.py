"""``wsgi_handler`` on hand-built events, sans network: the environ an app sees, its answers.

Events are built by the local stack's own builders (``app_matrix.rest_event``, payload 1.0;
``app_matrix.url_request_event``, payload 2.0); the handler runs with the in-memory sink of
``bedrock_stream.testing`` attached, or with none (buffered). A recording app keeps each
environ and the request body it read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app_matrix import QUERY_PAIRS, grouped_by_key, rest_event, url_request_event
from bedrock_stream.testing import LambdaContextStub, invoke_streaming
from bedrock_stream.wsgi import wsgi_handler

SECRET = "the-secret-detail-4711"

BUILDERS = [rest_event, url_request_event]


class Recorder:
    """A WSGI app that keeps each environ and body, and answers in two items."""

    def __init__(self) -> None:
        self.environs: list[dict[str, Any]] = []
        self.bodies: list[bytes] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        self.environs.append(environ)
        self.bodies.append(environ["wsgi.input"].read())
        start_response(
            "201 Created",
            [
                ("Content-Type", "text/plain"),
                ("X-Twice", "1"),
                ("X-Twice", "2"),
                ("Set-Cookie", "a=1; HttpOnly"),
                ("Set-Cookie", "b=2"),
            ],
        )
        return [b"one ", b"two"]


def serve(app: Any, event: Any) -> Any:
    """Run ``app`` on ``event`` through ``wsgi_handler``, streamed to a memory sink."""
    return invoke_streaming(wsgi_handler(app), event)


def test_a_rest_event_gives_the_stage_as_script_name() -> None:
    recorder = Recorder()
    serve(recorder, rest_event("/items/a%20b?q=1&q=2&r=", b"hello"))
    (environ,) = recorder.environs
    assert environ["REQUEST_METHOD"] == "POST"
    assert (environ["SCRIPT_NAME"], environ["PATH_INFO"]) == ("/Prod", "/items/a b")
    assert environ["QUERY_STRING"] == "q=1&q=2&r="
    assert environ["HTTP_X_MULTI"] == "a,b"
    assert environ["HTTP_COOKIE"] == "s=1; t=2"
    assert (environ["CONTENT_TYPE"], environ["CONTENT_LENGTH"]) == ("text/plain", "5")
    assert "HTTP_CONTENT_TYPE" not in environ and "HTTP_CONTENT_LENGTH" not in environ
    assert environ["REMOTE_ADDR"] == "127.0.0.1"
    assert (environ["SERVER_NAME"], environ["SERVER_PORT"]) == ("localhost", "3000")
    assert (environ["wsgi.url_scheme"], environ["SERVER_PROTOCOL"]) == ("http", "HTTP/1.1")
    assert environ["wsgi.version"] == (1, 0)
    assert recorder.bodies == [b"hello"]


def test_a_function_url_event_has_no_script_name() -> None:
    recorder = Recorder()
    serve(recorder, url_request_event("/items/a%20b?x=1&x=2&y=", b"hello"))
    (environ,) = recorder.environs
    assert (environ["SCRIPT_NAME"], environ["PATH_INFO"]) == ("", "/items/a b")
    assert environ["QUERY_STRING"] == "x=1&x=2&y="
    assert environ["HTTP_X_MULTI"] == "a,b"
    assert environ["HTTP_COOKIE"] == "s=1; t=2"  # from the event's "cookies"
    assert (environ["SERVER_NAME"], environ["SERVER_PORT"]) == ("localhost", "3000")
    assert (environ["wsgi.url_scheme"], environ["SERVER_PROTOCOL"]) == ("http", "HTTP/1.1")
    assert recorder.bodies == [b"hello"]


@pytest.mark.parametrize("build", BUILDERS)
def test_a_binary_body_arrives_decoded_from_base64(build: Any) -> None:
    recorder = Recorder()
    headers = (("Host", "localhost"), ("Content-Type", "application/octet-stream"))
    event = build("/upload", b"\xff\x00\x80", headers)
    assert event["isBase64Encoded"] is True
    serve(recorder, event)
    assert recorder.bodies == [b"\xff\x00\x80"]
    assert recorder.environs[0]["CONTENT_LENGTH"] == "3"


@pytest.mark.parametrize("build", BUILDERS)
def test_the_response_streams_with_its_headers_and_cookies(build: Any) -> None:
    result = serve(Recorder(), build("/x"))
    assert result.error is None
    assert (result.status, result.body) == (201, b"one two")
    assert result.headers["x-twice"] == "1, 2" and result.headers["content-type"] == "text/plain"
    assert result.prelude.cookies == ("a=1; HttpOnly", "b=2")


@pytest.mark.parametrize("build", BUILDERS)
def test_without_a_sink_the_answer_is_buffered(build: Any) -> None:
    answer = wsgi_handler(Recorder())(build("/x"), LambdaContextStub())
    assert (answer["statusCode"], answer["body"]) == (201, "one two")
    assert not answer["isBase64Encoded"]


def crash_before_start(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    raise RuntimeError(SECRET)


def crash_after_first_item(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    def items() -> Iterator[bytes]:
        yield b"first"
        raise RuntimeError(SECRET)

    start_response("200 OK", [("Content-Type", "text/plain")])
    return items()


@pytest.mark.parametrize("build", BUILDERS)
def test_an_exception_before_the_response_is_a_generic_500(build: Any) -> None:
    result = serve(crash_before_start, build("/x"))
    assert result.status == 500 and result.error is None
    assert json.loads(result.body)["message"] == "Internal server error"
    buffered = wsgi_handler(crash_before_start)(build("/x"), LambdaContextStub())
    assert buffered["statusCode"] == 500 and SECRET not in json.dumps(buffered)


@pytest.mark.parametrize("build", BUILDERS)
def test_an_exception_after_the_first_item_fails_the_stream(build: Any) -> None:
    result = serve(crash_after_first_item, build("/x"))
    assert (result.status, result.body) == (200, b"first")  # the app's bytes only
    assert isinstance(result.error, RuntimeError)


# -- what the app sees of the query and path, for any values ---------------------------------


def _environ(event: Any) -> dict[str, Any]:
    recorder = Recorder()
    serve(recorder, event)
    return recorder.environs[0]


def _query_seen(event: Any) -> list[tuple[str, str]]:
    return parse_qsl(_environ(event)["QUERY_STRING"], keep_blank_values=True)


@settings(max_examples=50, deadline=None)
@given(QUERY_PAIRS)
def test_a_function_url_query_reaches_the_app_as_sent(pairs: list[tuple[str, str]]) -> None:
    assert _query_seen(url_request_event("/q?" + urlencode(pairs))) == pairs


@settings(max_examples=50, deadline=None)
@given(QUERY_PAIRS)
def test_a_rest_query_reaches_the_app_grouped_by_key(pairs: list[tuple[str, str]]) -> None:
    assert _query_seen(rest_event("/q?" + urlencode(pairs))) == grouped_by_key(pairs)


_SEGMENT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8)


@settings(max_examples=50, deadline=None)
@given(st.lists(_SEGMENT, min_size=1, max_size=4))
def test_path_info_is_the_paths_bytes_as_latin_1(segments: list[str]) -> None:
    """PEP 3333: ``PATH_INFO`` holds the decoded path's bytes, each byte one Latin-1 char."""
    path = "/" + "/".join(segments)
    raw = quote(path, safe="/")
    for event, script in ((rest_event(raw), "/Prod"), (url_request_event(raw), "")):
        environ = _environ(event)
        assert environ["SCRIPT_NAME"] == script
        assert environ["PATH_INFO"].encode("latin-1").decode("utf-8") == path


_TOKEN = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=10)
_VALUE = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12)
_HEADERS = st.lists(st.tuples(_TOKEN.map(lambda t: f"X-H-{t}"), _VALUE), min_size=1, max_size=6)


@settings(max_examples=50, deadline=None)
@given(_HEADERS)
def test_headers_reach_the_app_as_one_comma_joined_variable(
    headers: list[tuple[str, str]],
) -> None:
    """PEP 3333 has one ``HTTP_*`` variable per name: repeats joined with commas, either door."""
    joined: dict[str, list[str]] = {}
    for name, value in headers:
        joined.setdefault("HTTP_" + name.upper().replace("-", "_"), []).append(value)
    for build in BUILDERS:
        environ = _environ(build("/h", headers=(("Host", "localhost"), *headers)))
        for key, values in joined.items():
            assert environ[key] == ",".join(values)
