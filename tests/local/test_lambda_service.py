"""The local Lambda service with real processes: bootstraps, reuse, limits and failures."""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from bedrock_stream.cli import write_wrapper
from bedrock_stream.local import service_invocation
from bedrock_stream.local.bandwidth import Bandwidth
from bedrock_stream.local.deployment import Function
from bedrock_stream.local.invoker import TooManyRequests
from bedrock_stream.local.lambda_service import LambdaService, ServiceInvocation
from bedrock_stream.local.runtime_api import (
    TRUNCATED_RESPONSE,
    BodyChunk,
    Done,
    Event,
    InvocationError,
    ResponseStarted,
)
from bedrock_stream.local.sandbox_environment import lambda_environment
from waiting import process_alive

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups and /bin/sh")

APP = """
import os
import subprocess
import time
from pathlib import Path

from bedrock_stream import streaming_handler


@streaming_handler(content_type="text/plain; charset=utf-8")
def stream(event, context):
    yield "Hello, "
    yield "world"


@streaming_handler(content_type="text/plain; charset=utf-8")
def gated_stream(event, context):
    yield "first"
    wait(event)
    yield "last"
    Path(event["done"]).write_text("ran to completion")


def wait(event):
    while not os.path.exists(event["gate"]):
        time.sleep(0.01)


def info(event, context):
    if event.get("gate"):
        wait(event)
    if event.get("sleep"):
        time.sleep(event["sleep"])
    names = ("AWS_LAMBDA_FUNCTION_NAME", "AWS_REGION", "LAMBDA_TASK_ROOT", "TZ", "GREETING",
             "AWS_ACCESS_KEY_ID", "AWS_PROFILE", "EXTRA")
    return {"pid": os.getpid(), "env": {name: os.environ.get(name) for name in names},
            "custom": context.client_context and context.client_context.custom}


def crash(event, context):
    print("about to crash", flush=True)
    os._exit(3)


@streaming_handler(content_type="text/plain; charset=utf-8")
def stream_then_crash(event, context):
    yield f"pid {os.getpid()}"
    if event.get("crash"):
        time.sleep(0.2)  # the first chunk is on the wire
        os._exit(3)


def spawn(event, context):
    child = subprocess.Popen(["sleep", "300"])
    wait(event)
    return child.pid
"""

MakeService = Callable[..., LambdaService]
HTTP_EVENT = json.dumps({"httpMethod": "GET", "requestContext": {}, "headers": {}}).encode()
RIC = sys.platform.startswith("linux") and importlib.util.find_spec("awslambdaric") is not None


@pytest.fixture
def code(tmp_path: Path) -> Path:
    root = tmp_path / "code"
    root.mkdir()
    (root / "app.py").write_text(APP)
    (root / "broken.py").write_text("import not_a_module_anywhere\n")
    return root


def _function(code: Path, handler: str, *, timeout: int = 30, **environment: str) -> Function:
    return Function(
        name="Fn",
        code_dir=code,
        handler=handler,
        runtime="python3.12",
        timeout=timeout,
        environment=environment,
    )


def _events(invocation: ServiceInvocation) -> list[Event]:
    return list(invocation.events(timeout=60))


def test_wrapper_starts_the_streaming_runtime(
    code: Path, service_for: MakeService, lines: list[str]
) -> None:
    write_wrapper(code)
    function = _function(code, "app.stream", AWS_LAMBDA_EXEC_WRAPPER="/var/task/bedrock-stream")
    invocation = service_for(function).invoke("Fn", HTTP_EVENT, streaming=True)
    events = _events(invocation)
    assert isinstance(events[0], ResponseStarted) and events[0].streaming
    assert all(isinstance(event, BodyChunk) for event in events[1:-1])
    assert events[-1] == Done("success")
    body = b"".join(event.data for event in events if isinstance(event, BodyChunk))
    assert body.endswith(b"\0" * 8 + b"Hello, world")
    assert invocation.bootstrap == "exec-wrapper"
    assert any("started (exec-wrapper)" in line and line.startswith("[Fn] ") for line in lines)


def test_bandwidth_shapes_each_process_runtime_api(code: Path, service_for: MakeService) -> None:
    # The shaping itself (a token bucket) is tested in test_runtime_api; here, that the
    # service hands it to the Runtime API of every process it starts.
    write_wrapper(code)
    function = _function(code, "app.stream", AWS_LAMBDA_EXEC_WRAPPER="/var/task/bedrock-stream")
    shape = Bandwidth(burst=1 << 20, rate=1 << 20)
    service = service_for(function, bandwidth=shape)
    assert _events(service.invoke("Fn", HTTP_EVENT, streaming=True))[-1] == Done("success")
    assert [sandbox.api.bandwidth for sandbox in service._sandboxes] == [shape]


def test_without_wrapper_the_managed_runtime_buffers(code: Path, service_for: MakeService) -> None:
    invocation = service_for(_function(code, "app.stream")).invoke(
        "Fn", HTTP_EVENT, streaming=False
    )
    events = _events(invocation)
    assert isinstance(events[0], ResponseStarted) and not events[0].streaming
    assert events[-1] == Done("success")
    assert json.loads(invocation.result().body)["body"] == "Hello, world"
    assert invocation.bootstrap == ("awslambdaric" if RIC else "bedrock-stream-buffered")


def test_without_awslambdaric_the_projects_runtime_buffers(
    code: Path, service_for: MakeService, lines: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name: None if name == "awslambdaric" else find_spec(name),
    )
    invocation = service_for(_function(code, "app.stream")).invoke(
        "Fn", HTTP_EVENT, streaming=False
    )
    result = invocation.result(60)
    assert result.headers.get("lambda-runtime-function-response-mode") is None
    assert json.loads(result.body)["body"] == "Hello, world"
    assert invocation.bootstrap == "bedrock-stream-buffered"
    assert any(line.endswith("-m bedrock_stream.runtime --buffered app.stream") for line in lines)


def test_warm_reuse_and_the_lambda_environment(
    code: Path, service_for: MakeService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "the-callers-own")
    service = service_for(
        _function(code, "app.info", GREETING="hi"),
        region="eu-west-3",
        extra_environment={"EXTRA": "yes"},
    )
    context = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    first = service.invoke("Fn", b"{}", streaming=False, client_context=context).result(60)
    second = service.invoke("Fn", b"{}", streaming=False).result(60)
    assert first.status == second.status == "success"
    assert json.loads(first.body)["pid"] == json.loads(second.body)["pid"]
    assert json.loads(first.body)["custom"] == {"k": "v"}
    assert json.loads(first.body)["env"] == {
        "AWS_LAMBDA_FUNCTION_NAME": "Fn",
        "AWS_REGION": "eu-west-3",
        "LAMBDA_TASK_ROOT": str(code),
        "TZ": ":UTC",
        "GREETING": "hi",
        "AWS_ACCESS_KEY_ID": "ASIAIOSFODNN7EXAMPLE",
        "AWS_PROFILE": None,
        "EXTRA": "yes",
    }


def test_environment_reserved_variables_win_and_wrapper_maps_to_the_code(tmp_path: Path) -> None:
    function = _function(
        tmp_path,
        "app.info",
        AWS_REGION="mars-1",
        TZ="Europe/Paris",
        AWS_LAMBDA_EXEC_WRAPPER="/var/task/bin/wrap",
    )
    env = lambda_environment(
        function,
        region="us-west-2",
        runtime_api="127.0.0.1:9001",
        runtime_dir="/rt",
        credentials={"AWS_ACCESS_KEY_ID": "real", "AWS_SECRET_ACCESS_KEY": "secret"},
        extra={"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": "http://127.0.0.1:1"},
    )
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-west-2"
    assert env["TZ"] == "Europe/Paris"  # not reserved: the function may set it
    assert env["AWS_LAMBDA_EXEC_WRAPPER"] == str(tmp_path / "bin" / "wrap")
    assert env["AWS_ACCESS_KEY_ID"] == "real" and "AWS_SESSION_TOKEN" not in env
    assert env["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] == "http://127.0.0.1:1"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert env["PYTHONPATH"] == str(tmp_path)
    assert env["AWS_LAMBDA_RUNTIME_API"] == "127.0.0.1:9001"


def test_concurrency_scales_out_then_refuses(
    code: Path, service_for: MakeService, tmp_path: Path
) -> None:
    service = service_for(_function(code, "app.info"), concurrency=2)
    gate = tmp_path / "gate"
    payload = json.dumps({"gate": str(gate)}).encode()
    running = [service.invoke("Fn", payload, streaming=False) for _ in range(2)]
    with pytest.raises(TooManyRequests):
        service.invoke("Fn", payload, streaming=False)
    gate.touch()
    pids = {json.loads(invocation.result(60).body)["pid"] for invocation in running}
    assert pids == {invocation.pid for invocation in running} and len(pids) == 2
    again = service.invoke("Fn", payload, streaming=False)
    assert again.pid in pids and again.result(60).status == "success"


def test_timeout_kills_the_process(code: Path, service_for: MakeService) -> None:
    service = service_for(_function(code, "app.info", timeout=1))
    timed_out = service.invoke("Fn", b'{"sleep": 60}', streaming=False)
    error, done = _events(timed_out)
    assert isinstance(error, InvocationError) and error.error_type == "Sandbox.Timedout"
    assert json.loads(error.body)["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert done == Done("failure")
    fresh = service.invoke("Fn", b"{}", streaming=False)
    assert fresh.result(60).status == "success" and fresh.pid != timed_out.pid


def test_crash_is_an_exit_error_and_its_output_is_kept(
    code: Path, service_for: MakeService, lines: list[str]
) -> None:
    service = service_for(_function(code, "app.crash"))
    crashed = service.invoke("Fn", b"{}", streaming=False)
    result = crashed.result(60)
    assert (result.status, result.error_type) == ("failure", "Runtime.ExitError")
    assert result.error_json()["errorMessage"].endswith(
        "Error: Runtime exited with error: exit status 3"
    )
    service.close()
    assert "[Fn] about to crash" in lines
    assert f"[Fn] process {crashed.pid} ended (exit status 3)" in lines


def test_a_runtime_that_breaks_mid_response_is_replaced_not_reused(
    code: Path, service_for: MakeService
) -> None:
    write_wrapper(code)
    function = _function(
        code, "app.stream_then_crash", AWS_LAMBDA_EXEC_WRAPPER="/var/task/bedrock-stream"
    )
    service = service_for(function, concurrency=1)
    crashing = json.dumps({**json.loads(HTTP_EVENT), "crash": True}).encode()
    first = service.invoke("Fn", crashing, streaming=True)
    broken = first.result(60)
    assert broken.status == "failure"
    assert broken.error_type in (TRUNCATED_RESPONSE, "Runtime.ExitError")
    assert broken.body.endswith(f"pid {first.pid}".encode())  # it had started streaming
    # The dying process can look alive for a moment after its connection broke: the next
    # invocation must still get a fresh one (with concurrency 1, after the old one is gone).
    second = service.invoke("Fn", HTTP_EVENT, streaming=True)
    fresh = second.result(60)
    assert fresh.status == "success" and second.pid != first.pid
    assert fresh.body.endswith(f"pid {second.pid}".encode())


def test_init_error_is_the_runtimes_report(code: Path, service_for: MakeService) -> None:
    result = service_for(_function(code, "broken.handler")).invoke("Fn", b"{}", streaming=False)
    got = result.result(60)
    assert (got.status, got.error_type) == ("failure", "Runtime.ImportModuleError")
    assert got.error_json()["errorMessage"].startswith("Unable to import module 'broken'")


@pytest.mark.parametrize(("executable", "status"), [(None, 127), (False, 126)])
def test_a_wrapper_the_bootstrap_cannot_run_fails_init(
    code: Path, service_for: MakeService, lines: list[str], executable: bool | None, status: int
) -> None:
    if executable is not None:
        write_wrapper(code).chmod(0o644)
    function = _function(code, "app.stream", AWS_LAMBDA_EXEC_WRAPPER="/var/task/bedrock-stream")
    service = service_for(function)
    got = service.invoke("Fn", HTTP_EVENT, streaming=True).result(60)
    assert (got.status, got.error_type) == ("failure", "Runtime.ExitError")
    assert got.error_json()["errorMessage"].endswith(f"exit status {status}")
    service.close()
    reason = "does not exist" if executable is None else "is not an executable"
    assert f"[Fn] {code / 'bedrock-stream'}: {reason}" in lines


def test_detached_invocation_runs_to_completion(
    code: Path, service_for: MakeService, lines: list[str], tmp_path: Path
) -> None:
    write_wrapper(code)
    function = _function(
        code, "app.gated_stream", AWS_LAMBDA_EXEC_WRAPPER="/var/task/bedrock-stream"
    )
    gate, done = tmp_path / "gate", tmp_path / "done"
    payload = json.dumps({"gate": str(gate), "done": str(done)}).encode()
    invocation = service_for(function).invoke("Fn", payload, streaming=True)
    for event in invocation.events(timeout=60):
        if isinstance(event, BodyChunk):
            break
    invocation.detach()
    gate.touch()
    assert invocation.result(60).status == "success"
    assert done.read_text() == "ran to completion"
    message = f"[Fn] {invocation.request_id} finished after its client went away: success"
    assert message in lines


def test_close_on_disconnect_closes_the_stream(
    code: Path, service_for: MakeService, lines: list[str], tmp_path: Path
) -> None:
    write_wrapper(code)
    function = _function(
        code, "app.gated_stream", AWS_LAMBDA_EXEC_WRAPPER="/var/task/bedrock-stream"
    )
    service = service_for(function, close_on_disconnect=True)
    gate, done = tmp_path / "gate", tmp_path / "done"
    payload = json.dumps({"gate": str(gate), "done": str(done)}).encode()
    invocation = service.invoke("Fn", payload, streaming=True)
    for event in invocation.events(timeout=60):
        if isinstance(event, BodyChunk):
            break
    invocation.detach()
    result = invocation.result(60)
    assert result.status == "failure"
    assert f"[Fn] {invocation.request_id}: the client went away, the stream is closed" in lines
    gate.touch()
    fresh = service.invoke("Fn", payload, streaming=True)
    assert fresh.result(60).status == "success" and fresh.pid != invocation.pid


def test_close_leaves_no_process_and_no_thread(
    code: Path, service_for: MakeService, tmp_path: Path
) -> None:
    threads = set(threading.enumerate())
    service = service_for(_function(code, "app.spawn"), concurrency=3)
    gate = tmp_path / "gate"
    idle = service.invoke("Fn", json.dumps({"gate": str(tmp_path)}).encode(), streaming=False)
    grandchild = json.loads(idle.result(60).body)
    busy = service.invoke("Fn", json.dumps({"gate": str(gate)}).encode(), streaming=False)
    other = service.invoke("Fn", json.dumps({"gate": str(gate)}).encode(), streaming=False)
    assert len({idle.pid, busy.pid, other.pid}) == 2  # the idle process was reused
    service.close()
    assert busy.result(60).error_type == "Runtime.ExitError"
    for pid in (idle.pid, busy.pid, other.pid, grandchild):
        assert not process_alive(pid)
    assert set(threading.enumerate()) <= threads
    with pytest.raises(RuntimeError):
        service.invoke("Fn", b"{}", streaming=False)


def test_the_deadline_counts_from_when_the_runtime_takes_the_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1_000.0]
    monkeypatch.setattr(service_invocation.time, "time", lambda: clock[0])
    job = ServiceInvocation(
        b"{}",
        request_id="r",
        timeout_ms=2_000,
        function_arn="arn",
        streaming=True,
        client_context=None,
        function="Fn",
        pid=1,
        bootstrap="exec-wrapper",
        on_done=lambda job, done: None,
    )
    clock[0] += 5.0  # a new process initialized for 5 s before its first /next
    assert ("Lambda-Runtime-Deadline-Ms", "1007000") in job.next_headers()
