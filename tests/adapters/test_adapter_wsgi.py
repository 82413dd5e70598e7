"""The WSGI adapter with plain PEP 3333 callables: environ, start_response, the iterable.

Flask apps compared with a WSGI reference server are in tests/wsgi.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from bedrock_stream.http_integration import DELIMITER
from bedrock_stream.local.deployment import RestApi, Route
from bedrock_stream.local.function_url import url_event
from bedrock_stream.local.messages import Request
from bedrock_stream.local.rest_api import Router, proxy_event
from bedrock_stream.testing import LambdaContextStub, invoke_streaming
from bedrock_stream.wsgi import WSGIError, wsgi_handler

ROUTER = Router([RestApi("App", "Prod", (Route("ANY", "/{proxy+}", "App"),))])


def event(target: str = "/Prod/a%2Fb/c?x=1&x=2", body: bytes = b"") -> dict[str, Any]:
    headers = (("Host", "127.0.0.1:3000"), ("Cookie", "a=1"), ("Cookie", "b=2"), ("X-Two", "1"))
    headers += (("X-Two", "2"), ("Content-Type", "text/plain"))
    request = Request("POST", target, headers, body, "10.0.0.9")
    match = ROUTER.match("POST", target)
    assert match is not None
    return proxy_event(request, match)


def test_the_environ_is_pep_3333s_with_the_stage_as_script_name() -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        seen["read"] = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    assert wsgi_handler(app)(event(body=b"hello"), LambdaContextStub())["body"] == "ok"
    assert seen["REQUEST_METHOD"] == "POST"
    assert (seen["SCRIPT_NAME"], seen["PATH_INFO"]) == ("/Prod", "/a/b/c")
    assert seen["QUERY_STRING"] == "x=1&x=2"
    assert (seen["SERVER_NAME"], seen["SERVER_PORT"]) == ("127.0.0.1", "3000")
    assert seen["REMOTE_ADDR"] == "10.0.0.9"
    assert seen["HTTP_COOKIE"] == "a=1; b=2"
    assert seen["HTTP_X_TWO"] == "1,2"
    assert (seen["CONTENT_TYPE"], seen["CONTENT_LENGTH"]) == ("text/plain", "5")
    assert "HTTP_CONTENT_TYPE" not in seen
    assert seen["read"] == b"hello"
    assert seen["wsgi.url_scheme"] == "http" and seen["wsgi.errors"] is sys.stderr
    assert seen["SERVER_PROTOCOL"] == "HTTP/1.1" and seen["wsgi.version"] == (1, 0)
    assert seen["aws.event"]["requestContext"]["stage"] == "Prod"
    assert seen["aws.context"].aws_request_id == LambdaContextStub().aws_request_id


def test_header_values_are_latin1_strings_and_underscore_names_are_dropped() -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        start_response("204 No Content", [])
        return []

    sent = event()
    sent["multiValueHeaders"]["X-Euro"] = ["€"]
    sent["multiValueHeaders"]["X-Forwarded-For"] = ["1.2.3.4"]
    sent["multiValueHeaders"]["x_forwarded_for"] = ["6.6.6.6"]  # would merge into the real one
    wsgi_handler(app)(sent, LambdaContextStub())
    assert seen["HTTP_X_EURO"] == "€".encode().decode("latin-1")
    assert seen["HTTP_X_FORWARDED_FOR"] == "1.2.3.4"


def test_a_non_latin1_path_is_its_utf8_bytes_as_latin1_as_pep_3333_says() -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        start_response("204 No Content", [])
        return []

    wsgi_handler(app)(event("/Prod/caf%C3%A9"), LambdaContextStub())
    assert seen["PATH_INFO"].encode("latin-1").decode("utf-8") == "/café"


class Closing:
    """An iterable that records that it was closed, as PEP 3333 requires."""

    def __init__(self, items: Iterator[bytes]) -> None:
        self.items = items
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        return self.items

    def close(self) -> None:
        self.closed = True


def test_each_item_streams_with_the_head_and_the_iterable_is_closed() -> None:
    result = Closing(iter([b"", b"one", b"two"]))

    def app(environ: dict[str, Any], start_response: Any) -> Closing:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "6")])
        return result

    streamed = invoke_streaming(wsgi_handler(app), event())
    (prelude, first), (second,) = (w.chunks for w in streamed.writes)  # the head with item one
    assert prelude.endswith(DELIMITER) and json.loads(prelude[: -len(DELIMITER)]) == {
        "statusCode": 200,
        "headers": {"Content-Type": "text/plain"},  # Content-Length is the front door's
    }
    assert (first, second) == (b"one", b"two") and result.closed


def test_a_generator_failing_after_its_first_item_is_a_failed_stream_and_is_closed() -> None:
    closed: list[bool] = []

    def items() -> Iterator[bytes]:
        try:
            yield b"first"
            raise RuntimeError("lost the model")
        finally:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return items()

    streamed = invoke_streaming(wsgi_handler(app), event())
    assert streamed.status == 200 and streamed.body == b"first"
    assert isinstance(streamed.error, RuntimeError) and closed == [True]


def test_start_response_again_with_exc_info_before_the_first_item_replaces_the_head() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise KeyError("x")
        except KeyError:
            start_response("503 Service Unavailable", [("Retry-After", "1")], sys.exc_info())
        yield b"later"

    streamed = invoke_streaming(wsgi_handler(app), event())
    assert streamed.status == 503 and streamed.body == b"later"
    assert streamed.prelude is not None and dict(streamed.prelude.headers) == {"Retry-After": "1"}


def test_data_given_to_write_goes_out_first() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"legacy ")
        return [b"iterable"]

    assert invoke_streaming(wsgi_handler(app), event()).body == b"legacy iterable"


@pytest.mark.parametrize(
    ("app_result", "status"),
    [("no-start", "200 OK"), ("str-item", "200 OK"), ("start", "OK")],
    ids=["no-start_response", "str-item", "malformed-status"],
)
def test_an_app_breaking_pep_3333_gets_a_generic_500(app_result: str, status: str) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[Any]:
        if app_result == "no-start":
            return [b"x"]
        start_response(status, [])
        return ["text is not bytes"] if app_result == "str-item" else [b"x"]

    answer = wsgi_handler(app)(event(), LambdaContextStub())
    assert answer["statusCode"] == 500
    assert json.loads(answer["body"]) == {
        "message": "Internal server error",
        "requestId": LambdaContextStub().aws_request_id,
    }
    assert issubclass(WSGIError, RuntimeError)


def test_write_commits_the_head_so_a_later_exc_info_is_raised_again() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"half an answer")
        try:
            raise KeyError("late")
        except KeyError:
            start_response("500 Internal Server Error", [], sys.exc_info())
        return [b"an error page"]

    answer = wsgi_handler(app)(event(), LambdaContextStub())
    assert answer["statusCode"] == 500  # the head was committed, though nothing went out yet
    assert json.loads(answer["body"])["message"] == "Internal server error"


def test_write_refuses_what_is_not_bytes() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])("text is not bytes")
        return []

    assert wsgi_handler(app)(event(), LambdaContextStub())["statusCode"] == 500


@pytest.mark.parametrize(
    ("concurrency", "multiprocess"), [(None, False), ("", False), ("1", False), ("4", True)]
)
def test_the_environ_is_multiprocess_on_managed_instances(
    monkeypatch: pytest.MonkeyPatch, concurrency: str | None, multiprocess: bool
) -> None:
    if concurrency is None:
        monkeypatch.delenv("AWS_LAMBDA_MAX_CONCURRENCY", raising=False)
    else:
        monkeypatch.setenv("AWS_LAMBDA_MAX_CONCURRENCY", concurrency)
    seen: list[Any] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ["wsgi.multiprocess"])
        start_response("200 OK", [])
        return []

    wsgi_handler(app)(event(), LambdaContextStub())
    assert seen == [multiprocess]


def test_a_path_and_query_sent_unencoded_reach_flask_as_their_utf8_text() -> None:
    flask = pytest.importorskip("flask")
    app = flask.Flask(__name__)

    @app.get("/<path:where>")
    def where(where: str) -> dict[str, Any]:
        return {"where": where, "q": flask.request.args["q"]}

    request = Request("GET", "/", (("Host", "127.0.0.1:3001"),), b"", "10.0.0.9")
    url = url_event(request)
    url["rawPath"], url["rawQueryString"] = "/€uro/café", "q=é"
    answer = wsgi_handler(app)(url, LambdaContextStub())
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"where": "€uro/café", "q": "é"}
