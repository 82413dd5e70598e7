"""The local stack end to end over real sockets: REST APIs, function URLs, the Lambda API.

Every test drives ``tests/stack/app`` (one handler, streaming through the runtime's exec
wrapper and buffered without it) through a :class:`LocalStack` on free ports. Whether
bytes arrive progressively is shown by the order of events, never by a stopwatch: a
gated handler cannot finish before the test opens its gate, which the test does only
after the first bytes have reached it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import os
import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from bedrock_stream.local.stack import LocalStack
from waiting import wait_for_file, wait_for_log

APP = Path(__file__).parent / "app"

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the local Lambda service is POSIX")


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(APP / "template.yaml", port=0, speed=0, concurrency=50) as running:
        yield running


def _url(stack: LocalStack, name: str, kind: str = "rest-api", path: str = "/run") -> str:
    for endpoint in stack.endpoints:
        if endpoint.name == name and endpoint.kind == kind and endpoint.url.endswith(path):
            return endpoint.url
    if kind == "function-url":
        return stack.endpoint(name, kind).url
    raise KeyError(name)


@contextlib.contextmanager
def _post(url: str, document: dict[str, Any]) -> Iterator[http.client.HTTPResponse]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=60)
    try:
        connection.request(
            "POST",
            parts.path or "/",
            body=json.dumps(document),
            headers={"Content-Type": "application/json"},
        )
        yield connection.getresponse()
    finally:
        connection.close()


def _lambda_client(stack: LocalStack) -> Any:
    return boto3.client(
        "lambda",
        endpoint_url=stack.endpoint("lambda", "lambda-api").url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


@pytest.mark.parametrize(
    ("name", "kind"), [("StreamApi", "rest-api"), ("StreamFunction", "function-url")]
)
def test_streamed_bytes_reach_the_client_before_the_function_finishes(
    stack: LocalStack, tmp_path: Path, name: str, kind: str
) -> None:
    with _post(_url(stack, name, kind), {"action": "gate", "dir": str(tmp_path)}) as response:
        assert response.status == 200
        assert response.getheader("Transfer-Encoding") == "chunked"
        assert response.read1(100) == b"first\n"  # the function is still waiting at its gate
        assert not (tmp_path / "finished").exists()
        (tmp_path / "release").touch()
        assert response.read() == b"last\n"
    assert (tmp_path / "finished").exists()


@pytest.mark.parametrize(
    ("name", "kind"), [("BufferApi", "rest-api"), ("BufferFunction", "function-url")]
)
def test_buffered_doors_answer_only_when_the_function_is_done(
    stack: LocalStack, tmp_path: Path, name: str, kind: str
) -> None:
    answered = threading.Event()
    result: dict[str, Any] = {}

    def call() -> None:
        with _post(_url(stack, name, kind), {"action": "gate", "dir": str(tmp_path)}) as response:
            answered.set()
            result["status"], result["body"] = response.status, response.read()
            result["length"] = response.getheader("Content-Length")

    thread = threading.Thread(target=call)
    thread.start()
    wait_for_file(tmp_path / "yielded")  # the function has produced its first chunk...
    assert not answered.is_set()  # ...and the client still has nothing
    (tmp_path / "release").touch()
    thread.join(60)
    assert result == {"status": 200, "body": b"first\nlast\n", "length": "11"}


def test_fifty_concurrent_streams_arrive_whole_and_apart(stack: LocalStack) -> None:
    url = _url(stack, "StreamApi")

    def stream(tag: int) -> tuple[int, bytes]:
        with _post(url, {"action": "count", "n": 200, "tag": f"s{tag}"}) as response:
            return response.status, response.read()

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(stream, range(50)))
    for tag, (status, body) in enumerate(results):
        assert status == 200
        assert body == "".join(f"s{tag}:{n}\n" for n in range(200)).encode()


def test_a_function_timeout_truncates_the_stream_and_a_fresh_process_serves_next(
    stack: LocalStack,
) -> None:
    url = _url(stack, "StreamApi", path="/short")
    for _ in range(2):  # the second call proves a fresh process took over
        with _post(url, {"action": "sleep"}) as response:
            assert response.status == 200
            assert response.read1(100) == b"started\n"
            with pytest.raises(http.client.IncompleteRead):
                response.read()


def test_a_crash_truncates_the_stream_and_the_next_call_is_served(stack: LocalStack) -> None:
    url = _url(stack, "StreamApi")
    with _post(url, {"action": "crash"}) as response:
        assert response.read1(100) == b"started\n"
        with pytest.raises(http.client.IncompleteRead):
            response.read()
    with _post(url, {"action": "count", "n": 2, "tag": "after"}) as again:
        assert (again.status, again.read()) == (200, b"after:0\nafter:1\n")


@pytest.mark.parametrize(("action", "path"), [("crash", "/run"), ("sleep", "/short")])
def test_a_crash_or_timeout_behind_the_buffered_api_is_a_502(
    stack: LocalStack, action: str, path: str
) -> None:
    url = _url(stack, "BufferApi", path=path)
    with _post(url, {"action": action}) as response:
        # The function printed "started" before it died: none of it reaches the client.
        assert response.status == 502
        assert json.loads(response.read()) == {"message": "Internal server error"}
    with _post(url, {"action": "count", "n": 1, "tag": "after"}) as again:
        assert (again.status, again.read()) == (200, b"after:0\n")


def test_a_streaming_function_behind_a_buffered_integration_loses_its_body(
    stack: LocalStack,
) -> None:
    # AWS documents this combination: the prelude's status and headers are returned, the
    # body is not. The local stack reproduces it, so the mistake shows before deploying.
    url = _url(stack, "BufferApi", path="/streaming-function")
    with _post(url, {"action": "count", "n": 2, "tag": "lost"}) as response:
        assert response.status == 200
        assert response.getheader("Content-Type") == "text/plain; charset=utf-8"
        assert response.read() == b""


def test_an_error_before_any_byte_is_a_502_on_the_buffered_api(stack: LocalStack) -> None:
    with _post(_url(stack, "BufferApi"), {"action": "fail"}) as response:
        # A buffered call that fails anywhere returns the handler's error response.
        assert response.status == 500
        assert b"Traceback" not in response.read()


def test_unknown_routes_and_methods_get_missing_authentication_token(stack: LocalStack) -> None:
    base = _url(stack, "StreamApi").rsplit("/Prod/", 1)[0]
    for path in ("/Prod/nope", "/Dev/run", "/"):
        with _post(base + path, {}) as response:
            assert response.status == 403
            assert json.loads(response.read()) == {"message": "Missing Authentication Token"}


def test_a_client_that_leaves_does_not_stop_the_function(
    stack: LocalStack, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with _post(_url(stack, "StreamApi"), {"action": "gate", "dir": str(tmp_path)}) as response:
        assert response.read1(100) == b"first\n"
    # The client has left mid-stream; the gateway notices while the function waits.
    wait_for_log(caplog, "client gone: the client closed the connection")
    (tmp_path / "release").touch()
    wait_for_file(tmp_path / "finished")  # the function ran to completion
    wait_for_log(caplog, "finished after its client went away: success")


def test_boto3_invoke_with_response_stream_gets_chunks_then_the_trailer_error(
    stack: LocalStack,
) -> None:
    client = _lambda_client(stack)
    body = json.dumps({"action": "fail"})
    response = client.invoke_with_response_stream(
        FunctionName="StreamFunction", Payload=json.dumps({"body": body})
    )
    events = list(response["EventStream"])
    # Not an HTTP event: the handler streams raw, with its own content type.
    assert response["ResponseStreamContentType"] == "text/plain; charset=utf-8"
    chunks = b"".join(e["PayloadChunk"]["Payload"] for e in events if "PayloadChunk" in e)
    assert chunks == b"started\n"
    complete = events[-1]["InvokeComplete"]
    assert complete["ErrorCode"] == "ValueError"
    assert json.loads(complete["ErrorDetails"])["errorMessage"] == "the handler failed mid-stream"


def test_boto3_invoke_and_invoke_with_response_stream_succeed(stack: LocalStack) -> None:
    client = _lambda_client(stack)
    payload = json.dumps({"body": json.dumps({"action": "count", "n": 2, "tag": "b"})})
    result = client.invoke(FunctionName="BufferFunction", Payload=payload)
    assert "FunctionError" not in result
    assert result["Payload"].read() == b"b:0\nb:1\n"  # a raw invocation returns the bytes
    streamed = client.invoke_with_response_stream(
        FunctionName="arn:aws:lambda:us-east-1:123456789012:function:StreamFunction",
        Payload=payload,
    )
    events = list(streamed["EventStream"])
    assert events[-1] == {"InvokeComplete": {}}
    chunks = b"".join(e["PayloadChunk"]["Payload"] for e in events[:-1])
    assert chunks == b"b:0\nb:1\n"


def test_boto3_errors_for_unknown_functions_and_timeouts(stack: LocalStack) -> None:
    client = _lambda_client(stack)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="Nope", Payload=b"{}")
    streamed = client.invoke_with_response_stream(
        FunctionName="ShortFunction", Payload=json.dumps({"body": '{"action": "sleep"}'})
    )
    complete = list(streamed["EventStream"])[-1]["InvokeComplete"]
    assert complete["ErrorCode"] == "Sandbox.Timedout"


@pytest.mark.parametrize(("change", "status"), [("missing", 127), ("not-executable", 126)])
def test_a_broken_exec_wrapper_fails_init_and_the_api_answers_502(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, change: str, status: int
) -> None:
    caplog.set_level(logging.INFO)
    app = tmp_path / "app"
    shutil.copytree(APP, app)
    wrapper = app / "src" / "bedrock-stream"
    if change == "missing":
        wrapper.unlink()
    else:
        wrapper.chmod(0o644)
    document = {"action": "count", "n": 1, "tag": "x"}
    with (
        LocalStack(app / "template.yaml", port=0, speed=0) as stack,
        _post(_url(stack, "StreamApi"), document) as response,
    ):
        assert response.status == 502
        assert json.loads(response.read()) == {"message": "Internal server error"}
    assert f"exit status {status}" in caplog.text


def test_boto3_invocation_types_and_bad_input(stack: LocalStack) -> None:
    client = _lambda_client(stack)
    assert (
        client.invoke(FunctionName="BufferFunction", InvocationType="DryRun")["StatusCode"] == 204
    )
    with pytest.raises(client.exceptions.InvalidRequestContentException):
        client.invoke(FunctionName="BufferFunction", Payload=b"not json")
    with pytest.raises(client.exceptions.InvalidParameterValueException):
        client.invoke(FunctionName="BufferFunction", InvocationType="Sometimes", Payload=b"{}")
