"""A Flask app that streams under a WSGI server streams unchanged as a Lambda.

The app of ``apps/flask_app.py`` is served by Werkzeug's server on loopback and, wrapped by
``wsgi_handler``, as a Lambda function on the local stack, behind a REST API with ``STREAM``
transfer (payload 1.0: ``SCRIPT_NAME`` is the stage, ``/Prod``, so Werkzeug mounts the app
there too to compare) and a function URL in ``RESPONSE_STREAM`` mode (payload 2.0: no
prefix). Every route's answer must be the same on both sides: status, headers (but those
in ``app_matrix.IGNORED``; behind a function URL, whose response has one value per
header, repeated fields combined), body, and whether it ended cleanly.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest
from flask_app import SECRET

from app_matrix import BODIES, Sides, assert_echoes, call, read_through_gate

ROUTES = {
    "root": ("GET", "/"),
    "json": ("GET", "/json"),
    "path-parameter": ("GET", "/items/1"),
    "abort-404": ("GET", "/items/7"),
    "unknown-route-404": ("GET", "/nowhere"),
    "wrong-method-405": ("POST", "/json"),
    "no-content-204": ("DELETE", "/items/1"),
    "teapot-418": ("GET", "/teapot"),
    "head": ("HEAD", "/json"),
    "redirect": ("GET", "/redirect"),
    "redirect-url-for": ("GET", "/redirect/absolute"),
    "cookies": ("GET", "/cookies"),
    "repeated-query-keys": ("GET", "/query?a=1&a=2&a=3&b=x%20y&c=&d=p+q&e=%2B%26&f=%C3%A9"),
    "script-root": ("GET", "/where/here%20now?k=v"),
    "large-response": ("GET", "/large?mib=2"),
    "exception-in-view": ("GET", "/boom"),
    "stream-ungated": ("GET", "/stream"),
    "many-small-items": ("GET", "/stream/many?n=2000"),
    "file": ("GET", "/file"),
}


@pytest.mark.parametrize("route", ROUTES)
def test_route_answers_the_same(flask_sides: Sides, route: str) -> None:
    method, target = ROUTES[route]
    flask_sides.compare(target, method=method)


REQUESTS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "cookies-sent": ("/cookies/echo", [("Cookie", 'a=1; b="two words"; c=')]),
    "request-headers": ("/headers", [("User-Agent", "matrix/1"), ("Content-Type", "text/x-m")]),
    "repeated-request-header": ("/headers", [("X-Custom", "a"), ("X-Custom", "b")]),
    "range-206": ("/file", [("Range", "bytes=10-99")]),
}


@pytest.mark.parametrize("case", REQUESTS)
def test_request_headers_reach_the_app_the_same(flask_sides: Sides, case: str) -> None:
    target, headers = REQUESTS[case]
    flask_sides.compare(target, headers=headers)


def test_a_matching_etag_is_a_304_without_a_body(flask_sides: Sides) -> None:
    etag = call(flask_sides.reference, "/file").header("ETag")
    assert etag is not None
    answer = flask_sides.compare("/file", headers={"If-None-Match": etag})
    assert (answer.status, answer.body) == (304, b"")


def test_the_stage_prefix_is_the_script_root(flask_lambda_bases: dict[str, str]) -> None:
    """What the app sees behind the REST API: the stage as ``SCRIPT_NAME``."""
    seen = json.loads(call(flask_lambda_bases["rest"], "/where/x").body)
    assert (seen["script_name"], seen["path_info"]) == ("/Prod", "/where/x")
    assert (seen["script_root"], seen["path"]) == ("/Prod", "/where/x")
    assert seen["url_for"] == "http://localhost/Prod/where/other"
    unprefixed = json.loads(call(flask_lambda_bases["url"], "/where/x").body)
    assert (unprefixed["script_name"], unprefixed["path_info"]) == ("", "/where/x")


@pytest.mark.parametrize("kind", BODIES)
def test_a_large_request_body_is_echoed(flask_sides: Sides, kind: str) -> None:
    assert_echoes(flask_sides, kind)


def test_the_first_chunk_arrives_before_the_view_finishes(
    flask_sides: Sides, tmp_path: Path
) -> None:
    replies = []
    for side, base in zip(("werkzeug", "lambda"), flask_sides[:2], strict=True):
        gate = tmp_path / side
        reply, head = read_through_gate(
            base, f"/stream?gate={quote(str(gate))}", gate, b"first line\n"
        )
        assert head == b"first line\n"
        replies.append(reply)
    assert replies[0].complete
    flask_sides.assert_same(*replies)


def test_an_exception_before_any_response_is_a_generic_500(flask_sides: Sides) -> None:
    """No framework catches it: each server answers with its own 500, naming nothing."""
    reference, function, _ = flask_sides
    expected, got = call(reference, "/raw-crash"), call(function, "/raw-crash")
    assert expected.status == 500 and b"Internal Server Error" in expected.body
    assert got.status == 500 and got.complete
    assert got.header("Content-Type") == "application/json"
    assert json.loads(got.body)["message"] == "Internal server error"
    for reply in (expected, got):
        assert SECRET.encode() not in reply.body


def test_a_generator_that_fails_does_not_end_cleanly(flask_sides: Sides) -> None:
    reference, function, _ = flask_sides
    expected, got = call(reference, "/stream/fail"), call(function, "/stream/fail")
    assert (expected.status, expected.complete) == (200, False)
    assert (got.status, got.complete) == (200, False)
    assert expected.body == got.body == b"first\n"  # the app's bytes only, nothing of ours
