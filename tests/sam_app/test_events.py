"""The sample events in examples/sam-app/events/, through the handler, against the emulator.

Each is invoked as the streaming runtime invokes it (a sink attached) and as the managed
runtime behind the buffered API does (no sink), with the Bedrock emulator answering.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from app_loader import load_app

from bedrock_stream.local.bedrock.server import BedrockEmulator
from bedrock_stream.testing import LambdaContextStub, invoke_streaming

SAM_APP = Path(__file__).parents[2] / "examples" / "sam-app"
EVENTS = SAM_APP / "events"


@pytest.fixture
def app(bedrock_emulator: BedrockEmulator) -> ModuleType:
    return load_app("reference_app_events")


def _event(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return document


def test_every_sample_event_is_covered() -> None:
    assert sorted(p.name for p in EVENTS.glob("*.json")) == [
        "ask-sse.json",
        "ask.json",
        "bad-request.json",
        "chat-completions-stream.json",
        "chat-completions.json",
        "chat.json",
        "models.json",
        "not-json.json",
    ]


def test_ask_streams_the_answer_and_buffers_the_same_text(
    app: ModuleType, bedrock_emulator: BedrockEmulator
) -> None:
    streamed = invoke_streaming(app.handler, _event("ask.json"))
    assert streamed.status == 200
    assert streamed.headers["content-type"] == "text/plain; charset=utf-8"
    assert streamed.body.decode() == bedrock_emulator.requests[-1].text
    buffered = app.handler(_event("ask.json"), LambdaContextStub())
    assert buffered["statusCode"] == 200
    assert buffered["body"] == bedrock_emulator.requests[-1].text


def test_ask_sse_streams_server_sent_events(app: ModuleType) -> None:
    result = invoke_streaming(app.handler, _event("ask-sse.json"))
    assert result.headers["content-type"].startswith("text/event-stream")
    assert result.body.startswith(b"data: ") and result.body.endswith(b"\n\n")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad-request.json", "'message' must be a non-empty string"),
        ("not-json.json", 'the request body must be JSON like {"message": "..."}'),
    ],
)
def test_bad_requests_get_a_400_in_both_modes(
    app: ModuleType, bedrock_emulator: BedrockEmulator, name: str, message: str
) -> None:
    streamed = invoke_streaming(app.handler, _event(name))
    assert streamed.status == 400
    assert json.loads(streamed.body)["message"] == message
    buffered = app.handler(_event(name), LambdaContextStub())
    assert (buffered["statusCode"], json.loads(buffered["body"])["message"]) == (400, message)
    assert bedrock_emulator.requests == []  # rejected before Bedrock was asked


def test_prompts_are_not_logged(
    app: ModuleType, bedrock_emulator: BedrockEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    # INFO: the app's own level, above Lambda's default WARNING (botocore's DEBUG would
    # show request bodies, but nobody gets that without asking for it).
    caplog.set_level(logging.INFO)
    secret = "my-private-question-7f3a"
    event = _event("ask.json")
    event["body"] = json.dumps({"message": secret})
    assert invoke_streaming(app.handler, event).status == 200
    assert app.handler(event, LambdaContextStub())["statusCode"] == 200
    assert caplog.records  # something was logged, the prompt never
    assert secret not in caplog.text


def _both(app: ModuleType, name: str) -> Iterator[tuple[int, dict[str, str], bytes]]:
    """The event's answer from the streaming runtime, then from the managed one."""
    return _answers(app, _event(name))


def _answers(app: ModuleType, event: dict[str, Any]) -> Iterator[tuple[int, dict[str, str], bytes]]:
    """The answer to ``event`` from the streaming runtime, then from the managed one."""
    streamed = invoke_streaming(app.handler, event)
    yield streamed.status, {k.lower(): v for k, v in streamed.headers.items()}, streamed.body
    buffered = app.handler(event, LambdaContextStub())
    headers = {k.lower(): v for k, v in buffered["headers"].items()}
    yield buffered["statusCode"], headers, buffered["body"].encode()


def _data(body: bytes) -> list[str]:
    """The data of each server-sent event."""
    events = body.decode().split("\n\n")
    return [e.removeprefix("data: ") for e in events if e.startswith("data: ")]


def test_models_lists_the_configured_model(app: ModuleType) -> None:
    for status, headers, body in _both(app, "models.json"):
        assert (status, headers["content-type"]) == (200, "application/json")
        listing = json.loads(body)
        assert [m["id"] for m in listing["data"]] == [app.MODEL_ID]


def test_a_chat_completion_is_the_emulators_text(
    app: ModuleType, bedrock_emulator: BedrockEmulator
) -> None:
    pytest.importorskip("bedrock_stream.chat_completions")  # the OpenAI route's protocol
    for status, _, body in _both(app, "chat-completions.json"):
        assert status == 200
        completion = json.loads(body)
        assert completion["object"] == "chat.completion"
        text = completion["choices"][0]["message"]["content"]
        assert text == bedrock_emulator.requests[-1].text


def test_a_streamed_chat_completion_ends_with_usage_and_done(
    app: ModuleType, bedrock_emulator: BedrockEmulator
) -> None:
    pytest.importorskip("bedrock_stream.chat_completions")  # the OpenAI route's protocol
    for status, headers, body in _both(app, "chat-completions-stream.json"):
        assert status == 200 and headers["content-type"].startswith("text/event-stream")
        *chunks, done = _data(body)
        assert done == "[DONE]"
        parsed = [json.loads(chunk) for chunk in chunks]
        text = "".join(
            c["choices"][0]["delta"].get("content") or "" for c in parsed if c["choices"]
        )
        assert text == bedrock_emulator.requests[-1].text
        assert (
            parsed[-1]["usage"]["completion_tokens"] == bedrock_emulator.requests[-1].output_tokens
        )


def test_a_chat_turn_runs_the_calculator_within_the_response(
    app: ModuleType, bedrock_emulator: BedrockEmulator
) -> None:
    for status, headers, body in _both(app, "chat.json"):
        assert status == 200
        assert headers["x-vercel-ai-ui-message-stream"] == "v1"
        *chunks, done = _data(body)
        assert done == "[DONE]"
        parsed = [json.loads(chunk) for chunk in chunks]
        (output,) = [c for c in parsed if c["type"] == "tool-output-available"]
        assert output["output"] in ("42", [{"text": "42"}], {"text": "42"})
        text = "".join(c["delta"] for c in parsed if c["type"] == "text-delta")
        assert text == bedrock_emulator.requests[-1].text
        assert text.startswith("The calculator tool returned: 42")


@pytest.mark.parametrize("stream", [True, False])
def test_an_option_the_model_cannot_take_is_openais_400_in_both_modes(
    bedrock_emulator: BedrockEmulator, monkeypatch: pytest.MonkeyPatch, stream: bool
) -> None:
    model = "us.meta.llama3-2-3b-instruct-v1:0"  # reasons by neither budget nor effort
    monkeypatch.setenv("EXTRA_MODEL_IDS", model)
    app = load_app("reference_app_events")
    event = _event("chat-completions.json")
    body = {**json.loads(event["body"]), "model": model, "reasoning_effort": "low"}
    event["body"] = json.dumps({**body, "stream": stream})
    for status, _, answer in _answers(app, event):
        assert status == 400, answer
        error = json.loads(answer)["error"]
        assert error["message"] == "the model cannot take an option of this request"
        assert error["type"] == "invalid_request_error"
    assert bedrock_emulator.requests == []
