"""A SnapStart function runs as its published version does: hooks, restore, container credentials.

The function looks from inside: which variables it has, what botocore's own container
provider and a plain GET of the endpoint give it, and when its before-snapshot and
after-restore hooks ran against the moment its runtime called ``/restore/next``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bedrock_stream.cli import write_wrapper
from bedrock_stream.local import sandbox
from bedrock_stream.local.container_credentials import CREDENTIALS_PATH, ContainerCredentials
from bedrock_stream.local.deployment import Function
from bedrock_stream.local.lambda_service import LambdaService
from bedrock_stream.local.sandbox_environment import lambda_environment

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups and /bin/sh")

APP = """
import json
import os
import time
import urllib.error
import urllib.request

import boto3
from snapshot_restore_py import register_after_restore, register_before_snapshot

HOOKS = {}
register_before_snapshot(lambda: HOOKS.setdefault("before_snapshot", time.time()))
register_after_restore(lambda: HOOKS.setdefault("after_restore", time.time()))
NAMES = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
)


def get(headers):
    url = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, None


def handler(event, context):
    found = boto3.Session().get_credentials()
    frozen = found.get_frozen_credentials()
    return {
        "env": {name: os.environ.get(name) for name in NAMES},
        "botocore": {"method": found.method, "access_key": frozen.access_key,
                     "secret_key": frozen.secret_key, "token": frozen.token},
        "plain": get({"Authorization": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]}),
        "no_token": get({})[0],
        "wrong_token": get({"Authorization": "not-the-token"})[0],
        "hooks": HOOKS,
        "invoked_at": time.time(),
    }
"""

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "ASIASNAPSTARTLOCAL01",
    "AWS_SECRET_ACCESS_KEY": "snap-start-secret",
    "AWS_SESSION_TOKEN": "snap-start-session",
}
RIC = sys.platform.startswith("linux") and importlib.util.find_spec("awslambdaric") is not None


def _function(code: Path, *, snap_start: bool = True, **environment: str) -> Function:
    return Function(
        name="Fn",
        code_dir=code,
        handler="app.handler",
        runtime="python3.13",
        timeout=30,
        # Nothing on this machine may answer before the container provider does.
        environment={
            "AWS_SHARED_CREDENTIALS_FILE": str(code / "no-credentials"),
            "AWS_CONFIG_FILE": str(code / "no-config"),
            **environment,
        },
        snap_start=snap_start,
    )


@pytest.fixture
def code(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(APP)
    write_wrapper(tmp_path)
    return tmp_path


@pytest.fixture
def services() -> Iterator[list[LambdaService]]:
    made: list[LambdaService] = []
    yield made
    for service in made:
        service.close()


def _invoke(service: LambdaService) -> dict[str, Any]:
    result = service.invoke("Fn", b"{}", streaming=False).result(60)
    answer: dict[str, Any] = json.loads(result.body)
    return answer


@pytest.mark.parametrize(
    "runtime",
    [
        "exec-wrapper",
        pytest.param(
            "awslambdaric", marks=pytest.mark.skipif(not RIC, reason="awslambdaric on Linux")
        ),
    ],
)
def test_a_snapstart_function_gets_its_credentials_from_the_endpoint_only(
    code: Path, services: list[LambdaService], runtime: str
) -> None:
    wrapper = {"AWS_LAMBDA_EXEC_WRAPPER": "/var/task/bedrock-stream"}
    function = _function(code, **(wrapper if runtime == "exec-wrapper" else {}))
    service = LambdaService({"Fn": function}, credentials=CREDENTIALS, log=lambda line: None)
    services.append(service)
    answer = _invoke(service)
    env = answer["env"]
    assert env["AWS_ACCESS_KEY_ID"] is None
    assert env["AWS_SECRET_ACCESS_KEY"] is None
    assert env["AWS_SESSION_TOKEN"] is None
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] is None and env["AWS_LAMBDA_LOG_STREAM_NAME"] is None
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "snap-start"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "1"
    assert env["AWS_CONTAINER_CREDENTIALS_FULL_URI"].startswith("http://127.0.0.1:")
    assert env["AWS_CONTAINER_CREDENTIALS_FULL_URI"].endswith(CREDENTIALS_PATH)
    assert answer["botocore"] == {
        "method": "container-role",
        "access_key": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "secret_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "token": CREDENTIALS["AWS_SESSION_TOKEN"],
    }
    status, document = answer["plain"]
    assert status == 200
    assert set(document) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}
    assert document["AccessKeyId"] == CREDENTIALS["AWS_ACCESS_KEY_ID"]
    assert answer["no_token"] == 403 and answer["wrong_token"] == 403


def test_hooks_run_around_restore_next_and_before_the_first_invocation(
    code: Path, services: list[LambdaService]
) -> None:
    function = _function(code, AWS_LAMBDA_EXEC_WRAPPER="/var/task/bedrock-stream")
    service = LambdaService({"Fn": function}, log=lambda line: None)
    services.append(service)
    answer = _invoke(service)
    (sandbox,) = service._sandboxes
    restored = sandbox.api.restored_at
    assert restored is not None
    hooks = answer["hooks"]
    assert hooks["before_snapshot"] <= restored <= hooks["after_restore"] <= answer["invoked_at"]


SLOW_INIT = """
import time

time.sleep(1.0)


def handler(event, context):
    return "ready"
"""


@pytest.mark.parametrize("snap_start", [False, True])
def test_a_snapstart_init_has_the_longer_limit_of_a_publication(
    tmp_path: Path, services: list[LambdaService], monkeypatch: pytest.MonkeyPatch, snap_start: bool
) -> None:
    # On demand, init has 10 s (here cut to 0.5 s); a SnapStart version's init, run when it is
    # published, has 130 s or the function's timeout if longer.
    monkeypatch.setattr(sandbox, "INIT_TIMEOUT", 0.5)
    (tmp_path / "slow.py").write_text(SLOW_INIT)
    write_wrapper(tmp_path)
    function = Function(
        name="Fn",
        code_dir=tmp_path,
        handler="slow.handler",
        runtime="python3.13",
        timeout=30,
        environment={"AWS_LAMBDA_EXEC_WRAPPER": "/var/task/bedrock-stream"},
        snap_start=snap_start,
    )
    service = LambdaService({"Fn": function}, log=lambda line: None)
    services.append(service)
    result = service.invoke("Fn", b"{}", streaming=False).result(60)
    if snap_start:
        assert json.loads(result.body) == "ready"
    else:
        assert result.error_type == "Sandbox.Timedout"
        assert "Init timed out after 0.50 seconds" in result.error_json()["errorMessage"]


def test_an_on_demand_function_keeps_the_key_variables(
    code: Path, services: list[LambdaService]
) -> None:
    environment = lambda_environment(
        _function(code, snap_start=False),
        region="us-east-1",
        runtime_api="127.0.0.1:9001",
        runtime_dir="/tmp",
        credentials=CREDENTIALS,
    )
    assert environment["AWS_ACCESS_KEY_ID"] == CREDENTIALS["AWS_ACCESS_KEY_ID"]
    assert environment["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert "AWS_CONTAINER_CREDENTIALS_FULL_URI" not in environment


def test_the_endpoint_answers_its_token_only() -> None:
    endpoint = ContainerCredentials(CREDENTIALS).start()
    try:
        variables = endpoint.environment()
        url = variables["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
        token = variables["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
        request = urllib.request.Request(url, headers={"Authorization": token})
        with urllib.request.urlopen(request, timeout=10) as response:
            first = json.load(response)
        assert first["Token"] == CREDENTIALS["AWS_SESSION_TOKEN"]
        assert first["Expiration"].endswith("Z")
        for headers in ({}, {"Authorization": token + "x"}):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10)
            refused.value.close()
            assert refused.value.code == 403
    finally:
        endpoint.close()
