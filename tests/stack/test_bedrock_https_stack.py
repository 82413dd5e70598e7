"""``bedrock-stream local --https``: a function reaches the emulator over HTTPS.

The function holds a Bedrock API key in its environment, as a deployed one would; its boto3
sends it as a bearer token, which botocore does only over HTTPS, trusting the emulator's CA
through the ``AWS_CA_BUNDLE`` the stack gives every function.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bedrock_stream.devtools.cli import _banner
from bedrock_stream.local.stack import LocalStack

SOURCE = Path(__file__).parent / "app" / "src"
KEY = "bedrock-api-key-" + "s" * 24
TEMPLATE = f"""\
Transform: AWS::Serverless-2016-10-31
Resources:
  Ask:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      CodeUri: {SOURCE}
      Handler: app.handler
      Timeout: 20
      Environment:
        Variables:
          AWS_LAMBDA_EXEC_WRAPPER: /var/task/bedrock-stream
          AWS_BEARER_TOKEN_BEDROCK: {KEY}
      FunctionUrlConfig:
        AuthType: NONE
        InvokeMode: RESPONSE_STREAM
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    template = tmp_path_factory.mktemp("https-app") / "template.yaml"
    template.write_text(TEMPLATE)
    with LocalStack(template, port=0, speed=0, bedrock_https=True) as running:
        yield running


def test_a_function_streams_from_the_https_emulator_with_its_api_key(stack: LocalStack) -> None:
    assert stack.bedrock.url.startswith("https://")
    parts = urlsplit(stack.endpoint("Ask").url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=60)
    body = json.dumps({"action": "ask", "message": "How do tides work?"})
    connection.request("POST", parts.path or "/", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    streamed = response.read()
    connection.close()
    assert response.status == 200, streamed
    record = stack.bedrock.requests[-1]
    assert streamed == record.text.encode()
    assert record.operation == "converse-stream" and record.outcome == "ok"
    assert {n.lower(): v for n, v in record.headers}["authorization"] == f"Bearer {KEY}"


def test_the_banner_names_the_ca_bundle(stack: LocalStack) -> None:
    assert stack.bedrock.tls is not None
    assert f"AWS_CA_BUNDLE={stack.bedrock.tls.ca_bundle}" in _banner(stack)


def test_the_command_line_option_starts_the_emulator_over_https(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE)
    command = [sys.executable, "-m", "bedrock_stream.cli", "local", "-t", str(template)]
    command += ["-p", "0", "--speed", "0", "--https"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    banner = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            banner.append(line)
            if line.startswith("Ctrl-C"):
                break
    finally:
        process.terminate()
        process.communicate(timeout=30)
    text = "".join(banner)
    assert "Bedrock emulator     endpoint_url=https://127.0.0.1:" in text
    assert "AWS_CA_BUNDLE=" in text


def test_an_api_key_without_https_is_warned_about(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE)
    (warning,) = LocalStack(template, port=0).warnings
    assert warning.startswith("Ask: a Bedrock API key (AWS_BEARER_TOKEN_BEDROCK)")
    assert "--https" in warning
    assert LocalStack(template, port=0, bedrock_https=True).warnings == ()
    assert LocalStack(template, port=0, bedrock="aws").warnings == ()
