"""The reference app's handler: answers, bad input, Bedrock failures, in both modes.

Bedrock is a loopback server replaying recorded responses to a real boto3 client.
"""

from __future__ import annotations

import base64
import json
from types import ModuleType
from typing import Any

import pytest
from app_loader import load_app as import_app
from bedrock_replay import (
    Server,
    converse_frame,
    error_reply,
    exception_frame,
    load_recording,
    reply_for,
    stream_reply,
)

from bedrock_stream.bedrock import ModelStreamError, RetryPolicy
from bedrock_stream.testing import LambdaContextStub, invoke_streaming

STREAM = "openllmetry-nova-converse-stream.json"
BUFFERED = "openllmetry-nova-converse.json"


def load_app(bedrock_client: Any) -> ModuleType:
    """Import the app afresh (it reads its settings from the environment at import)."""
    module = import_app()
    module.BEDROCK = bedrock_client  # a real boto3 client, pointed at the replay server
    module.RETRY = RetryPolicy(max_attempts=1)
    return module


@pytest.fixture
def app(bedrock_client: Any) -> ModuleType:
    return load_app(bedrock_client)


def ask(
    body: Any,
    *,
    accept: str | None = None,
    raw: str | None = None,
    content_type: str | None = "application/json",
) -> dict[str, Any]:
    headers = {} if content_type is None else {"Content-Type": content_type}
    if accept:
        headers["Accept"] = accept
    return {
        "httpMethod": "POST",
        "path": "/ask",
        "headers": headers,
        "requestContext": {"requestId": "r-1", "stage": "Prod"},
        "body": raw if raw is not None else json.dumps(body),
        "isBase64Encoded": False,
    }


def test_streaming_relays_the_recorded_answer_token_by_token(app: Any, bedrock: Server) -> None:
    fixture = load_recording(STREAM)
    bedrock.replies.append(reply_for(fixture))
    result = invoke_streaming(app.handler, ask({"message": "Tokyo is the capital of?"}))
    assert result.error is None
    assert result.prelude is not None and result.prelude.status_code == 200
    assert result.prelude.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert result.body.decode() == fixture["expected_text"]
    assert len(result.writes) > 2, "the answer arrived in several writes"
    path, request = bedrock.requests[0]
    assert path.endswith("/converse-stream")
    assert request["messages"][0]["content"][0]["text"] == "Tokyo is the capital of?"
    assert request["inferenceConfig"]["maxTokens"] == app.MAX_TOKENS


def test_buffered_uses_one_converse_call(app: Any, bedrock: Server) -> None:
    fixture = load_recording(BUFFERED)
    bedrock.replies.append(reply_for(fixture))
    response = app.handler(ask({"prompt": "Tokyo is the capital of?"}), LambdaContextStub())
    assert response["statusCode"] == 200
    assert response["body"] == fixture["expected_text"]
    assert bedrock.requests[0][0].endswith("/converse")


def test_sse_when_the_client_accepts_it(app: Any, bedrock: Server) -> None:
    fixture = load_recording(STREAM)
    bedrock.replies.append(reply_for(fixture))
    result = invoke_streaming(app.handler, ask({"message": "hi"}, accept="text/event-stream"))
    assert result.prelude is not None
    assert result.prelude.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    events = [e for e in result.body.decode().split("\n\n") if e]
    data = [
        "\n".join(line[6:] for line in e.split("\n") if line.startswith("data: ")) for e in events
    ]
    assert "".join(data) == fixture["expected_text"]


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (ask(None, raw="{not json"), "must be JSON"),
        (ask(["message"]), "JSON object"),
        (ask({}), "non-empty string"),
        (ask({"message": "   "}), "non-empty string"),
        (ask({"message": 42}), "non-empty string"),
        (ask({"message": "x" * 2001}), "longer than 2000"),
        (
            {**ask(None, raw=base64.b64encode(b"\xff\xfe").decode()), "isBase64Encoded": True},
            "UTF-8",
        ),
    ],
)
def test_bad_requests_are_json_400s_in_both_modes(
    app: Any, bedrock: Server, event: dict[str, Any], message: str
) -> None:
    buffered = app.handler(event, LambdaContextStub())
    assert buffered["statusCode"] == 400
    assert message in json.loads(buffered["body"])["message"]
    streamed = invoke_streaming(app.handler, event)
    assert streamed.prelude is not None and streamed.prelude.status_code == 400
    assert message in json.loads(streamed.body)["message"]
    assert bedrock.requests == [], "Bedrock is never called for a bad request"


@pytest.mark.parametrize("streaming", [True, False])
def test_throttling_before_the_first_token_is_429(
    app: Any, bedrock: Server, streaming: bool
) -> None:
    bedrock.replies.append(error_reply(429, "ThrottlingException", "Too many requests"))
    event = ask({"message": "hi"})
    if streaming:
        result = invoke_streaming(app.handler, event)
        assert result.prelude is not None
        status, headers, body = result.prelude.status_code, result.prelude.headers, result.body
    else:
        response = app.handler(event, LambdaContextStub())
        status, headers, body = (
            response["statusCode"],
            response["headers"],
            response["body"].encode(),
        )
    assert status == 429 and headers["Retry-After"] == "2"
    assert json.loads(body)["message"] == "the model is busy; try again shortly"
    assert b"Too many requests" not in body


def test_other_bedrock_failures_are_502_without_internals(app: Any, bedrock: Server) -> None:
    bedrock.replies.append(error_reply(400, "ValidationException", "secret detail"))
    result = invoke_streaming(app.handler, ask({"message": "hi"}))
    assert result.prelude is not None and result.prelude.status_code == 502
    assert b"secret" not in result.body and b"Validation" not in result.body


@pytest.mark.parametrize("accept", [None, "text/event-stream"])
def test_a_model_error_mid_stream_fails_the_stream(
    app: Any, bedrock: Server, accept: str | None
) -> None:
    bedrock.replies.append(
        stream_reply(
            converse_frame("messageStart", {"role": "assistant"}),
            converse_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Par"}}),
            exception_frame("modelStreamErrorException", "the model failed"),
        )
    )
    result = invoke_streaming(app.handler, ask({"message": "hi"}, accept=accept))
    assert isinstance(result.error, ModelStreamError)
    assert result.prelude is not None and result.prelude.status_code == 200
    if accept:
        assert result.body.startswith(b"data: Par\n\n")
        assert b"event: error\n" in result.body, "SSE clients see the failure in-band"
    else:
        assert result.body == b"Par"


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_body_not_declared_json_is_a_415_in_both_modes(
    app: Any, bedrock: Server, content_type: str | None
) -> None:
    # text/plain, form and multipart POSTs are the ones a browser sends cross-site without a
    # preflight: refusing them keeps the CORS check in force.
    event = ask({"message": "hi"}, content_type=content_type)
    buffered = app.handler(event, LambdaContextStub())
    assert buffered["statusCode"] == 415
    assert "application/json" in json.loads(buffered["body"])["message"]
    streamed = invoke_streaming(app.handler, event)
    assert streamed.prelude is not None and streamed.prelude.status_code == 415
    assert bedrock.requests == []


def test_json_with_parameters_is_accepted(app: Any, bedrock: Server) -> None:
    bedrock.replies.append(reply_for(load_recording(BUFFERED)))
    event = ask({"message": "hi"}, content_type="Application/JSON; charset=utf-8")
    assert app.handler(event, LambdaContextStub())["statusCode"] == 200


def test_no_cross_origin_headers_without_an_allowed_origin(app: Any, bedrock: Server) -> None:
    response = app.handler(ask({"message": "x" * 2001}), LambdaContextStub())
    assert response["statusCode"] == 400
    assert not any(name.lower().startswith("access-control") for name in response["headers"])


def test_answers_and_errors_carry_the_configured_origin(
    bedrock_client: Any, bedrock: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALLOWED_ORIGIN", "https://app.example")
    app = load_app(bedrock_client)
    bedrock.replies.append(reply_for(load_recording(STREAM)))
    answered = invoke_streaming(app.handler, ask({"message": "hi"}))
    refused = app.handler(ask({"message": 42}), LambdaContextStub())
    assert answered.prelude is not None and answered.prelude.status_code == 200
    assert answered.prelude.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert refused["statusCode"] == 400
    assert refused["headers"]["Access-Control-Allow-Origin"] == "https://app.example"
