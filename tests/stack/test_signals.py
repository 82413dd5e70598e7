"""Every long-running entry point stops on one signal; function processes never outlive it.

Each entry point starts as a shell's background job does, with SIGINT ignored, so that
only the handlers it installs itself can act on Ctrl-C.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bedrock_stream.local.signals import catch_stop_signals
from bedrock_stream.local.stack import LocalStack
from waiting import process_alive, wait_for_file

pytestmark = pytest.mark.skipif(os.name != "posix", reason="signals and process groups")

APP = Path(__file__).parent / "app" / "template.yaml"
ENTRY_POINTS = {
    "local": (["bedrock_stream.cli", "local", "-t", str(APP), "-p", "0", "--speed", "0"], "Ctrl-C"),
    "bedrock": (["bedrock_stream.local.bedrock", "--speed", "0"], "http://"),
}
BOUND = 20.0  # seconds: generous, for a loaded CI machine

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.13
    CodeUri: src/
    Timeout: 900
    Environment:
      Variables:
        PIDS: "{pids}"
Resources:
  Daemon:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.daemon
      FunctionUrlConfig:
        AuthType: NONE
  Busy:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.busy
      FunctionUrlConfig:
        AuthType: NONE
"""

HANDLERS = """\
import os
import subprocess
import time
from pathlib import Path


def daemon(event, context):
    # A session of its own, this process's stdout and stderr: out of reach of its group.
    child = subprocess.Popen(["sleep", "600"], start_new_session=True)
    Path(os.environ["PIDS"], "daemon").write_text(str(child.pid))
    return child.pid


def busy(event, context):
    Path(os.environ["PIDS"], "busy").write_text(str(os.getpid()))
    time.sleep(600)
"""


def _as_background_job() -> None:
    """In the child, before exec: ignore SIGINT, as a shell does for a background job."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _start(module_args: list[str], log: Path, **env: str) -> subprocess.Popen[str]:
    """Start ``python -m ...`` as a background job; its stderr goes to ``log``."""
    with log.open("w") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", *module_args],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            start_new_session=True,
            preexec_fn=_as_background_job,
            env={**os.environ, "PYTHONFAULTHANDLER": "1", **env},  # SIGABRT dumps stacks
        )


def _read_until(process: subprocess.Popen[str], marker: str) -> list[str]:
    """Return stdout's lines up to the first that starts with ``marker`` (it is serving)."""
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith(marker):
            return lines
    raise AssertionError(f"exited before serving: {lines}")


def _stop_or_fail(process: subprocess.Popen[str], signum: int, log: Path) -> int:
    """Send ``signum`` once; return the exit status; a hang fails with every thread's stack."""
    process.send_signal(signum)
    try:
        return process.wait(timeout=BOUND)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        process.wait(timeout=10)
        pytest.fail(
            f"{signal.Signals(signum).name} did not stop it in {BOUND} s:\n{log.read_text()}"
        )


@contextlib.contextmanager
def _reaped(process: subprocess.Popen[Any]) -> Iterator[subprocess.Popen[Any]]:
    """Kill ``process``'s group unless it has exited, and reap it."""
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()


@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name
)
@pytest.mark.parametrize("entry_point", sorted(ENTRY_POINTS))
def test_one_signal_stops_a_background_entry_point(
    entry_point: str, signum: signal.Signals, tmp_path: Path
) -> None:
    module_args, ready = ENTRY_POINTS[entry_point]
    log = tmp_path / "stderr.log"
    with _reaped(_start(module_args, log)) as process:
        _read_until(process, ready)
        assert _stop_or_fail(process, signum, log) == 0, log.read_text()
        assert "stopping...\n" in log.read_text()


def test_an_inherited_ignored_sighup_is_kept_for_nohup() -> None:
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        catch_stop_signals()
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
        assert all(callable(signal.getsignal(s)) for s in saved)
    finally:
        signal.signal(signal.SIGHUP, previous)
        for signum, handler in saved.items():
            signal.signal(signum, handler)


# -- function processes ------------------------------------------------------------------


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """Write the daemon-and-busy app; its functions write their pids into ``tmp_path/pids``."""
    (tmp_path / "pids").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(HANDLERS)
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE.format(pids=tmp_path / "pids"))
    return template


def _gone_within(pid: int, bound: float) -> bool:
    """Return whether ``pid`` stops running within ``bound`` seconds."""
    done = threading.Event()
    for _ in range(int(bound / 0.01)):
        if not process_alive(pid):
            return True
        done.wait(0.01)
    return not process_alive(pid)


def _stacks() -> str:
    frames = sys._current_frames()
    return "\n".join(
        f"--- {thread.name}\n" + "".join(traceback.format_stack(frames[thread.ident]))
        for thread in threading.enumerate()
        if thread.ident in frames and thread is not threading.current_thread()
    )


def test_a_daemon_holding_the_functions_output_does_not_hang_the_stop(
    app: Path, tmp_path: Path
) -> None:
    stack = LocalStack(app, port=0, speed=0).start()
    closing = threading.Thread(target=stack.close, name="close")
    daemon = 0
    try:
        url = stack.endpoint("Daemon", "function-url").url
        with urllib.request.urlopen(urllib.request.Request(url, b"{}"), timeout=60) as answer:
            assert answer.status == 200
        daemon = int((tmp_path / "pids" / "daemon").read_text())
        assert process_alive(daemon)  # it holds the function's stdout and stderr open
        closing.start()
        closing.join(BOUND)
        assert not closing.is_alive(), f"stack.close() hung:\n{_stacks()}"
    finally:
        if daemon:
            os.kill(daemon, signal.SIGKILL)  # lets a hung close() finish too
        if closing.ident is None:
            stack.close()
        else:
            closing.join()


@pytest.mark.parametrize("operation", ["Invoke", "InvokeWithResponseStream"])
def test_a_lambda_api_call_waiting_on_a_busy_function_does_not_hang_the_stop(
    tmp_path: Path, operation: str
) -> None:
    # The function waits for a file that never comes; the stop must not wait for it.
    stack = LocalStack(APP, port=0, speed=0).start()
    closing = threading.Thread(target=stack.close, name="close")
    try:
        api = urlsplit(stack.endpoint("lambda", "lambda-api").url)
        path = {
            "Invoke": "/2015-03-31/functions/StreamFunction/invocations",
            "InvokeWithResponseStream": "/2021-11-15/functions/StreamFunction/"
            "response-streaming-invocations",
        }[operation]
        body = json.dumps({"body": json.dumps({"action": "gate", "dir": str(tmp_path)})})
        caller = http.client.HTTPConnection(api.netloc, timeout=60)
        caller.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        wait_for_file(tmp_path / "yielded")  # the function is busy, the call waiting
        closing.start()
        closing.join(BOUND)
        assert not closing.is_alive(), f"stack.close() hung:\n{_stacks()}"
        caller.close()
    finally:
        (tmp_path / "release").touch()
        if closing.ident is None:
            stack.close()
        else:
            closing.join()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_killed_stack_takes_its_busy_function_processes_with_it(
    app: Path, tmp_path: Path
) -> None:
    log = tmp_path / "stack.log"
    args = ["bedrock_stream.cli", "local", "-t", str(app), "-p", "0", "--speed", "0"]
    busy = 0
    with _reaped(_start(args, log, TMPDIR=str(tmp_path))) as process:
        lines = _read_until(process, "Ctrl-C")
        url = next(
            line.split()[3] for line in lines if line.split()[:3] == ["Busy", "function", "URL"]
        )
        address = urlsplit(url)
        connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=60)
        try:
            connection.request("POST", address.path or "/", b"{}")  # no answer: it sleeps
            wait_for_file(tmp_path / "pids" / "busy")
            busy = int((tmp_path / "pids" / "busy").read_text())
            process.kill()
            process.wait()
            try:
                assert _gone_within(busy, BOUND), f"function process {busy} outlived the stack"
            finally:
                if process_alive(busy):
                    os.killpg(busy, signal.SIGKILL)
        finally:
            connection.close()


def test_runtime_directories_of_dead_stacks_are_reaped_at_the_next_start(
    app: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    ended = subprocess.Popen(["true"])
    ended.wait()
    with _reaped(subprocess.Popen(["sleep", "600"], start_new_session=True)) as running:
        stale = temp / f"bedrock-stream-runtime-{ended.pid}-x1y2z3"
        live = temp / f"bedrock-stream-runtime-{running.pid}-a1b2c3"
        unowned = temp / "bedrock-stream-runtime-q8w9e0r7"  # an older release's: no pid
        for directory in (stale, live, unowned):
            directory.mkdir()
            (directory / "bootstrap").write_text("#!/bin/sh\n")
        with LocalStack(app, port=0, speed=0):
            own = list(temp.glob(f"bedrock-stream-runtime-{os.getpid()}-*"))
            assert not stale.exists() and live.exists() and unowned.exists()
            assert len(own) == 1
        assert not own[0].exists()
