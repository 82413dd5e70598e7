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

from bedrock_stream.local.deployment import Function
from bedrock_stream.local.runtimes import NodeClient
from bedrock_stream.local.sandbox_environment import (
    exit_status,
    lambda_environment,
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


def test_a_node_function_runs_with_aws_node_runtime_client_wrapper_or_not() -> None:
    node = NodeClient("/usr/bin/node", Path("/ric/index.mjs"))
    command = ["/usr/bin/node", "/ric/index.mjs", "index.handler"]
    assert runtime_command({}, "index.handler", ric=True, node=node) == ("aws-lambda-ric", command)
    wrapped = runtime_command({"AWS_LAMBDA_EXEC_WRAPPER": "/w"}, "index.handler", True, node=node)
    assert wrapped == ("exec-wrapper", command)


def test_a_node_function_finds_its_modules_through_node_path(tmp_path: Path) -> None:
    function = Function("Fn", tmp_path, "index.handler", "nodejs22.x")
    env = lambda_environment(function, region="us-east-1", runtime_api="a:1", runtime_dir="/rt")
    assert env["NODE_PATH"] == env["LAMBDA_TASK_ROOT"] == str(tmp_path)
    assert "PYTHONPATH" not in env
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_nodejs22.x"


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
