"""What a sandbox's process is started with: command line, exit words, trace id, runtime dir."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from bedrock_stream.local.sandbox_environment import (
    exit_status,
    make_runtime_dir,
    new_trace_id,
    runtime_command,
)


def test_the_command_is_awslambdaric_under_a_wrapper_or_where_it_is_installed() -> None:
    wrapped = runtime_command({"AWS_LAMBDA_EXEC_WRAPPER": "/w"}, "app.h", ric=False)
    assert wrapped == ("exec-wrapper", [sys.executable, "-m", "awslambdaric", "app.h"])
    assert runtime_command({}, "app.h", ric=True) == (
        "awslambdaric",
        [sys.executable, "-m", "awslambdaric", "app.h"],
    )
    assert runtime_command({"AWS_LAMBDA_EXEC_WRAPPER": ""}, "app.h", ric=False) == (
        "bedrock-stream-buffered",
        [sys.executable, "-m", "bedrock_stream.runtime", "--buffered", "app.h"],
    )


def test_exit_status_reads_as_lambda_writes_it() -> None:
    assert exit_status(0) == "exit status 0"
    assert exit_status(127) == "exit status 127"
    assert exit_status(-int(signal.SIGKILL)) == "signal: killed"


def test_trace_id_is_a_fresh_unsampled_root() -> None:
    first, second = new_trace_id(), new_trace_id()
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0", first)
    assert first != second


@pytest.mark.skipif(os.name != "posix", reason="process ids and signal 0")
def test_a_runtime_dir_is_named_for_this_process_and_dead_ones_are_reaped() -> None:
    gone = subprocess.Popen([sys.executable, "-c", ""])
    gone.wait()  # a pid no process has (for the moment of this test)
    dead = Path(tempfile.mkdtemp(prefix=f"bedrock-stream-runtime-{gone.pid}-"))
    live = Path(tempfile.mkdtemp(prefix=f"bedrock-stream-runtime-{os.getppid()}-"))
    other = Path(tempfile.mkdtemp(prefix="bedrock-stream-runtime-not-a-pid-"))
    made: list[Path] = []
    try:
        made.append(make_runtime_dir())
        assert made[0].name.startswith(f"bedrock-stream-runtime-{os.getpid()}-")
        assert not dead.exists()
        assert live.is_dir() and other.is_dir()  # a live process's, and not one of ours
        made.append(make_runtime_dir())
        assert made[0].is_dir() and made[1] != made[0]  # this process is alive
    finally:
        for path in (dead, live, other, *made):
            shutil.rmtree(path, ignore_errors=True)
