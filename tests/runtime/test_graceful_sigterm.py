"""SIGTERM during an invocation: the runtime answers it first, then ends by SIGTERM.

Lambda sends SIGTERM in its shutdown phase when an extension is registered (and a Managed
Instances pool forwards it to its workers). The default action would cut the stream, or
never post the buffered answer; the runtime holds the signal until the response is
reported, then ends the process by it, so its exit status is the signal's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from runtime_env import runtime_env

from bedrock_stream.local.function_url import url_event
from bedrock_stream.local.invocation import InvocationRecord
from bedrock_stream.local.messages import Request
from bedrock_stream.local.runtime_api import RuntimeAPIServer
from bedrock_stream.protocol.runtime_api import ERROR_TYPE
from waiting import process_alive, wait_until

APP = """
import os, signal
from bedrock_stream import streaming_handler

def log(line):
    with open(os.environ["SIGTERM_LOG"], "a") as out:
        out.write(line + "\\n")

@streaming_handler(http=False, content_type="text/plain")
def stream(event, context):
    yield "before "
    os.kill(os.getpid(), signal.SIGTERM)
    yield "after"
    log("stream done")

def echo(event, context):
    return event

def plain(event, context):
    os.kill(os.getpid(), signal.SIGTERM)
    log("plain done")
    return {"answered": True}
"""

ASGI_APP = """
import os, signal
from bedrock_stream.asgi import asgi_handler
from app import log

STATE = {"db": "closed"}

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                STATE["db"] = "open"
            else:
                STATE["db"] = "closed"
                log("shutdown")
                if os.environ.get("SHUTDOWN_KILLS"):  # as Lambda would, were it slow
                    os.kill(os.getpid(), signal.SIGKILL)
                if os.environ.get("SHUTDOWN_SIGTERM"):  # its own, stopping its helpers
                    os.kill(os.getpid(), signal.SIGTERM)
                    log("shutdown-finished")
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"before ", "more_body": True})
    if scope["path"] == "/signal":
        os.kill(os.getpid(), signal.SIGTERM)
    await send({"type": "http.response.body", "body": b"db " + STATE["db"].encode()})
    log("request done")

handler = asgi_handler(app)

def early(event, context):  # SIGTERM in the runtime's own code, before the app runs
    os.kill(os.getpid(), signal.SIGTERM)
    return handler(event, context)
"""

FORKS = """
import os, time
from asgi_app import handler

helper = os.fork()  # a helper process the function's code starts at init
if helper == 0:
    time.sleep(60)
    os._exit(0)
with open(os.environ["SIGTERM_LOG"] + ".helper", "w") as out:
    out.write(str(helper))
"""


def _start(
    api: RuntimeAPIServer, tmp_path: Path, handler: str, **extra: str
) -> subprocess.Popen[bytes]:
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "asgi_app.py").write_text(ASGI_APP)
    (tmp_path / "forks.py").write_text(FORKS)
    env = runtime_env(api, tmp_path, _HANDLER=handler, SIGTERM_LOG=str(tmp_path / "log"), **extra)
    return subprocess.Popen(
        [sys.executable, "-m", "bedrock_stream.runtime"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _ended(proc: subprocess.Popen[bytes]) -> tuple[int, bytes]:
    try:
        status = proc.wait(timeout=30)
    finally:
        proc.kill()
        out, _ = proc.communicate()
    return status, out


def _log(tmp_path: Path) -> list[str]:
    return (tmp_path / "log").read_text().split()


@pytest.fixture
def api() -> object:
    with RuntimeAPIServer() as server:
        yield server


def test_a_stream_the_signal_meets_ends_complete_then_the_process_ends(
    api: RuntimeAPIServer, tmp_path: Path
) -> None:
    proc = _start(api, tmp_path, "app.stream")
    got = api.invoke({}).result(timeout=30)
    status, out = _ended(proc)
    assert (got.status, got.body) == ("success", b"before after")
    assert ERROR_TYPE not in got.trailers
    assert status == -signal.SIGTERM, out
    assert _log(tmp_path) == ["stream", "done"]
    assert b"SIGTERM: ending" in out


def test_a_buffered_answer_the_signal_meets_is_posted_then_the_process_ends(
    api: RuntimeAPIServer, tmp_path: Path
) -> None:
    proc = _start(api, tmp_path, "app.plain")
    got = api.invoke({}).result(timeout=30)
    status, out = _ended(proc)
    assert got.status == "success" and json.loads(got.body) == {"answered": True}
    assert status == -signal.SIGTERM, out


class PollCounter(RuntimeAPIServer):
    """A Runtime API that counts the ``/next`` polls it has begun to answer."""

    polls = 0

    def _take(self) -> InvocationRecord | None:
        self.polls += 1
        return super()._take()


def test_an_idle_runtime_ends_at_once(tmp_path: Path) -> None:
    with PollCounter() as api:
        proc = _start(api, tmp_path, "app.echo")
        assert api.invoke({"n": 1}).result(timeout=30).status == "success"
        wait_until(lambda: api.polls == 2, "the runtime waiting in /next again")
        proc.send_signal(signal.SIGTERM)
        status, out = _ended(proc)
    assert status == -signal.SIGTERM, out
    assert b"SIGTERM: ending" not in out


ASGI_CASES = {
    # A SIGTERM mid-request: the answer, then the app's shutdown, then the end by SIGTERM.
    "mid-request": ("asgi_app.handler", "/signal", {}, -signal.SIGTERM),
    # The app's shutdown kills the process outright: had it run before the runtime ended
    # the stream, the invocation would have failed.
    "shutdown-kills": ("asgi_app.handler", "/signal", {"SHUTDOWN_KILLS": "1"}, -signal.SIGKILL),
    # A SIGTERM in the runtime's own code before the app runs: its lifespan stays open.
    "before-the-app": ("asgi_app.early", "/", {}, -signal.SIGTERM),
}


@pytest.mark.parametrize("case", ASGI_CASES)
def test_an_asgi_apps_shutdown_runs_once_its_answer_is_reported(
    api: RuntimeAPIServer, tmp_path: Path, case: str
) -> None:
    handler, path, env, ended_by = ASGI_CASES[case]
    proc = _start(api, tmp_path, handler, **env)
    got = api.invoke(url_event(Request("GET", path, (("Host", "h"),), b""))).result(timeout=30)
    status, out = _ended(proc)
    assert got.status == "success" and ERROR_TYPE not in got.trailers
    assert got.body.split(b"\x00" * 8, 1)[1] == b"before db open"
    assert status == ended_by, out
    assert _log(tmp_path) == ["request", "done", "shutdown"]


def test_an_idle_runtime_runs_the_shutdown_work_whole_then_ends(tmp_path: Path) -> None:
    with PollCounter() as api:
        proc = _start(api, tmp_path, "asgi_app.handler", SHUTDOWN_SIGTERM="1")
        got = api.invoke(url_event(Request("GET", "/", (("Host", "h"),), b""))).result(30)
        wait_until(lambda: api.polls == 2, "the runtime waiting in /next again")
        proc.send_signal(signal.SIGTERM)
        status, out = _ended(proc)
    assert got.status == "success"
    assert status == -signal.SIGTERM, out
    # The work's own SIGTERM did not cut it short.
    assert _log(tmp_path) == ["request", "done", "shutdown", "shutdown-finished"]


def test_a_process_the_handler_forks_ends_by_sigterm_without_the_runtimes_work(
    api: RuntimeAPIServer, tmp_path: Path
) -> None:
    proc = _start(api, tmp_path, "forks.handler")
    try:
        helper_file = tmp_path / "log.helper"
        wait_until(helper_file.exists, "the helper forked")
        wait_until(lambda: helper_file.read_text() != "", "the helper's pid written")
        helper = int(helper_file.read_text())
        os.kill(helper, signal.SIGTERM)
        wait_until(lambda: not process_alive(helper), "the helper ended")
        assert not (tmp_path / "log").exists()  # no shutdown ran in the helper
        assert proc.poll() is None  # the runtime itself serves on
    finally:
        proc.kill()
        proc.communicate()
