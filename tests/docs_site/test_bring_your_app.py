"""The "Bring your app" page (docs/bring-your-app.md): its samples run and do what it says.

Each sample is a file under docs/examples/apps/ shown byte for byte on the page
(tests/core/test_docs.py and test_deploy_examples.py check the copies); these tests check the
behaviour the prose claims: each write leaves as the app makes it, the stage prefix reaches
the app, background tasks finish before the invocation does, the lifespan's startup runs at
import and its shutdown on SIGTERM, and the template serves every route of each app through
the exec wrapper on the local stack.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import runpy
import shutil
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bedrock_stream.testing import invoke_streaming
from waiting import wait_until

ROOT = Path(__file__).parents[2]
APPS = ROOT / "docs" / "examples" / "apps"
PAGE = ROOT / "docs" / "bring-your-app.md"
SAMPLES = [
    "docs/examples/apps/src/fastapi_app.py",
    "docs/examples/apps/src/starlette_sse.py",
    "docs/examples/apps/src/flask_app.py",
    "docs/examples/apps/template.yaml",
]
WORDS = b"each\nword\nleaves\nas\nsoon\nas\nit\nis\nwritten\n"

sys.path.insert(0, str(ROOT / "tests" / "stack"))  # the stack tests' request helpers
from stack_calls import call, sigv4_headers  # noqa: E402


def _handler(name: str) -> Callable[[Any, Any], Any]:
    """A sample's ``handler``, from a fresh import of its module (a new Lambda process)."""
    handler: Callable[[Any, Any], Any] = runpy.run_path(str(APPS / "src" / f"{name}.py"))["handler"]
    return handler


def _get(event: dict[str, Any], path: str, stage: str = "Prod") -> dict[str, Any]:
    """``GET path`` as API Gateway's REST API sends it from ``stage`` (payload 1.0)."""
    context = {**event["requestContext"], "path": f"/{stage}{path}", "httpMethod": "GET"}
    return {**event, "httpMethod": "GET", "path": path, "body": None, "requestContext": context}


def test_the_page_shows_every_sample() -> None:
    page = PAGE.read_text()
    for sample in SAMPLES:
        assert f"<!-- snippet: {sample} -->" in page, sample
    shown = {p.relative_to(ROOT).as_posix() for p in (APPS / "src").glob("*.py")}
    assert shown <= set(SAMPLES), "a sample file the page does not show"


@pytest.mark.parametrize("name", ["fastapi_app", "flask_app"])
def test_each_word_leaves_as_it_is_written_and_buffered_the_body_is_whole(
    name: str, rest_event: dict[str, Any]
) -> None:
    handler = _handler(name)
    streamed = invoke_streaming(handler, _get(rest_event, "/words"))
    assert streamed.error is None and streamed.prelude is not None
    assert streamed.prelude.status_code == 200
    prelude, *chunks = [chunk for write in streamed.writes for chunk in write.chunks]
    assert prelude.endswith(b"\0" * 8)
    assert chunks == [word + b"\n" for word in WORDS.split(b"\n")[:-1]]
    buffered = handler(_get(rest_event, "/words"), None)
    assert (buffered["statusCode"], buffered["body"].encode()) == (200, WORDS)


def test_the_stage_prefix_is_the_root_path_and_the_script_name(
    rest_event: dict[str, Any], url_event: dict[str, Any]
) -> None:
    fastapi, flask = _handler("fastapi_app"), _handler("flask_app")
    where = _get(rest_event, "/where")
    assert json.loads(fastapi(where, None)["body"]) == {
        "root_path": "/Prod",
        "path": "/Prod/where",
    }
    assert json.loads(flask(where, None)["body"]) == {"script_root": "/Prod", "path": "/where"}
    # A function URL has no prefix.
    direct = {**url_event, "rawPath": "/where", "body": None, "isBase64Encoded": False}
    direct["requestContext"] = {
        **url_event["requestContext"],
        "http": {**url_event["requestContext"]["http"], "method": "GET", "path": "/where"},
    }
    assert json.loads(fastapi(direct, None)["body"]) == {"root_path": "", "path": "/where"}
    assert json.loads(flask(direct, None)["body"]) == {"script_root": "", "path": "/where"}


def test_sse_events_stream_and_the_background_task_runs_before_the_invocation_ends(
    rest_event: dict[str, Any],
) -> None:
    namespace = runpy.run_path(str(APPS / "src" / "starlette_sse.py"))
    event = _get(rest_event, "/count")
    event["queryStringParameters"] = {"upto": "4"}
    event["multiValueQueryStringParameters"] = {"upto": ["4"]}
    result = invoke_streaming(namespace["handler"], event)
    assert result.prelude is not None
    assert result.prelude.headers["content-type"] == "text/event-stream; charset=utf-8"
    data = re.findall(rb"data: (.*)\r\n", result.body)
    assert data == [b"1", b"2", b"3", b"4", b"[DONE]"]
    assert len([w for w in result.writes if any(w.chunks)]) >= 5  # one write per event
    assert namespace["SENT"] == [4]  # the background task ran before the handler returned


@contextlib.contextmanager
def _uvicorn(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port; yield its base URL."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, "uvicorn started")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def test_the_same_module_runs_under_uvicorn_with_the_same_answers(
    rest_event: dict[str, Any],
) -> None:
    namespace = runpy.run_path(str(APPS / "src" / "fastapi_app.py"))
    with _uvicorn(namespace["app"]) as base:
        with urllib.request.urlopen(base + "/words", timeout=30) as served:
            assert served.read() == WORDS
        with urllib.request.urlopen(base + "/where", timeout=30) as served:
            assert json.loads(served.read()) == {"root_path": "", "path": "/where"}
    assert namespace["handler"](_get(rest_event, "/words"), None)["body"].encode() == WORDS


def test_the_lifespan_starts_at_import_and_shuts_down_on_sigterm() -> None:
    code = (
        "import os, runpy, signal\n"
        f"ns = runpy.run_path({str(APPS / 'src' / 'fastapi_app.py')!r})\n"
        "print('started:', ' '.join(ns['app'].state.words), flush=True)\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.splitlines() == [
        "started: each word leaves as soon as it is written",
        "shutdown: on SIGTERM or at exit",
    ], done.stderr
    assert done.returncode == -signal.SIGTERM  # then the default action, as without the app


def test_the_template_passes_cfn_lint() -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    template = APPS / "template.yaml"
    done = subprocess.run([str(cfn_lint), str(template)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(os.name != "posix", reason="the local Lambda service is POSIX")
@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("fastapi_app", {"root_path": "/Prod", "path": "/Prod/where"}),
        ("flask_app", {"script_root": "/Prod", "path": "/where"}),
    ],
)
def test_the_template_serves_every_route_of_the_app_through_the_wrapper(
    name: str, where: dict[str, str], tmp_path: Path, local_stack: Callable[..., Any]
) -> None:
    app = tmp_path / "app"
    shutil.copytree(APPS, app)
    template = app / "template.yaml"
    template.write_text(
        template.read_text().replace("Handler: fastapi_app.handler", f"Handler: {name}.handler")
    )
    stack = local_stack(str(template))
    root = stack.endpoint("ServerlessRestApi").url.split("/Prod/")[0] + "/Prod"
    answers = {}
    for path in ("/where", "/words"):
        url = root + path
        signed = sigv4_headers(url, b"", "execute-api", method="GET")
        with call(None, url, "GET", headers=signed) as response:
            assert response.status == 200
            assert response.getheader("Transfer-Encoding") == "chunked"  # a STREAM route
            answers[path] = response.read()
    assert json.loads(answers["/where"]) == where
    assert answers["/words"] == WORDS
    with call(None, root + "/words") as refused:  # an unsigned call never reaches the app
        assert refused.status == 403
        refused.read()
