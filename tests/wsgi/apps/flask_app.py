"""The WSGI conformance matrix's app: one Flask app, served by Werkzeug and as a Lambda.

Each route shows one thing a web app does (see ``tests/wsgi/test_wsgi_matrix.py``). The
streamed route takes ``?gate=<dir>``: it yields its first chunk, then waits for the file
``<dir>/release`` (see ``tests/app_matrix.py``). ``application`` is the Flask app behind a
one-line WSGI wrapper that raises, before any response, on ``/raw-crash``: no framework
catches that, so the server's own answer shows.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    Response,
    abort,
    jsonify,
    redirect,
    request,
    send_file,
    stream_with_context,
    url_for,
)

GATE_TIMEOUT = 10.0
"""Seconds the gated route waits for ``release`` before it writes ``timed-out`` and goes on."""

SECRET = "the-secret-detail-4711"
"""Text of the exceptions routes raise: it must never reach a client."""

LARGE_PATTERN = bytes(range(251))
"""Repeated for the large response (a prime length, so no chunk boundary lines up)."""

app = Flask(__name__)


def wait_at_gate(gate: str | None) -> None:
    """Wait for ``<gate>/release``; after :data:`GATE_TIMEOUT`, write ``timed-out``."""
    if gate is None:
        return
    release = Path(gate) / "release"
    for _ in range(int(GATE_TIMEOUT / 0.01)):
        if release.exists():
            return
        time.sleep(0.01)
    (Path(gate) / "timed-out").touch()


@app.get("/")
def root() -> Response:
    """The app's root: behind a REST API, the stage's."""
    return jsonify(path=request.path, url_for=url_for("root", _external=True))


@app.get("/json")
def get_json() -> Response:
    """A JSON body and a header of the app's own."""
    response = jsonify(hello="wörld", numbers=[1, 2, 3])
    response.headers["X-Matrix"] = "json"
    return response


@app.get("/stream")
def stream() -> Response:
    """A streamed generator, one line per item, the first before the gate."""
    gate = request.args.get("gate")

    @stream_with_context
    def lines() -> Iterator[str]:
        yield "first line\n"
        wait_at_gate(gate)
        for n in range(3):
            yield f"line {n} of {request.path}: ünïcödé\n"

    return Response(lines(), mimetype="text/plain")


@app.get("/stream/many")
def stream_many() -> Response:
    """``n`` small items, as fast as they come."""
    n = int(request.args.get("n", "2000"))
    return Response((b"%d\n" % i for i in range(n)), mimetype="text/plain")


@app.get("/file")
def file() -> Response:
    """This very file: ``ETag``, ``Last-Modified``; a ``Range`` gets a 206, a match a 304."""
    return send_file(__file__, mimetype="text/x-python")


@app.get("/items/<int:item_id>")
def item(item_id: int) -> Response:
    """Item 1 exists; the others are ``abort(404)`` with a description."""
    if item_id != 1:
        abort(404, description=f"no item {item_id}")
    return jsonify(item=item_id)


@app.delete("/items/<int:item_id>")
def delete_item(item_id: int) -> tuple[str, int]:
    """No content."""
    return "", 204


@app.get("/teapot")
def teapot() -> tuple[Response, int]:
    """A status without a common reason phrase."""
    return jsonify(tea=True), 418


@app.get("/redirect")
def relative_redirect() -> Response:
    """A relative redirect."""
    return redirect("/json?from=redirect", code=307)


@app.get("/redirect/absolute")
def absolute_redirect() -> Response:
    """A redirect to a URL the app builds, stage prefix (``SCRIPT_NAME``) included."""
    return redirect(url_for("get_json", _external=True), code=303)


@app.get("/cookies")
def cookies() -> Response:
    """Several ``Set-Cookie`` headers on one response."""
    response = jsonify(cookies=3)
    response.set_cookie("session", "abc123", httponly=True, samesite="Strict")
    response.set_cookie("theme", "dark", expires=datetime(2030, 1, 1, tzinfo=timezone.utc))
    response.delete_cookie("old")
    return response


@app.get("/cookies/echo")
def cookies_echo() -> Response:
    """The cookies the request carried, as the app parses them."""
    return jsonify(request.cookies.to_dict())


@app.get("/headers")
def headers() -> Response:
    """Request headers as the app sees them: a repeated one, and ones the client set once."""
    return jsonify(
        {
            "x-custom": request.headers.getlist("X-Custom"),
            "user-agent": request.headers.get("User-Agent"),
            "content-type": request.headers.get("Content-Type"),
        }
    )


@app.get("/query")
def query() -> Response:
    """The query as the app parses it: repeated keys kept, in order."""
    return jsonify(items=list(request.args.items(multi=True)), a=request.args.getlist("a"))


@app.get("/where/<name>")
def where(name: str) -> Response:
    """Where the app thinks it is: paths, script root and the URLs it builds."""
    return jsonify(
        path=request.path,
        script_root=request.script_root,
        script_name=request.environ["SCRIPT_NAME"],
        path_info=request.environ["PATH_INFO"],
        url=request.url,
        base_url=request.base_url,
        url_for=url_for("where", name="other", _external=True),
        name=name,
    )


@app.post("/echo")
def echo() -> Response:
    """The request body back, with its length and SHA-256."""
    body = request.get_data()
    response = Response(body, mimetype="application/octet-stream")
    response.headers["X-Length"] = str(len(body))
    response.headers["X-SHA256"] = hashlib.sha256(body).hexdigest()
    return response


@app.get("/large")
def large() -> Response:
    """``mib`` MiB of :data:`LARGE_PATTERN`."""
    size = int(request.args.get("mib", "2")) * 1024 * 1024
    body = (LARGE_PATTERN * (size // len(LARGE_PATTERN) + 1))[:size]
    return Response(body, mimetype="application/octet-stream")


@app.get("/boom")
def boom() -> Response:
    """Raise before any response: Flask answers its own 500."""
    raise RuntimeError(SECRET)


@app.get("/stream/fail")
def stream_fail() -> Response:
    """A generator that raises after its first item: the stream must not look complete."""

    def chunks() -> Iterator[str]:
        yield "first\n"
        raise RuntimeError(SECRET)

    return Response(chunks(), mimetype="text/plain")


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """``app``, except that ``/raw-crash`` raises before any framework sees it."""
    if environ["PATH_INFO"].endswith("/raw-crash"):
        raise RuntimeError(SECRET)
    return app(environ, start_response)
