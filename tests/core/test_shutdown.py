"""``bedrock_stream.shutdown``: the seam between code with shutdown work and the host."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bedrock_stream import shutdown

SRC = str(Path(__file__).parents[2] / "src")


@pytest.fixture
def host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutdown, "_callbacks", None)  # this process's own stays untouched
    shutdown.attach_host()


def test_without_a_host_nothing_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutdown, "_callbacks", None)
    assert shutdown.at_shutdown(lambda: None) is False
    failures: list[BaseException] = []
    shutdown.run_shutdown(failures.append)
    assert failures == []


def test_callbacks_run_once_last_registered_first(host: None) -> None:
    ran: list[str] = []
    assert shutdown.at_shutdown(lambda: ran.append("first"))
    assert shutdown.at_shutdown(lambda: ran.append("second"))
    shutdown.attach_host()  # a second attach keeps what is registered
    shutdown.run_shutdown(lambda exc: None)
    shutdown.run_shutdown(lambda exc: None)
    assert ran == ["second", "first"]


@pytest.mark.parametrize("error", [RuntimeError("broken pool"), SystemExit(3)])
def test_a_callback_that_raises_is_reported_and_the_next_still_runs(
    host: None, error: BaseException
) -> None:
    ran: list[str] = []

    def fails() -> None:
        raise error

    shutdown.at_shutdown(lambda: ran.append("earlier"))
    shutdown.at_shutdown(fails)
    failures: list[BaseException] = []
    shutdown.run_shutdown(failures.append)
    assert failures == [error] and ran == ["earlier"]


def test_a_forked_child_has_no_host_and_none_of_the_parents_work() -> None:
    script = textwrap.dedent(
        """
        import os
        from bedrock_stream import shutdown

        shutdown.attach_host()
        shutdown.at_shutdown(lambda: print("the parent's work", flush=True))
        pid = os.fork()
        if pid == 0:
            shutdown.run_shutdown(print)
            os._exit(0 if shutdown.at_shutdown(print) is False else 1)
        _, status = os.waitpid(pid, 0)
        print("child", os.waitstatus_to_exitcode(status), flush=True)
        shutdown.run_shutdown(print)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={"PYTHONPATH": SRC},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.splitlines() == ["child 0", "the parent's work"], done.stderr
