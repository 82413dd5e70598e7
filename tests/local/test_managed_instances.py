"""Lambda Managed Instances locally: one environment, several invocations at once.

The function's runtime is AWS's own, awslambdaric 4.x, which forks
``AWS_LAMBDA_MAX_CONCURRENCY`` workers that poll ``/next`` concurrently. Overlap is proved
with a loopback barrier: each handler connects to it and waits for a byte the test sends only
once every handler has connected, so sequential handlers would never be released.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bedrock_stream.devtools.cli import main
from bedrock_stream.local import slots
from bedrock_stream.local.deployment import Function
from bedrock_stream.local.invoker import TooManyRequests
from bedrock_stream.local.lambda_service import LambdaService, ServiceInvocation
from bedrock_stream.local.log_fd_provider import LogFdProvider
from bedrock_stream.local.managed_runtime_api import ManagedRuntimeAPI
from bedrock_stream.local.slots import ManagedSandbox
from bedrock_stream.local.stack import LocalStack
from bedrock_stream.local.template import load
from bedrock_stream.protocol import runtime_api as names
from waiting import process_alive, wait_until

RIC = sys.platform.startswith("linux") and importlib.util.find_spec("awslambdaric") is not None
needs_ric = pytest.mark.skipif(
    not RIC, reason="awslambdaric (Linux only) is the multi-concurrent runtime under test"
)

APP = """
import logging
import os
import socket
import stat
import time

logger = logging.getLogger()


def meet(event):
    with socket.create_connection(("127.0.0.1", event["barrier"]), timeout=60) as barrier:
        if barrier.recv(1) != b"g":
            raise RuntimeError("the barrier closed without releasing")


def handler(event, context):
    if "barrier" in event:
        meet(event)
    logger.warning("served %s", event["name"])
    print("printed", event["name"])
    if event.get("fail"):
        raise ValueError(f"{event['name']} failed")
    if event.get("kill_root"):
        os.kill(os.getppid(), 9)
    if event.get("gate"):
        while not os.path.exists(event["gate"]):
            time.sleep(0.01)
    return {
        "name": event["name"],
        "pid": os.getpid(),
        "root": os.getppid(),
        "stdout_is_socket": stat.S_ISSOCK(os.fstat(1).st_mode),
        "env": {
            name: os.environ.get(name)
            for name in ("AWS_LAMBDA_MAX_CONCURRENCY", "AWS_LAMBDA_LOG_FORMAT",
                         "AWS_LAMBDA_INITIALIZATION_TYPE")
        },
    }
"""

MakeService = Callable[..., LambdaService]


class Barrier:
    """A loopback rendezvous: releases its ``parties`` once all of them have connected."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._connections: list[socket.socket] = []
        self.all_arrived = threading.Event()
        self._thread = threading.Thread(target=self._gather, daemon=True)
        self._thread.start()

    def _gather(self) -> None:
        while len(self._connections) < self.parties:
            connection, _ = self._listener.accept()
            self._connections.append(connection)
        self.all_arrived.set()

    def release(self) -> None:
        """Let every party go (they must all have arrived)."""
        assert self.all_arrived.wait(60), "not every handler reached the barrier"
        for connection in self._connections:
            connection.sendall(b"g")

    def close(self) -> None:
        self._listener.close()
        for connection in self._connections:
            connection.close()


@pytest.fixture
def code(tmp_path: Path) -> Path:
    root = tmp_path / "code"
    root.mkdir()
    (root / "app.py").write_text(APP)
    (root / "broken.py").write_text("import not_a_module_anywhere\n")
    return root


@pytest.fixture
def barrier() -> Iterator[Barrier]:
    made = Barrier(3)
    yield made
    made.close()


def _function(code: Path, *, timeout: int = 30, slots: int | None = 3) -> Function:
    return Function(
        name="Fn",
        code_dir=code,
        handler="app.handler",
        runtime="python3.13",
        timeout=timeout,
        max_concurrency=slots,
    )


def _invoke(service: LambdaService, **event: Any) -> ServiceInvocation:
    return service.invoke("Fn", json.dumps(event).encode(), streaming=False)


def _answer(invocation: ServiceInvocation) -> dict[str, Any]:
    result = invocation.result(60)
    assert result.status == "success", result
    answer: dict[str, Any] = json.loads(result.body)
    return answer


def _sandbox(service: LambdaService) -> ManagedSandbox:
    (sandbox,) = service._sandboxes
    assert isinstance(sandbox, ManagedSandbox)
    return sandbox


@needs_ric
def test_three_invocations_overlap_and_a_fourth_is_refused(
    code: Path, service_for: MakeService, barrier: Barrier
) -> None:
    service = service_for(_function(code))
    invocations = [_invoke(service, name=f"n{i}", barrier=barrier.port) for i in range(3)]
    assert barrier.all_arrived.wait(60), "the three handlers did not run at once"
    with pytest.raises(TooManyRequests, match="3 invocations running"):
        _invoke(service, name="fourth")
    barrier.release()
    answers = [_answer(invocation) for invocation in invocations]
    assert [answer["name"] for answer in answers] == ["n0", "n1", "n2"]
    assert len({answer["pid"] for answer in answers}) == 3  # one worker each
    assert {answer["root"] for answer in answers} == {_sandbox(service).process.pid}
    assert answers[0]["env"] == {
        "AWS_LAMBDA_MAX_CONCURRENCY": "3",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "lambda-managed-instances",
    }
    # The slots are free again: a new invocation is served by the same environment.
    assert _answer(_invoke(service, name="again"))["root"] == _sandbox(service).process.pid


@needs_ric
def test_a_handler_error_in_one_slot_leaves_the_others_correct(
    code: Path, service_for: MakeService, barrier: Barrier
) -> None:
    service = service_for(_function(code))
    good = _invoke(service, name="good", barrier=barrier.port)
    bad = _invoke(service, name="bad", barrier=barrier.port, fail=True)
    other = _invoke(service, name="other", barrier=barrier.port)
    barrier.release()
    failed = bad.result(60)
    assert (failed.status, failed.error_type) == ("failure", "ValueError")
    assert failed.error_json()["errorMessage"] == "bad failed"
    assert _answer(good)["name"] == "good"
    assert _answer(other)["name"] == "other"


@needs_ric
def test_a_timeout_fails_only_its_invocation_and_kills_nothing(
    code: Path, service_for: MakeService, tmp_path: Path
) -> None:
    service = service_for(_function(code, timeout=1))
    gate = tmp_path / "gate"
    slow = _invoke(service, name="slow", gate=str(gate))
    quick = [_invoke(service, name=f"q{i}") for i in range(2)]
    timed_out = slow.result(60)
    assert (timed_out.status, timed_out.error_type) == ("failure", "Sandbox.Timedout")
    assert "Task timed out after 1.00 seconds" in timed_out.error_json()["errorMessage"]
    assert [_answer(invocation)["name"] for invocation in quick] == ["q0", "q1"]
    sandbox = _sandbox(service)
    assert sandbox.alive  # Managed Instances does not end the code
    assert sandbox.busy == 1  # the slow worker is still at it
    gate.touch()
    # Its late response is refused (410, consumed once) and the worker polls again.
    wait_until(lambda: sandbox.busy == 0, "the timed-out worker's late report")
    roots = {_answer(_invoke(service, name=f"r{i}"))["root"] for i in range(3)}
    assert roots == {sandbox.process.pid}


@needs_ric
def test_workers_log_json_lines_through_the_log_fd_provider(
    code: Path, service_for: MakeService, lines: list[str]
) -> None:
    service = service_for(_function(code))
    invocation = _invoke(service, name="logged")
    answer = _answer(invocation)
    assert answer["stdout_is_socket"]  # the worker's fd 1 is a connection to the provider
    wait_until(lambda: "[Fn] printed logged" in lines, "the handler's print() line")
    wait_until(lambda: any("served logged" in line for line in lines), "the handler's log record")
    records = []
    for line in lines:
        with contextlib.suppress(ValueError):
            records.append(json.loads(line.removeprefix("[Fn] ")))
    (record,) = [r for r in records if isinstance(r, dict) and r.get("message") == "served logged"]
    assert record["requestId"] == invocation.request_id
    assert (record["level"], record["logger"]) == ("WARNING", "root")


@needs_ric
def test_a_client_leaving_ends_only_its_own_stream(
    code: Path, service_for: MakeService, tmp_path: Path
) -> None:
    service = service_for(_function(code), close_on_disconnect=True)
    gate = tmp_path / "gate"
    left = _invoke(service, name="left", gate=str(gate))
    stayed = _invoke(service, name="stayed", gate=str(gate))
    wait_until(lambda: left.state != "queued", "the first invocation's /next")
    left.detach()
    result = left.result(60)
    assert (result.status, result.error_type) == ("failure", "Runtime.TruncatedResponse")
    assert not stayed.ended
    gate.touch()
    assert _answer(stayed)["name"] == "stayed"
    sandbox = _sandbox(service)
    wait_until(lambda: sandbox.busy == 0, "the detached invocation's late report")
    assert sandbox.alive


@needs_ric
def test_the_root_process_dying_fails_every_open_invocation(
    code: Path, service_for: MakeService, tmp_path: Path, lines: list[str]
) -> None:
    service = service_for(_function(code))
    gate = tmp_path / "never"
    waiting = [_invoke(service, name=f"w{i}", gate=str(gate)) for i in range(2)]
    root = _sandbox(service).process.pid
    killer = _invoke(service, name="killer", kill_root=True, gate=str(gate))
    for invocation in (*waiting, killer):
        result = invocation.result(60)
        assert (result.status, result.error_type) == ("failure", "Runtime.ExitError")
    wait_until(lambda: not process_alive(root), "the environment's end")
    # A fresh environment serves the next invocation.
    assert _answer(_invoke(service, name="fresh"))["root"] != root


@needs_ric
def test_init_ends_with_the_first_next_even_when_no_check_saw_it(
    code: Path, service_for: MakeService, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An invocation may be taken and end between two of the supervisor's checks (here, the
    # first check comes 2 s in): past init's limit (1 s here), the environment must still
    # count as initialized, not be failed and replaced.
    monkeypatch.setattr(slots, "MANAGED_INIT_TIMEOUT", 0.5)
    monkeypatch.setattr(slots, "_SLICE", 2.0)
    service = service_for(_function(code, timeout=1))
    first = _answer(_invoke(service, name="first"))
    time.sleep(2.5)  # past the first check
    assert _answer(_invoke(service, name="later"))["root"] == first["root"]


@needs_ric
def test_an_init_error_fails_the_invocation_once_for_all_workers(
    code: Path, service_for: MakeService
) -> None:
    function = Function(
        name="Fn", code_dir=code, handler="broken.handler", runtime="python3.13", max_concurrency=3
    )
    result = _invoke(service_for(function), name="x").result(60)
    assert (result.status, result.error_type) == ("failure", "Runtime.ImportModuleError")


@needs_ric
def test_the_service_flag_overrides_the_template(code: Path, service_for: MakeService) -> None:
    service = service_for(_function(code, slots=None), max_concurrency=2)
    pair = Barrier(2)
    try:
        first = _invoke(service, name="a", barrier=pair.port)
        second = _invoke(service, name="b", barrier=pair.port)
        assert pair.all_arrived.wait(60), "the two handlers did not run at once"
        with pytest.raises(TooManyRequests, match="2 invocations running"):
            _invoke(service, name="c")
        pair.release()
        assert [_answer(first)["name"], _answer(second)["name"]] == ["a", "b"]
    finally:
        pair.close()


def test_functions_without_the_property_keep_one_invocation_per_environment(
    code: Path, service_for: MakeService
) -> None:
    service = service_for(_function(code, slots=None))
    assert _answer(_invoke(service, name="plain"))["env"]["AWS_LAMBDA_MAX_CONCURRENCY"] is None
    assert not any(isinstance(sandbox, ManagedSandbox) for sandbox in service._sandboxes)


TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fixed:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.13
      MemorySize: 4096
      CapacityProviderConfig:
        Arn: arn:aws:lambda:us-east-1:123456789012:capacity-provider:local
        PerExecutionEnvironmentMaxConcurrency: 3
  ByDefault:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.13
      MemorySize: 4096
      CapacityProviderConfig:
        Arn: arn:aws:lambda:us-east-1:123456789012:capacity-provider:local
  OnDemand:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.13
"""


def test_the_template_property_is_read(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    functions = load(tmp_path / "template.yaml").functions
    assert functions["Fixed"].max_concurrency == 3
    assert functions["ByDefault"].max_concurrency == 32  # 16 per vCPU, 4 GiB / 2 GiB per vCPU
    assert functions["OnDemand"].max_concurrency is None


def test_the_log_fd_provider_hands_on_lines_from_every_connection(tmp_path: Path) -> None:
    got: list[bytes] = []
    lock = threading.Lock()

    def log(line: bytes) -> None:
        with lock:
            got.append(line)

    provider = LogFdProvider(tmp_path / "logs.sock", log).start()
    try:
        first = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        second = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        first.connect(str(provider.path))
        second.connect(str(provider.path))
        first.sendall(b'{"level":"INFO","mes')
        second.sendall(b"plain print\n")
        first.sendall(b'sage":"a"}\nsecond line\nunterminated')
        first.close()
        wait_until(lambda: len(got) == 4, "four lines")
        # ``second`` stays open: close() cuts it after its drain.
    finally:
        provider.close()
        second.close()
    assert sorted(got) == sorted(
        [b'{"level":"INFO","message":"a"}', b"second line", b"unterminated", b"plain print"]
    )
    assert not provider.path.exists()


def _post(api: ManagedRuntimeAPI, path: str, body: bytes = b"{}") -> tuple[int, Any]:
    host, port = api.address.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("POST", path, body, {names.ERROR_TYPE: "Runtime.ImportModuleError"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_a_second_init_error_and_a_late_report_are_refused() -> None:
    with ManagedRuntimeAPI(function_arn="arn:aws:lambda:us-east-1:1:function:f") as api:
        assert _post(api, names.INIT_ERROR)[0] == 202
        assert _post(api, names.INIT_ERROR) == (
            403,
            {"errorMessage": "init error already reported", "errorType": "InvalidStateTransition"},
        )
        assert api.init_error(timeout=0).error_type == "Runtime.ImportModuleError"
        invocation = api.invoke({"a": 1})
        api.expire(invocation.request_id)
        assert api.overdue == 1
        assert _post(api, names.response_path(invocation.request_id)) == (
            410,
            {"errorMessage": "Invoke timeout", "errorType": "InvokeTimeout"},
        )
        assert api.overdue == 0
        # Consumed once, as RAPID's timeout cache: then it is an unknown request id.
        assert _post(api, names.error_path(invocation.request_id))[0] == 403


STACK_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: code/
      Handler: app.handler
      Runtime: python3.13
"""


@needs_ric
def test_the_stack_takes_the_flag(code: Path) -> None:
    (code.parent / "template.yaml").write_text(STACK_TEMPLATE)
    with LocalStack(code.parent / "template.yaml", port=0, speed=0, max_concurrency=2) as stack:
        invocation = stack.lambdas.invoke("Fn", json.dumps({"name": "s"}).encode(), streaming=False)
        assert _answer(invocation)["env"]["AWS_LAMBDA_MAX_CONCURRENCY"] == "2"
        assert isinstance(_sandbox(stack.lambdas), ManagedSandbox)


def test_the_command_refuses_a_max_concurrency_below_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["local", "--max-concurrency", "0"])
    assert "--max-concurrency 0: at least 1" in capsys.readouterr().err


def _next(api: ManagedRuntimeAPI) -> str:
    host, port = api.address.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", names.NEXT)
        response = connection.getresponse()
        response.read()
        return str(response.getheader(names.REQUEST_ID))
    finally:
        connection.close()


def test_an_invocation_that_timed_out_while_queued_never_reaches_a_worker() -> None:
    with ManagedRuntimeAPI(function_arn="arn:aws:lambda:us-east-1:1:function:f") as api:
        stale = api.invoke({"n": 1})
        api.expire(stale.request_id)  # its client was answered Sandbox.Timedout
        fresh = api.invoke({"n": 2})
        assert _next(api) == fresh.request_id
        assert api.overdue == 0  # no report will come for the stale one: nothing awaits it


def test_a_timeout_that_loses_the_race_to_the_response_leaks_no_slot() -> None:
    with ManagedRuntimeAPI(function_arn="arn:aws:lambda:us-east-1:1:function:f") as api:
        invocation = api.invoke({"n": 1})
        assert _next(api) == invocation.request_id
        assert _post(api, names.response_path(invocation.request_id))[0] == 202
        api.expire(invocation.request_id)  # the supervisor's check came just too late
        assert api.overdue == 0


def test_an_init_error_after_an_invocation_went_out_is_refused() -> None:
    # A replacement worker failing its init must not end an environment that is serving.
    with ManagedRuntimeAPI(function_arn="arn:aws:lambda:us-east-1:1:function:f") as api:
        api.invoke({"n": 1})
        _next(api)
        assert _post(api, names.INIT_ERROR)[0] == 403
