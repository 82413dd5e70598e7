"""A SnapStart function reaches Bedrock on the built-in transport with its container credentials.

The function is primed at init (its module imports the Bedrock layer), snapshotted, restored,
and invoked; the local Bedrock emulator then sees a request signed with the credentials the
local Lambda service's container credentials endpoint handed out, not with keys from the
environment (a SnapStart function has none), and botocore never loaded.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bedrock_stream.cli import write_wrapper
from bedrock_stream.local.bedrock import BedrockEmulator
from bedrock_stream.local.deployment import Function
from bedrock_stream.local.lambda_service import LambdaService

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups and /bin/sh")

APP = """
import sys

from bedrock_stream.bedrock import client as bedrock_client, stream_text


def handler(event, context):
    text = "".join(stream_text("Why is the sea salty?", model_id="us.amazon.nova-pro-v1:0"))
    return {
        "text": text,
        "transport": type(bedrock_client.default_client()).__name__,
        "botocore": "botocore" in sys.modules,
    }
"""

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "ASIASNAPSTARTBEDROCK",
    "AWS_SECRET_ACCESS_KEY": "snap-start-secret",
    "AWS_SESSION_TOKEN": "snap-start-session",
}


@pytest.fixture
def emulator() -> Iterator[BedrockEmulator]:
    with BedrockEmulator(speed=0) as running:
        yield running


def test_a_snapstart_function_signs_with_its_container_credentials(
    tmp_path: Path, emulator: BedrockEmulator
) -> None:
    (tmp_path / "app.py").write_text(APP)
    write_wrapper(tmp_path)
    function = Function(
        name="Fn",
        code_dir=tmp_path,
        handler="app.handler",
        runtime="python3.13",
        timeout=30,
        environment={
            "AWS_LAMBDA_EXEC_WRAPPER": "/var/task/bedrock-stream",
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
            "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
            **emulator.env(),
        },
        snap_start=True,
    )
    service = LambdaService({"Fn": function}, credentials=CREDENTIALS, log=lambda line: None)
    try:
        result = service.invoke("Fn", b"{}", streaming=False).result(60)
    finally:
        service.close()
    answer = json.loads(result.body)
    (record,) = emulator.requests
    assert answer == {"text": record.text, "transport": "BuiltinClient", "botocore": False}
    headers = {name.lower(): value for name, value in record.headers}
    credential = re.search(r"Credential=([^/]+)/", headers["authorization"])
    assert credential is not None
    assert credential.group(1) == CREDENTIALS["AWS_ACCESS_KEY_ID"]
    assert headers["x-amz-security-token"] == CREDENTIALS["AWS_SESSION_TOKEN"]
