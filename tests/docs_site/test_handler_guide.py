"""The `@streaming_handler` guide (docs/handler.md): its samples run and do what the page says.

Each sample is a file under docs/examples/ shown byte for byte on the page
(tests/core/test_docs.py checks the copies); these tests check the behaviour the prose
claims: the order of writes, what reaches the client, what Powertools sees and when.
"""

from __future__ import annotations

import asyncio
import http.client
import io
import json
import os
import re
import runpy
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from bedrock_stream import ndjson, streaming_handler
from bedrock_stream.runtime import loop
from bedrock_stream.runtime.client import Invocation
from bedrock_stream.sink import attach_sink, detach_sink
from bedrock_stream.testing import LambdaContextStub, MemorySink, invoke_streaming

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "docs" / "examples"
PAGE = ROOT / "docs" / "handler.md"
SAMPLES = [
    "docs/examples/handler_async.py",
    "docs/examples/handler_ndjson.py",
    "docs/examples/sdk/src/words.py",
    "docs/examples/sdk/client.py",
    "docs/examples/handler_powertools.py",
]


def rest_event(body: Any) -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body)
    return {"httpMethod": "POST", "path": "/ask", "requestContext": {}, "body": text}


def test_the_page_shows_every_sample() -> None:
    page = PAGE.read_text()
    for sample in SAMPLES:
        assert f"<!-- snippet: {sample} -->" in page, sample


# -- async generators -------------------------------------------------------------------------


def test_async_sample_streams_one_write_per_word_in_order() -> None:
    handler = runpy.run_path(str(EXAMPLES / "handler_async.py"))["handler"]
    result = invoke_streaming(handler, rest_event({"message": "rivers run to the sea"}))
    assert result.error is None and result.status == 200
    assert [w.chunks[-1] for w in result.writes] == [
        b"rivers\n",
        b"run\n",
        b"to\n",
        b"the\n",
        b"sea\n",
    ]
    assert result.body == b"rivers\nrun\nto\nthe\nsea\n"


def test_async_sample_rejects_before_the_first_chunk_with_a_400() -> None:
    handler = runpy.run_path(str(EXAMPLES / "handler_async.py"))["handler"]
    result = invoke_streaming(handler, rest_event({}))
    assert result.status == 400
    assert json.loads(result.body)["message"] == "send a JSON body with a 'message'"


def test_async_sample_runs_every_invocation_on_one_long_lived_loop() -> None:
    handler = runpy.run_path(str(EXAMPLES / "handler_async.py"))["handler"]
    module_globals = handler.__wrapped__.__globals__  # the decorated function's own globals
    loops: list[asyncio.AbstractEventLoop] = []
    fetch = module_globals["fetch_words"]

    async def spying(message: str) -> AsyncIterator[str]:
        loops.append(asyncio.get_running_loop())
        async for word in fetch(message):
            yield word

    module_globals["fetch_words"] = spying
    for _ in range(2):
        assert invoke_streaming(handler, rest_event({"message": "a"})).body == b"a\n"
    assert len(loops) == 2 and loops[0] is loops[1] and not loops[0].is_closed()


def test_async_sample_buffered_returns_the_whole_body() -> None:
    handler = runpy.run_path(str(EXAMPLES / "handler_async.py"))["handler"]
    response = handler(rest_event({"message": "a b"}), None)
    assert response["statusCode"] == 200 and response["body"] == "a\nb\n"


# -- NDJSON -----------------------------------------------------------------------------------


def test_ndjson_sample_writes_one_json_line_per_record() -> None:
    handler = runpy.run_path(str(EXAMPLES / "handler_ndjson.py"))["handler"]
    result = invoke_streaming(handler, rest_event({"message": "why blue"}))
    assert result.headers["content-type"] == ndjson.CONTENT_TYPE == "application/x-ndjson"
    lines = [w.chunks[-1] for w in result.writes]
    assert all(line.endswith(b"\n") and line.count(b"\n") == 1 for line in lines)
    assert lines[0] == b'{"type":"token","index":0,"text":"why"}\n'  # compact JSON
    assert [json.loads(line) for line in lines] == [
        {"type": "token", "index": 0, "text": "why"},
        {"type": "token", "index": 1, "text": "blue"},
        {"type": "done", "tokens": 2},
    ]
    buffered = handler(rest_event({"message": "why blue"}), None)
    assert buffered["body"].encode() == result.body


# -- raw SDK invocations, through the local stack's Lambda API ----------------------------------

SDK = EXAMPLES / "sdk"
posix_only = pytest.mark.skipif(os.name != "posix", reason="the local Lambda service is POSIX")


@pytest.fixture
def lambda_client(local_stack: Any) -> Iterator[Callable[[Any], Any]]:
    """A factory of boto3 ``lambda`` clients pointed at a local stack's Lambda API."""
    clients: list[Any] = []

    def make(stack: Any) -> Any:
        client = boto3.client(
            "lambda",
            endpoint_url=stack.endpoint("lambda", "lambda-api").url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@posix_only
def test_sdk_caller_reads_records_and_the_stream_has_no_prelude(
    local_stack: Any, lambda_client: Callable[[Any], Any]
) -> None:
    stack = local_stack(SDK / "template.yaml")
    client = lambda_client(stack)
    stream_words = runpy.run_path(str(SDK / "client.py"))["stream_words"]
    records = list(stream_words("WordsFunction", "why is the sky blue", client))
    assert records == [
        *({"index": i, "word": w} for i, w in enumerate(["why", "is", "the", "sky", "blue"])),
        {"done": True, "words": 5},
    ]
    # What the caller receives: the handler's content type, its bytes, nothing before them.
    response = client.invoke_with_response_stream(
        FunctionName="WordsFunction", Payload=json.dumps({"message": "a b"})
    )
    assert response["ResponseStreamContentType"] == "application/x-ndjson"
    events = list(response["EventStream"])
    assert events[-1] == {"InvokeComplete": {}}
    payload = b"".join(e["PayloadChunk"]["Payload"] for e in events[:-1])
    assert payload == b'{"index":0,"word":"a"}\n{"index":1,"word":"b"}\n{"done":true,"words":2}\n'
    # A plain (buffered) Invoke of the same function returns the same bytes at once.
    buffered = client.invoke(FunctionName="WordsFunction", Payload=json.dumps({"message": "a b"}))
    assert "FunctionError" not in buffered
    assert buffered["Payload"].read() == payload


@posix_only
def test_sdk_error_before_the_first_chunk_is_a_lambda_error(
    local_stack: Any, lambda_client: Callable[[Any], Any]
) -> None:
    stack = local_stack(SDK / "template.yaml")
    client = lambda_client(stack)
    namespace = runpy.run_path(str(SDK / "client.py"))
    with pytest.raises(namespace["InvocationFailed"]) as failed:
        list(namespace["stream_words"]("WordsFunction", None, client))
    assert failed.value.code == "HTTPError"  # the exception's type, not a status
    assert "send a JSON object with a 'message'" in json.loads(failed.value.details)["errorMessage"]
    response = client.invoke_with_response_stream(
        FunctionName="WordsFunction", Payload=json.dumps({})
    )
    events = list(response["EventStream"])
    assert [next(iter(e)) for e in events] == ["InvokeComplete"]  # no PayloadChunk at all


@posix_only
def test_the_same_function_behind_its_function_url_answers_http(local_stack: Any) -> None:
    stack = local_stack(SDK / "template.yaml")
    url = urlsplit(stack.endpoint("WordsFunction", "function-url").url)
    for body, status in [({"message": "a"}, 200), ({}, 400)]:
        connection = http.client.HTTPConnection(url.netloc, timeout=60)
        try:
            headers = {"Content-Type": "application/json"}
            connection.request("POST", "/", body=json.dumps(body), headers=headers)
            response = connection.getresponse()
            assert response.status == status
            data = response.read()
        finally:
            connection.close()
        if status == 200:
            assert response.getheader("Content-Type") == "application/x-ndjson"
            assert data == b'{"index":0,"word":"a"}\n{"done":true,"words":1}\n'
        else:
            assert json.loads(data)["message"] == "send a JSON object with a 'message'"


# -- Powertools -------------------------------------------------------------------------------


class Timeline(MemorySink):
    """A sink that also records, before each write, what was printed since the last one."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        super().__init__()
        self.capsys = capsys
        self.events: list[tuple[str, Any]] = []

    def drain_stdout(self) -> None:
        for line in self.capsys.readouterr().out.splitlines():
            document = json.loads(line)
            self.events.append(("emf" if "_aws" in document else "log", document))

    def write(self, *chunks: bytes) -> None:
        self.drain_stdout()
        super().write(*chunks)
        self.events.append(("write", b"".join(chunks)))


def powertools_sample() -> Any:
    """Load the sample; its Logger writes to the current (captured) stdout.

    Powertools keeps one logger per service name: a Logger made by an earlier load
    still holds the stdout of the test that made it.
    """
    namespace = runpy.run_path(str(EXAMPLES / "handler_powertools.py"))
    namespace["logger"].registered_handler.stream = sys.stdout
    return namespace["handler"]


def run_with(sink: Timeline, handler: Any, event: Any, request_id: str = "req-1") -> None:
    token = attach_sink(sink)
    try:
        handler(event, LambdaContextStub(aws_request_id=request_id))
    finally:
        detach_sink(token)
    sink.drain_stdout()


def test_powertools_sample_logs_mid_stream_and_flushes_metrics_after_the_last_chunk(
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler = powertools_sample()
    sink = Timeline(capsys)
    run_with(sink, handler, rest_event({"message": "one two three"}))
    kinds = [kind for kind, _ in sink.events]
    assert kinds == ["write", "write", "write", "log", "emf"]
    log = sink.events[3][1]
    assert log["message"] == "answered" and log["words"] == 3
    assert log["function_request_id"] == "req-1" and log["http_method"] == "POST"
    emf = sink.events[4][1]
    assert emf["Words"] in (3.0, [3.0])
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "BedrockStreamDocs"


def test_powertools_sample_400_is_a_response_and_publishes_no_metric(
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler = powertools_sample()
    sink = Timeline(capsys)
    with pytest.warns(UserWarning, match="No application metrics to publish"):
        run_with(sink, handler, rest_event("not json"))
    assert [kind for kind, _ in sink.events] == ["write"]
    prelude, body = sink.events[0][1].split(b"\x00" * 8)
    assert json.loads(prelude)["statusCode"] == 400
    assert json.loads(body)["message"] == "send a JSON body with a 'message'"


def test_powertools_sample_state_is_cleared_between_invocations(
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler = powertools_sample()
    for request_id in ("req-1", "req-2"):
        sink = Timeline(capsys)
        run_with(sink, handler, rest_event({"message": "a"}), request_id)
        logs = [doc for kind, doc in sink.events if kind == "log"]
        assert [log["function_request_id"] for log in logs] == [request_id]
    assert logs[0]["cold_start"] is False  # Powertools' own flag: this process is warm


def test_log_metrics_inside_the_decorator_flushes_before_the_stream_runs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    metrics = Metrics(namespace="BedrockStreamDocs", service="inside")

    @streaming_handler
    @metrics.log_metrics  # wraps the generator function: returns as soon as it is created
    def handler(event: Any, context: Any) -> Iterator[str]:
        yield "first"
        metrics.add_metric(name="Chunks", unit=MetricUnit.Count, value=1)

    sink = Timeline(capsys)
    with pytest.warns(UserWarning, match="No application metrics to publish"):
        run_with(sink, handler, rest_event({}))
    assert [kind for kind, _ in sink.events] == ["write"]  # nothing flushed after the stream
    # The metric added mid-stream waits in the buffer, to go out with the next flush.
    metrics.flush_metrics()
    assert json.loads(capsys.readouterr().out)["Chunks"] in (1.0, [1.0])


class RecordingSink:
    """Stands in for the runtime's network sink: records start, writes and the end."""

    def __init__(self, timeline: list[str], *args: Any) -> None:
        self.timeline = timeline
        self.content_type: str | None = None
        self.sent_head = False
        self.request_id = args[1]

    @property
    def started(self) -> bool:
        return self.content_type is not None

    def start(self, content_type: str) -> None:
        self.content_type = content_type

    def write(self, *chunks: bytes) -> None:
        self.sent_head = True
        self.timeline.append("write")

    def finish(self, trailers: list[tuple[str, str]] | None = None) -> int:
        self.timeline.append("end of response")
        return 202

    def close(self) -> None:
        pass


def test_in_the_runtime_metrics_flush_before_the_response_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    timeline: list[str] = []
    stdout = io.StringIO()

    class Printed(io.StringIO):
        def write(self, text: str) -> int:
            if text.strip():
                timeline.append("emf" if '"_aws"' in text else "print")
            return stdout.write(text)

    monkeypatch.setattr("sys.stdout", Printed())
    monkeypatch.setattr(loop, "StreamingSink", lambda *args: RecordingSink(timeline, *args))
    metrics = Metrics(namespace="BedrockStreamDocs", service="runtime-order")

    @metrics.log_metrics
    @streaming_handler
    def handler(event: Any, context: Any) -> Iterator[str]:
        yield "a"
        yield "b"
        metrics.add_metric(name="Chunks", unit=MetricUnit.Count, value=2)

    invocation = Invocation(
        request_id="req-1",
        deadline_ms=2**62,
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:f",
        trace_id=None,
        client_context=None,
        cognito_identity=None,
        tenant_id=None,
        content_type="application/json",
        body=json.dumps(rest_event({})).encode(),
    )
    loop.Runtime(api=None, handler=handler).invoke(invocation)  # type: ignore[arg-type]
    assert timeline == ["write", "write", "emf", "end of response"]
    assert re.search(r'"Chunks":\[?2\.0\]?', stdout.getvalue())
