"""A FastAPI app that streams under uvicorn streams unchanged as a Lambda.

The app of ``apps/matrix_app.py`` is served by uvicorn on loopback and, wrapped by
``asgi_handler``, as a Lambda function on the local stack, behind a REST API with
``STREAM`` transfer (payload 1.0: the app runs under ``root_path`` ``/Prod``, so uvicorn
runs with ``--root-path /Prod`` to compare) and a function URL in ``RESPONSE_STREAM`` mode
(payload 2.0: no root path). Every route's answer must be the same on both sides: status,
headers (but those in ``app_matrix.IGNORED``; behind a function URL, whose response has one
value per header, repeated fields combined), body, and whether it ended cleanly.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import boto3
import pytest
from matrix_app import BINARY_FIRST, SECRET
from startup_fails import MESSAGE

from app_matrix import BODIES, Sides, assert_echoes, call, comparable, read_through_gate
from bedrock_stream.local.stack import LocalStack
from waiting import wait_until

APPS = Path(__file__).parent / "apps"

ROUTES = {
    "root": ("GET", "/"),
    "json": ("GET", "/json"),
    "path-parameter": ("GET", "/items/1"),
    "http-exception-404": ("GET", "/items/7"),
    "validation-422": ("GET", "/items/abc"),
    "unknown-route-404": ("GET", "/nowhere"),
    "wrong-method-405": ("POST", "/json"),
    "no-content-204": ("DELETE", "/items/1"),
    "teapot-418": ("GET", "/teapot"),
    "head": ("HEAD", "/json"),
    "redirect": ("GET", "/redirect"),
    "redirect-url-for": ("GET", "/redirect/absolute"),
    "cookies": ("GET", "/cookies"),
    "repeated-response-headers": ("GET", "/headers/repeated"),
    "no-content-type": ("GET", "/untyped"),
    "percent-encoded-path": ("GET", "/where/caf%C3%A9%7E%2B"),
    "encoded-slash": ("GET", "/where/a%2Fb"),
    "query-key-without-value": ("GET", "/query?flag&a=1"),
    "repeated-query-keys": ("GET", "/query?a=1&a=2&a=3&b=x%20y&c=&d=p+q&e=%2B%26&f=%C3%A9"),
    "stage-prefix": ("GET", "/where/here%20now?k=v"),
    "large-response": ("GET", "/large?mib=2"),
    "exception-in-route": ("GET", "/boom"),
    "stream-text-ungated": ("GET", "/stream/text"),
    "many-small-chunks": ("GET", "/stream/many?n=2000"),
    "file": ("GET", "/file"),
}


@pytest.mark.parametrize("route", ROUTES)
def test_route_answers_the_same(sides: Sides, route: str) -> None:
    method, target = ROUTES[route]
    sides.compare(target, method=method)


REQUESTS = {
    "cookies-sent": ("/cookies/echo", {"Cookie": 'a=1; b="two words"; c='}),
    "range-206": ("/file", {"Range": "bytes=10-99"}),
    "request-headers": ("/headers", {"User-Agent": "matrix/1", "Content-Type": "text/x-m"}),
}


@pytest.mark.parametrize("case", REQUESTS)
def test_request_headers_reach_the_app_the_same(sides: Sides, case: str) -> None:
    target, headers = REQUESTS[case]
    sides.compare(target, headers=headers)


@pytest.mark.parametrize("target", ["/large?mib=1", "/stream/text"])
def test_gzip_from_the_apps_middleware_is_the_same(sides: Sides, target: str) -> None:
    """Compared once inflated: a gzip header holds the time it was written (RFC 1952 2.3.1)."""
    headers = {"Accept-Encoding": "gzip"}
    expected, got = (
        call(sides.reference, target, headers=headers),
        call(sides.function, target, headers=headers),
    )
    assert expected.header("Content-Encoding") == "gzip"
    assert (got.status, comparable(got)) == (expected.status, comparable(expected))
    assert gzip.decompress(got.body) == gzip.decompress(expected.body)
    assert got.complete and expected.complete


def test_a_repeated_request_header_is_comma_joined_behind_a_function_url(
    lambda_bases: dict[str, str], uvicorn_servers: dict[str, str]
) -> None:
    """Payload 2.0 carries each header once, its repeats joined with commas (1.0 keeps them)."""
    repeated = [("X-Custom", "a"), ("X-Custom", "b")]
    seen = {
        side: json.loads(call(base, "/headers", headers=repeated).body)["x-custom"]
        for side, base in (
            ("uvicorn", uvicorn_servers["staged"]),
            ("rest", lambda_bases["rest"]),
            ("url", lambda_bases["url"].rstrip("/")),
        )
    }
    assert seen == {"uvicorn": ["a", "b"], "rest": ["a", "b"], "url": ["a,b"]}


def test_repeated_query_keys_interleaved_come_grouped_behind_a_rest_api(sides: Sides) -> None:
    """Payload 1.0 carries the query as ``multiValueQueryStringParameters``: one list per key.

    The order of each key's values is kept; how keys interleaved is not in the event, so
    behind a REST API the app sees them grouped by key, in first-seen order.
    """
    reference, function, _ = sides
    target = "/query?a=1&b=x&a=2"
    seen = json.loads(call(function, target).body)["items"]
    if sides.door == "rest":
        assert seen == [["a", "1"], ["a", "2"], ["b", "x"]]
    else:
        assert seen == json.loads(call(reference, target).body)["items"]


def test_the_stage_prefix_is_the_root_path(lambda_bases: dict[str, str]) -> None:
    """What the app sees behind the REST API: the stage as ``root_path``, in ``path``."""
    seen = json.loads(call(lambda_bases["rest"], "/where/x").body)
    assert seen["root_path"] == "/Prod"
    assert seen["path"] == seen["url.path"] == "/Prod/where/x"
    assert seen["url_for"] == "http://localhost/Prod/where/other"
    unprefixed = json.loads(call(lambda_bases["url"], "/where/x").body)
    assert (unprefixed["root_path"], unprefixed["path"]) == ("", "/where/x")


@pytest.mark.parametrize("kind", BODIES)
def test_a_large_request_body_is_echoed(sides: Sides, kind: str) -> None:
    assert_echoes(sides, kind)


FIRST = {
    "/stream/text": b"first line\n",
    "/stream/binary": BINARY_FIRST,
    "/sse": b"event: first\r\ndata: one\r\n\r\n",
}


@pytest.mark.parametrize("route", FIRST)
def test_the_first_chunk_arrives_before_the_route_finishes(
    sides: Sides, route: str, tmp_path: Path
) -> None:
    replies = []
    for side, base in zip(("uvicorn", "lambda"), sides[:2], strict=True):
        gate = tmp_path / side
        reply, head = read_through_gate(
            base, f"{route}?gate={quote(str(gate))}", gate, FIRST[route]
        )
        assert head == FIRST[route]
        replies.append(reply)
    assert replies[0].complete
    sides.assert_same(*replies)


def test_a_background_task_runs_after_the_response(sides: Sides, tmp_path: Path) -> None:
    replies = []
    for side, base in zip(("uvicorn", "lambda"), sides[:2], strict=True):
        path = quote(str(tmp_path / side))
        answer = call(base, f"/background?path={path}&value=done-{side[0]}", method="POST")
        wait_until((tmp_path / side).exists, f"the background task behind {side}")
        replies.append((answer, call(base, f"/read?path={path}")))
    (uvicorn_answer, uvicorn_read), (lambda_answer, lambda_read) = replies
    sides.assert_same(uvicorn_answer, lambda_answer)
    assert (uvicorn_read.body, lambda_read.body) == (b"done-u", b"done-l")


def test_an_exception_before_any_response_is_a_generic_500(sides: Sides) -> None:
    """No framework catches it: each server answers with its own 500, naming nothing."""
    reference, function, _ = sides
    expected, got = call(reference, "/raw-crash"), call(function, "/raw-crash")
    assert (expected.status, expected.body) == (500, b"Internal Server Error")
    assert got.status == 500 and got.complete
    assert got.header("Content-Type") == "application/json"
    assert json.loads(got.body)["message"] == "Internal server error"
    assert SECRET.encode() not in got.body


def test_a_stream_that_fails_does_not_end_cleanly(sides: Sides) -> None:
    reference, function, _ = sides
    expected, got = call(reference, "/stream/fail"), call(function, "/stream/fail")
    assert (expected.status, expected.complete) == (200, False)
    assert (got.status, got.complete) == (200, False)
    assert expected.body == got.body == b"first\n"  # the app's bytes only, nothing of ours


def test_a_failed_lifespan_startup_fails_the_server_and_the_function(
    asgi_stack: LocalStack,
) -> None:
    command = [sys.executable, "-m", "uvicorn", "startup_fails:app", "--app-dir", str(APPS)]
    exited = subprocess.run(
        [*command, "--port", "0", "--lifespan", "on"], capture_output=True, text=True, timeout=60
    )
    assert exited.returncode != 0
    assert MESSAGE in exited.stderr
    client = boto3.client(
        "lambda",
        endpoint_url=asgi_stack.endpoint("lambda", "lambda-api").url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    invoked = client.invoke(FunctionName="StartupFailsFunction", Payload=b"{}")
    assert invoked["FunctionError"] == "Unhandled"
    error = json.loads(invoked["Payload"].read())
    assert MESSAGE in error["errorMessage"]
    url = asgi_stack.endpoint("StartupFailsFunction", "function-url").url
    assert call(url.rstrip("/"), "/").status == 502
