"""Node.js functions on the local stack, run by AWS's own Node.js runtime client.

``tests/stack/node_app`` has each Node.js handler beside a Python twin meant to answer the
same; every pair is called through the same STREAM route and RESPONSE_STREAM function URL
of one stack, and the answers must be equal byte for byte, save the headers that differ on
every request. A gated handler shows a Node.js function's bytes reach the client while it
still runs, and the refusals at start are checked word for word. The Node.js functions
import the JavaScript SDK from ``tests/node``: the app is copied to a temporary directory
with that ``node_modules`` linked into it.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest

from bedrock_stream.devtools.cli import main
from bedrock_stream.local.runtimes import NODE_RIC_VARIABLE, RuntimeUnavailable
from bedrock_stream.local.stack import LocalStack
from node_peers import NODE_MODULES, node_package

APP = Path(__file__).parent / "node_app"
# Set anew on every request, by the stack or by the runtime.
_PER_REQUEST = {"date", "x-amzn-requestid", "x-amzn-trace-id", "x-amz-apigw-id", "apigw-requestid"}
_JSON = {"Content-Type": "application/json"}

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the local Lambda service is POSIX")

Answer = tuple[int, str, list[tuple[str, str]], bytes]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    ric = node_package("aws-lambda-ric")
    node_package("@aws-sdk/client-bedrock-runtime")
    app = tmp_path_factory.mktemp("node_app") / "app"
    shutil.copytree(APP, app)
    (app / "node" / "node_modules").symlink_to(NODE_MODULES)
    with LocalStack(app / "template.yaml", port=0, speed=0, node_ric=ric) as running:
        yield running


def _urls(stack: LocalStack, function: str, path: str) -> dict[str, str]:
    rest = next(e.url for e in stack.endpoints if e.kind == "rest-api" and e.url.endswith(path))
    return {"rest-api": rest, "function-url": stack.endpoint(function, "function-url").url}


def _post(url: str, document: dict[str, str]) -> Answer:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=60)
    try:
        connection.request("POST", parts.path or "/", json.dumps(document), _JSON)
        response = connection.getresponse()
        body = response.read()
        headers = [(k, v) for k, v in response.getheaders() if k.lower() not in _PER_REQUEST]
        return response.status, response.reason, headers, body
    finally:
        connection.close()


def _twins(stack: LocalStack, action: str, document: dict[str, str]) -> Iterator[Answer]:
    node = _urls(stack, f"Node{action.title()}", f"/node/{action}")
    python = _urls(stack, f"Python{action.title()}", f"/python/{action}")
    for door in ("rest-api", "function-url"):
        answer = _post(node[door], document)
        assert answer == _post(python[door], document), door
        yield answer


def test_a_streaming_node_handler_answers_as_its_python_twin(stack: LocalStack) -> None:
    for status, _, headers, body in _twins(stack, "stream", {}):
        assert status == 201
        assert ("x-answer", "same") in [(k.lower(), v) for k, v in headers]
        assert body == "first\nsecond\nnaïve ☃\n".encode()


@pytest.mark.parametrize("door", ["rest-api", "function-url"])
def test_a_node_handlers_bytes_reach_the_client_before_it_finishes(
    stack: LocalStack, tmp_path: Path, door: str
) -> None:
    parts = urlsplit(_urls(stack, "NodeGate", "/node/gate")[door])
    connection = http.client.HTTPConnection(parts.netloc, timeout=60)
    try:
        connection.request("POST", parts.path or "/", json.dumps({"dir": str(tmp_path)}), _JSON)
        response = connection.getresponse()
        assert response.status == 200
        assert response.read1(100) == b"first\n"  # the function is still at its gate
        assert not (tmp_path / "finished").exists()
        (tmp_path / "release").touch()
        assert response.read() == b"last\n"
    finally:
        connection.close()
    assert (tmp_path / "finished").exists()


def test_a_node_handler_relays_bedrock_through_the_javascript_sdk(stack: LocalStack) -> None:
    assert stack.bedrock is not None
    seen = len(stack.bedrock.requests)
    for status, _, _, body in _twins(stack, "ask", {"message": "Tell me about streaming"}):
        assert status == 200
        assert len(body) > 100  # the emulated model's answer, relayed chunk by chunk
    # The JavaScript SDK's default client over HTTP/2, boto3 over HTTP/1.1: two of each.
    versions = sorted(r.http_version for r in stack.bedrock.requests[seen:])
    assert versions == ["1.1", "1.1", "2", "2"]


def test_a_node_handler_failing_before_its_first_byte_is_a_502_as_its_python_twins(
    stack: LocalStack,
) -> None:
    # The Node.js client opens its streamed response before the handler runs, with its own
    # content type: a function URL must not answer 200 before a byte has come.
    for status, _, _, body in _twins(stack, "fail", {}):
        assert status == 502
        assert json.loads(body)["message"].lower() == "internal server error"


def test_a_node_handler_that_ends_without_a_write_is_answered_as_aws_is_reported_to(
    stack: LocalStack,
) -> None:
    urls = _urls(stack, "NodeEmpty", "/node/empty")
    # Function URL: 200, octet-stream, empty (as reported); STREAM route: 500 (AWS unknown).
    status, _, headers, body = _post(urls["function-url"], {})
    assert (status, body) == (200, b"")
    assert ("content-type", "application/octet-stream") in [(k.lower(), v) for k, v in headers]
    status, _, _, body = _post(urls["rest-api"], {})
    assert status == 500 and json.loads(body) == {"message": "Internal server error"}


def test_a_node_handler_that_cannot_be_loaded_fails_init_as_lambda_reports_it(
    stack: LocalStack,
) -> None:
    client = boto3.client(
        "lambda",
        endpoint_url=stack.endpoint("lambda", "lambda-api").url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    for name in ("NodeMissing", "PythonMissing"):
        answer = client.invoke(FunctionName=name, Payload=b"{}")
        assert answer["FunctionError"] == "Unhandled", name
        assert json.loads(answer["Payload"].read())["errorType"] == "Runtime.ImportModuleError"


def test_node_functions_run_with_aws_node_runtime_client(stack: LocalStack) -> None:
    invocation = stack.lambdas.invoke("NodeStream", b"{}", streaming=True)
    assert invocation.result(60).status == "success"
    assert invocation.bootstrap == "aws-lambda-ric"


# -- refusals at start -------------------------------------------------------------------


def _template(tmp_path: Path, runtime: str) -> Path:
    (tmp_path / "src").mkdir()
    template = tmp_path / "template.yaml"
    template.write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        f"    Properties: {{CodeUri: src/, Handler: index.handler, Runtime: {runtime}}}\n"
    )
    return template


def test_a_node_function_without_a_runtime_client_is_refused_saying_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(NODE_RIC_VARIABLE, raising=False)
    template = _template(tmp_path, "nodejs22.x")
    with pytest.raises(RuntimeUnavailable) as refused:
        LocalStack(template, port=0).start()
    assert str(refused.value) == (
        "function Fn (nodejs) needs AWS's Node.js runtime client: install it with "
        "`npm install --prefix DIR aws-lambda-ric@4.0.2` and pass --node-ric DIR "
        f"(or set {NODE_RIC_VARIABLE}=DIR)"
    )
    assert main(["local", "-t", str(template), "-p", "0", "--node-ric", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        "bedrock-stream: function Fn (nodejs) needs AWS's Node.js runtime client, and there "
        f"is none in {tmp_path}: install it with `npm install --prefix DIR "
        f"aws-lambda-ric@4.0.2` and pass --node-ric DIR (or set {NODE_RIC_VARIABLE}=DIR)\n"
    )


def test_the_runtime_client_is_found_through_the_environment_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ric = node_package("aws-lambda-ric")
    monkeypatch.setenv(NODE_RIC_VARIABLE, str(ric.parent.parent))  # where npm install ran
    with LocalStack(_template(tmp_path, "nodejs22.x"), port=0) as running:
        invocation = running.lambdas.invoke("Fn", b"{}", streaming=False)
        assert invocation.bootstrap == "aws-lambda-ric"
        assert invocation.result(60).error_type == "Runtime.ImportModuleError"  # no index.mjs


def test_a_node_function_without_node_on_path_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ric = node_package("aws-lambda-ric")
    template = _template(tmp_path, "nodejs20.x")
    monkeypatch.setenv("PATH", str(tmp_path))  # no node here
    with pytest.raises(RuntimeUnavailable) as refused:
        LocalStack(template, port=0, node_ric=ric).start()
    assert str(refused.value) == "function Fn (nodejs) needs node on PATH"


@pytest.mark.parametrize("runtime", ["java21", "provided.al2023", "ruby3.3"])
def test_a_runtime_neither_python_nor_node_is_refused_naming_what_runs(
    tmp_path: Path, runtime: str, capsys: pytest.CaptureFixture[str]
) -> None:
    template = _template(tmp_path, runtime)
    message = (
        f"function Fn has Runtime {runtime}: the local stack runs python* and nodejs* "
        "runtimes (e.g. python3.13, nodejs22.x)"
    )
    with pytest.raises(RuntimeUnavailable) as refused:
        LocalStack(template, port=0).start()
    assert str(refused.value) == message
    assert main(["local", "-t", str(template), "-p", "0"]) == 2
    assert capsys.readouterr().err == f"bedrock-stream: {message}\n"
