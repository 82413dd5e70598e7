"""The FastAPI example (examples/fastapi-app) on the local stack, with the Bedrock emulator.

Client -> API Gateway (STREAM, ``/{proxy+}``) -> the app's Lambda process, started through the
exec wrapper -> ``asgi_handler`` -> FastAPI -> boto3 -> the Bedrock emulator, every hop on a
real socket; then the same app with no sink attached, called as the plain runtime calls it.
"""

from __future__ import annotations

import http.client
import json
import os
import runpy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stack_calls import call, sigv4_headers

from bedrock_stream.local.bedrock.faults import Stall, StreamFault, access_denied, throttling
from bedrock_stream.local.stack import LocalStack

APP = Path(__file__).parents[2] / "examples" / "fastapi-app"
JSON = {"Content-Type": "application/json"}

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the local Lambda service is POSIX")


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    # The app's behaviour, not its metering: the key's throttle and quota let every request in.
    metering = {"KeyRateLimit": "1000", "KeyBurstLimit": "1000", "QuotaPerDay": "100000"}
    with LocalStack(APP / "template.yaml", port=0, speed=0, parameters=metering) as running:
        yield running


@pytest.fixture(autouse=True)
def no_faults_left(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "stack" in request.fixturenames:
        request.getfixturevalue("stack").bedrock.faults.clear()


def _url(stack: LocalStack, path: str) -> str:
    """``path`` under the stage: the API's root is ``/Prod/``."""
    return stack.endpoint("Api").url.rstrip("/") + path


def _ask_body(message: str) -> str:
    return json.dumps({"message": message})


def _events(body: bytes) -> list[dict[str, str]]:
    """The Server-Sent Events of ``body``: each one's ``event`` (default ``message``) and data."""
    events = []
    for block in body.decode().replace("\r\n", "\n").split("\n\n"):
        if not block:
            continue
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        events.append({"event": fields.get("event", "message"), "data": fields["data"]})
    return events


def _record(stack: LocalStack, message: str) -> Any:
    """The emulator's record of the last request carrying ``message``."""
    for record in reversed(stack.bedrock.requests):
        if message in json.dumps(record.body):
            return record
    raise AssertionError(f"Bedrock never saw {message!r}")


def test_the_first_event_reaches_the_client_while_the_model_is_still_generating(
    stack: LocalStack,
) -> None:
    message = "Which rocks do glaciers carry?"
    # After two tokens the emulator sends nothing more until its client leaves, so the first
    # event can reach the client only if every hop streams it. No stopwatch: a hop that held
    # it back would leave this read waiting until the call's timeout.
    stack.bedrock.faults.add(Stall(after_tokens=2), prompt=message)
    with call(stack, _url(stack, "/ask"), "POST", _ask_body(message), JSON) as response:
        assert response.status == 200
        first = response.readline()
    assert first.startswith(b"event: text")


def test_the_answer_streams_event_by_event_and_ends_with_done(stack: LocalStack) -> None:
    message = "How do glaciers move?"
    with call(stack, _url(stack, "/ask"), "POST", _ask_body(message), JSON) as response:
        assert response.status == 200
        assert response.getheader("Content-Type") == "text/event-stream; charset=utf-8"
        assert response.getheader("Transfer-Encoding") == "chunked"
        body = response.read()
    events = _events(body)
    record = _record(stack, message)
    assert record.operation == "converse-stream"
    texts = [json.loads(e["data"])["text"] for e in events if e["event"] == "text"]
    assert len(texts) > 1 and "".join(texts) == record.text
    assert [e["event"] for e in events[len(texts) :]] == ["stop", "usage", "message"]
    assert json.loads(events[-3]["data"]) == {"reason": "end_turn"}
    usage = json.loads(events[-2]["data"])
    assert usage["output_tokens"] > 0 and usage["input_tokens"] > 0
    assert events[-1]["data"] == "[DONE]"


def test_the_json_route_answers_json(stack: LocalStack) -> None:
    with call(stack, _url(stack, "/health")) as response:
        assert response.status == 200
        assert response.getheader("Content-Type") == "application/json"
        assert json.loads(response.read()) == {
            "status": "ok",
            "model": "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "max_tokens": 1024,
        }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"message": ""}', ["body", "message"]),
        ('{"message": "x", "max_tokens": 5000}', ["body", "max_tokens"]),
        ("{}", ["body", "message"]),
        ("not json", ["body", 0]),
    ],
)
def test_a_bad_body_gets_fastapis_422_before_bedrock_is_called(
    stack: LocalStack, body: str, field: list[Any]
) -> None:
    calls = len(stack.bedrock.requests)
    with call(stack, _url(stack, "/ask"), "POST", body, JSON) as response:
        assert response.status == 422
        assert response.getheader("Content-Type") == "application/json"
        (error,) = json.loads(response.read())["detail"]
    assert error["loc"] == field
    assert len(stack.bedrock.requests) == calls


@pytest.mark.parametrize("sent_as", ["text/plain", None], ids=["text", "untyped"])
def test_a_json_body_not_sent_as_json_is_never_parsed(
    stack: LocalStack, sent_as: str | None
) -> None:
    # What a cross-site "simple" request (no preflight) can send, a text or an untyped body
    # (a fetch() of a Blob): FastAPI refuses both (untyped ones since 0.132).
    calls = len(stack.bedrock.requests)
    typed = {} if sent_as is None else {"Content-Type": sent_as}
    body = _ask_body(f"sent as {sent_as}")
    with call(stack, _url(stack, "/ask"), "POST", body, typed) as response:
        assert response.status == 422
        (error,) = json.loads(response.read())["detail"]
    assert error["loc"] == ["body"]
    assert len(stack.bedrock.requests) == calls


def test_a_model_that_keeps_throttling_is_a_429_with_retry_after(stack: LocalStack) -> None:
    stack.bedrock.faults.add(throttling(), prompt="always busy", times=None)
    with call(stack, _url(stack, "/ask"), "POST", _ask_body("always busy"), JSON) as response:
        assert response.status == 429
        assert response.getheader("Retry-After") == "2"
        assert json.loads(response.read()) == {"detail": "the model is busy; try again shortly"}


APP_ERROR = {
    "event": "error",
    "data": json.dumps({"message": "the model could not answer; try again later"}),
}
"""The app's own error event, after a Bedrock failure mid-stream."""


def _cut_short(stack: LocalStack, message: str, door: str = "rest") -> bytes:
    """The body of an answer Bedrock breaks off after three tokens: cut, never complete."""
    stack.bedrock.faults.add(StreamFault(after_tokens=3), prompt=message)
    url, body = _url(stack, "/ask"), _ask_body(message).encode()
    headers = JSON
    if door == "function-url":
        url = stack.endpoint("AppFunction", "function-url").url.rstrip("/") + "/ask"
        headers = sigv4_headers(url, body, "lambda", headers=JSON)
    with call(stack, url, "POST", body, headers) as response:
        assert response.status == 200
        with pytest.raises(http.client.IncompleteRead) as cut:
            response.read()
    return cut.value.partial


def test_any_other_bedrock_error_before_the_first_event_is_a_502_without_its_text(
    stack: LocalStack,
) -> None:
    stack.bedrock.faults.add(access_denied(), prompt="no access")
    with call(stack, _url(stack, "/ask"), "POST", _ask_body("no access"), JSON) as response:
        assert response.status == 502
        answer = json.loads(response.read())
    assert answer == {"detail": "the model could not answer; try again later"}


@pytest.mark.parametrize("door", ["rest", "function-url"])
def test_a_failure_mid_stream_sends_an_error_event_and_ends_the_stream_failed(
    stack: LocalStack, door: str
) -> None:
    events = _events(_cut_short(stack, f"break midway behind the {door}", door))
    assert events[0]["event"] == "text"
    assert APP_ERROR in events
    assert all(e["data"] != "[DONE]" for e in events)


def test_after_a_mid_stream_failure_the_client_gets_the_apps_bytes_only(
    stack: LocalStack,
) -> None:
    # uvicorn sends what the app sent, then closes the connection; the app wrote its own
    # error event, and a second one (in another line-ending style) is not the app's.
    assert _events(_cut_short(stack, "break midway again"))[-1] == APP_ERROR


@pytest.mark.parametrize(
    ("method", "path", "status", "detail"),
    [
        ("GET", "/nowhere", 404, "Not Found"),
        ("GET", "/", 404, "Not Found"),  # the root route reaches the app too
        ("GET", "/ask", 405, "Method Not Allowed"),
    ],
)
def test_an_unknown_route_is_the_apps_own_json_error(
    stack: LocalStack, method: str, path: str, status: int, detail: str
) -> None:
    with call(stack, _url(stack, path), method) as response:
        assert response.status == status
        assert response.getheader("Content-Type") == "application/json"
        assert json.loads(response.read()) == {"detail": detail}


def test_an_unhandled_exception_is_a_500_that_says_nothing_of_it(stack: LocalStack) -> None:
    with call(stack, _url(stack, "/error")) as response:
        assert response.status == 500
        body = response.read()
    assert body == b"Internal Server Error"  # Starlette's own answer, as under uvicorn
    assert b"bug" not in body and b"RuntimeError" not in body


def test_without_the_key_the_gateway_refuses_before_the_app(stack: LocalStack) -> None:
    with call(None, _url(stack, "/health")) as response:
        assert response.status == 403
        assert json.loads(response.read()) == {"message": "Forbidden"}


def test_the_function_url_serves_the_same_app_with_no_stage_prefix(stack: LocalStack) -> None:
    url = stack.endpoint("AppFunction", "function-url").url.rstrip("/") + "/ask"
    body = _ask_body("Where do rivers start?").encode()
    with call(stack, url, "POST", body, JSON) as unsigned:
        assert unsigned.status == 403  # AuthType AWS_IAM: nothing runs for an unsigned call
        unsigned.read()
    signed = sigv4_headers(url, body, "lambda", headers=JSON)
    with call(stack, url, "POST", body, signed) as response:
        assert response.status == 200
        events = _events(response.read())
    texts = "".join(json.loads(e["data"])["text"] for e in events if e["event"] == "text")
    assert texts == _record(stack, "Where do rivers start?").text
    assert events[-1]["data"] == "[DONE]"


def test_with_no_sink_the_same_app_answers_the_same_body_in_one_piece(
    stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
    rest_event: dict[str, Any],
    fresh_default_clients: dict[str, Any],
) -> None:
    message = "Why is the sea salty?"
    with call(stack, _url(stack, "/ask"), "POST", _ask_body(message), JSON) as response:
        streamed = response.read()
    # The plain managed runtime's call: the handler, no sink, a REST event; the same emulator.
    for name, value in {
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": stack.bedrock.url,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
    }.items():
        monkeypatch.setenv(name, value)
    handler = runpy.run_path(str(APP / "src" / "app.py"))["handler"]
    event = {
        **rest_event,
        "resource": "/{proxy+}",
        "path": "/ask",
        "pathParameters": {"proxy": "ask"},
        "headers": JSON,
        "multiValueHeaders": {name: [value] for name, value in JSON.items()},
        "requestContext": {**rest_event["requestContext"], "path": "/Prod/ask", "stage": "Prod"},
        "body": _ask_body(message),
        "isBase64Encoded": False,
    }
    answer = handler(event, None)
    assert answer["statusCode"] == 200
    assert answer["headers"]["content-type"] == "text/event-stream; charset=utf-8"
    assert answer["body"].encode() == streamed
