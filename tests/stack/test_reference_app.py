"""The reference app (examples/sam-app) on the local stack, with the Bedrock emulator.

Client -> API Gateway (STREAM or BUFFERED) -> the app's Lambda process -> boto3 ->
the Bedrock emulator, every hop on a real socket. Each answer is checked byte for byte
against the text the emulator recorded for that request, and each fault the emulator
can inject is driven through the whole chain to what the client sees.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from stack_calls import call

from bedrock_stream.local.bedrock.faults import Guardrail, Stall, StreamFault, throttling
from bedrock_stream.local.stack import LocalStack

ROOT = Path(__file__).parents[2]
SAM_APP = ROOT / "examples" / "sam-app"
EVENTS_FORM = ROOT / "tests" / "data" / "templates" / "events-form.yaml"

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the local Lambda service is POSIX")


ORIGIN = "https://app.example"
# The app's behaviour, not its metering (tests/stack/test_secure_defaults.py has that): the
# key's throttle and quota are raised so that every request of this module gets through.
UNMETERED = {"KeyRateLimit": "1000", "KeyBurstLimit": "1000", "QuotaPerDay": "100000"}


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    parameters = {**UNMETERED, "AllowedOrigin": ORIGIN}
    with LocalStack(SAM_APP / "template.yaml", port=0, speed=0, parameters=parameters) as running:
        yield running


@pytest.fixture(autouse=True)
def no_faults_left(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "stack" in request.fixturenames:
        request.getfixturevalue("stack").bedrock.faults.clear()


def _ask(
    stack: LocalStack, url: str, message: str, **headers: str
) -> contextlib.AbstractContextManager[http.client.HTTPResponse]:
    """POST ``message`` to ``url`` with the stack's API key, as the app's clients do."""
    body = json.dumps({"message": message})
    return call(stack, url, "POST", body, {"Content-Type": "application/json", **headers})


def _urls(stack: LocalStack) -> tuple[str, str]:
    return stack.endpoint("StreamingApi").url, stack.endpoint("NonStreamingApi").url


def _answer(stack: LocalStack, message: str) -> Any:
    """The emulator's record of the last request carrying ``message``."""
    for record in reversed(stack.bedrock.requests):
        if message in json.dumps(record.body):
            return record
    raise AssertionError(f"Bedrock never saw {message!r}")


def test_both_apis_return_the_emulators_text_byte_for_byte(stack: LocalStack) -> None:
    streaming, buffered = _urls(stack)
    with _ask(stack, streaming, "How do rivers shape valleys?") as response:
        assert response.status == 200
        assert response.getheader("Transfer-Encoding") == "chunked"
        streamed = response.read()
    record = _answer(stack, "How do rivers shape valleys?")
    assert record.operation == "converse-stream"
    assert streamed == record.text.encode()
    with _ask(stack, buffered, "How do rivers shape valleys?") as response:
        assert response.status == 200
        assert response.getheader("Content-Length") == str(len(streamed))
        assert response.read() == streamed  # deterministic: the same prompt, the same text
    assert _answer(stack, "How do rivers shape valleys?").operation == "converse"


def test_with_snapstart_both_apis_answer_with_the_endpoints_credentials() -> None:
    # SnapStart functions have no key variables: boto3 in the app finds the local service's
    # container credentials endpoint, and its signed request carries that session token.
    parameters = {**UNMETERED, "SnapStart": "true"}
    with LocalStack(SAM_APP / "template.yaml", port=0, speed=0, parameters=parameters) as running:
        for function in ("StreamingFunction", "BufferedFunction"):
            assert running.template.functions[function].snap_start
        for url in _urls(running):
            with _ask(running, url, "What does a snapshot keep?") as response:
                assert response.status == 200
                assert (
                    response.read() == _answer(running, "What does a snapshot keep?").text.encode()
                )
            record = _answer(running, "What does a snapshot keep?")
            headers = {name.lower(): value for name, value in record.headers}
            assert headers["x-amz-security-token"] == "local"


def test_server_sent_events_carry_the_same_text(stack: LocalStack) -> None:
    streaming, _ = _urls(stack)
    with _ask(stack, streaming, "Describe a lighthouse.", Accept="text/event-stream") as response:
        assert response.getheader("Content-Type").startswith("text/event-stream")
        body = response.read().decode()
    assert body.endswith("\n\n")
    events = body[:-2].split("\n\n")  # one event per token, as the SSE spec frames them
    text = "".join(
        "\n".join(line[len("data: ") :] for line in event.split("\n") if line.startswith("data: "))
        for event in events
    )
    assert text == _answer(stack, "Describe a lighthouse.").text
    assert "event: error" not in body


def test_a_bad_request_gets_a_400_naming_the_problem(stack: LocalStack) -> None:
    for url in _urls(stack):
        with _ask(stack, url, "   ") as response:
            assert response.status == 400
            error = json.loads(response.read())
            assert error["message"] == "'message' must be a non-empty string"


def test_one_throttle_before_the_first_token_is_retried_invisibly(stack: LocalStack) -> None:
    for mode, url in zip(("streaming", "buffered"), _urls(stack), strict=True):
        prompt = f"retry me, {mode}"
        stack.bedrock.faults.add(throttling(), prompt=prompt, times=1)
        with _ask(stack, url, prompt) as response:
            assert response.status == 200
            body = response.read()
        assert body == _answer(stack, prompt).text.encode()
        outcomes = [r.outcome for r in stack.bedrock.requests if prompt in json.dumps(r.body)]
        assert outcomes == ["error", "ok"]


def test_persistent_throttling_becomes_a_429_before_any_byte(stack: LocalStack) -> None:
    for url in _urls(stack):
        stack.bedrock.faults.add(throttling(), prompt="always busy", times=None)
        with _ask(stack, url, "always busy") as response:
            assert response.status == 429
            assert response.getheader("Retry-After") == "2"
            error = json.loads(response.read())
            assert error["message"] == "the model is busy; try again shortly"
        stack.bedrock.faults.clear()


def test_a_model_error_mid_stream_truncates_the_stream_never_completes_it(
    stack: LocalStack,
) -> None:
    streaming, buffered = _urls(stack)
    stack.bedrock.faults.add(StreamFault(after_tokens=5), prompt="break midway", times=None)
    with _ask(stack, streaming, "break midway") as response:
        assert response.status == 200  # committed with the first token
        with pytest.raises(http.client.IncompleteRead) as cut:
            response.read()
    record = _answer(stack, "break midway")
    assert record.outcome == "exception"
    assert record.text.encode().startswith(cut.value.partial)
    assert len(cut.value.partial) < len(record.text.encode())
    with _ask(stack, buffered, "break midway") as response:
        assert response.status == 502  # buffered: nothing was sent, so an honest error
        error = json.loads(response.read())
        assert error["message"] == "the model could not answer; try again later"


def test_a_guardrail_intervention_ends_the_answer_with_its_message(stack: LocalStack) -> None:
    streaming, _ = _urls(stack)
    stack.bedrock.faults.add(Guardrail(after_tokens=3, message="Blocked."), prompt="guard this")
    with _ask(stack, streaming, "guard this") as response:
        assert response.status == 200
        body = response.read()
    assert body.endswith(b"Blocked.")
    assert _answer(stack, "guard this").stop == "guardrail_intervened"


def test_a_short_stall_delays_but_does_not_break_the_answer(stack: LocalStack) -> None:
    streaming, _ = _urls(stack)
    stack.bedrock.faults.add(Stall(after_tokens=2, seconds=0.3), prompt="pause a moment")
    with _ask(stack, streaming, "pause a moment") as response:
        body = response.read()
    assert body == _answer(stack, "pause a moment").text.encode()


@pytest.mark.parametrize("fault", ["truncate; after=4", "disconnect; after=4"])
def test_a_cut_bedrock_stream_is_reported_as_failed(stack: LocalStack, fault: str) -> None:
    streaming, _ = _urls(stack)
    prompt = f"cut short by {fault.split(';')[0]}"
    stack.bedrock.faults.add(fault, prompt=prompt)
    with _ask(stack, streaming, prompt) as response:
        assert response.status == 200
        with pytest.raises(http.client.IncompleteRead):
            response.read()


def test_the_api_event_form_streams_too(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(SAM_APP / "src", app / "src")
    shutil.copy(EVENTS_FORM, app / "template.yaml")
    with LocalStack(app / "template.yaml", port=0, speed=0) as stack:
        endpoint = stack.endpoint("StreamingApi")
        assert endpoint.streaming
        with _ask(stack, endpoint.url, "Why are leaves green?") as response:
            assert response.getheader("Transfer-Encoding") == "chunked"
            body = response.read()
        assert body == _answer(stack, "Why are leaves green?").text.encode()
        url = stack.endpoint("StreamingFunction", "function-url").url
        with _ask(stack, url + "ask", "Why are leaves green?") as response:
            assert response.read() == body


def test_cors_preflight_is_answered_by_the_gateway(stack: LocalStack) -> None:
    parts = urlsplit(stack.endpoint("StreamingApi").url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=30)
    try:
        connection.request(
            "OPTIONS",
            parts.path,
            headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
        )
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    assert response.status == 200
    assert response.getheader("Access-Control-Allow-Origin") == ORIGIN
    assert "POST" in response.getheader("Access-Control-Allow-Methods", "")
    assert "Content-Type" in response.getheader("Access-Control-Allow-Headers", "")


def test_a_request_body_over_10_mb_is_refused_before_the_function(stack: LocalStack) -> None:
    parts = urlsplit(stack.endpoint("NonStreamingApi").url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=30)
    calls = len(stack.bedrock.requests)
    try:
        connection.request("POST", parts.path, body=b"x" * (10 * 1024 * 1024 + 1))
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status == 413
    assert json.loads(body) == {"message": "Request Too Long"}
    assert len(stack.bedrock.requests) == calls


def test_errors_api_gateway_generates_carry_the_cors_header(stack: LocalStack) -> None:
    base = stack.endpoint("StreamingApi").url.rsplit("/Prod/", 1)[0]
    with _ask(stack, base + "/Prod/nowhere", "hi") as response:  # 403 from the gateway itself
        assert response.status == 403
        assert response.getheader("Access-Control-Allow-Origin") == ORIGIN
        assert json.loads(response.read()) == {"message": "Missing Authentication Token"}


def test_throttling_after_the_first_token_is_not_retried_and_cuts_the_stream(
    stack: LocalStack,
) -> None:
    streaming, _ = _urls(stack)
    throttled_late = StreamFault("throttlingException", after_tokens=4)
    stack.bedrock.faults.add(throttled_late, prompt="throttle me late")
    with _ask(stack, streaming, "throttle me late") as response:
        assert response.status == 200
        with pytest.raises(http.client.IncompleteRead):
            response.read()
    tries = [r for r in stack.bedrock.requests if "throttle me late" in json.dumps(r.body)]
    assert [r.outcome for r in tries] == ["exception"]  # one try: text had gone out already
