"""The docs page's sample route, streamed and buffered, read by the openai SDK."""

from __future__ import annotations

import json
import re
import runpy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import openai
import pytest
from sdk import client_for

from bedrock_stream.bedrock import client as client_module
from bedrock_stream.bedrock.errors import ModelStreamError, ThrottlingError
from bedrock_stream.bedrock.events import Event, Stop, TextDelta, Usage
from bedrock_stream.bedrock.retry import RetryPolicy
from bedrock_stream.bedrock.streams import ReplyStream
from bedrock_stream.testing import invoke_streaming

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "chat_completions" / "handler.py"
MODEL = "us.anthropic.claude-sonnet-4-20250514-v1:0"
SNIPPET = re.compile(r"<!-- snippet: (?P<path>[^ ]+) -->\n```python\n(?P<code>.*?)```", re.S)


def _events(fail: Exception | None, at: int) -> Iterator[Event]:
    events: list[Event] = [TextDelta("Hel"), TextDelta("lo"), Stop("end_turn", "end_turn")]
    for i, ev in enumerate([*events, Usage(3, 2)]):
        if fail is not None and i == at:
            raise fail
        yield ev


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    state: dict[str, Any] = {"fail": None, "at": 0}

    def fake(messages: Any, *, model_id: str, **options: Any) -> ReplyStream:
        state["messages"] = messages
        return ReplyStream(lambda: _events(state["fail"], state["at"]), RetryPolicy(max_attempts=1))

    monkeypatch.setattr(client_module, "stream_events", fake)
    return state


def _handler() -> Any:
    return runpy.run_path(str(EXAMPLE))["handler"]


def _respond(streaming: bool) -> Any:
    handler = _handler()

    def respond(request: httpx.Request) -> httpx.Response:
        event = {"httpMethod": request.method, "requestContext": {}}
        if request.method == "POST":
            event["body"] = request.content.decode()
        if streaming:
            result = invoke_streaming(handler, event)
            return httpx.Response(result.status or 200, headers=result.headers, content=result.body)
        out = handler(event, None)
        return httpx.Response(out["statusCode"], headers=out["headers"], content=out["body"])

    return respond


MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize("streaming", [True, False])
def test_stream_true_on_both_apis(bedrock: dict[str, Any], streaming: bool) -> None:
    client = client_for(_respond(streaming))
    chunks = list(
        client.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello"
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 5
    assert bedrock["messages"] == [{"role": "user", "content": [{"text": "hi"}]}]


@pytest.mark.parametrize("streaming", [True, False])
def test_stream_false_on_both_apis(bedrock: dict[str, Any], streaming: bool) -> None:
    client = client_for(_respond(streaming))
    result = client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert result.choices[0].message.content == "Hello"
    assert result.choices[0].finish_reason == "stop"


def test_models_list(bedrock: dict[str, Any]) -> None:
    assert [m.id for m in client_for(_respond(True)).models.list()] == [MODEL]


def test_unknown_model_and_bad_field(bedrock: dict[str, Any]) -> None:
    client = client_for(_respond(True))
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nope", messages=MESSAGES)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL, messages=MESSAGES, n=2)
    assert caught.value.param == "n"


def test_throttled_before_the_first_chunk_is_429(bedrock: dict[str, Any]) -> None:
    bedrock["fail"] = ThrottlingError("ThrottlingException: slow")
    client = client_for(_respond(True))
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    assert caught.value.response.headers["retry-after"] == "1"


def test_mid_stream_failure_makes_the_sdk_raise(bedrock: dict[str, Any]) -> None:
    bedrock["fail"], bedrock["at"] = ModelStreamError("boom"), 2
    client = client_for(_respond(True))
    with pytest.raises(openai.APIError):
        list(client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True))


def test_page_snippets_are_the_example_files() -> None:
    page = (ROOT / "docs" / "chat-completions.md").read_text()
    found = SNIPPET.findall(page)
    assert found
    for path, code in found:
        assert (ROOT / path).read_text() == code
    assert json.dumps(found)


def test_an_option_the_model_cannot_take_is_a_400(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "default_client", lambda: None)
    client = client_for(_respond(True))
    with pytest.raises(openai.BadRequestError):  # Claude takes a budget, not an effort
        client.chat.completions.create(model=MODEL, messages=MESSAGES, reasoning_effort="low")


def test_mid_stream_failure_is_an_error_frame_without_done(bedrock: dict[str, Any]) -> None:
    bedrock["fail"], bedrock["at"] = ModelStreamError("secret boom"), 2
    event = {
        "httpMethod": "POST",
        "requestContext": {},
        "body": json.dumps({"model": MODEL, "messages": MESSAGES, "stream": True}),
    }
    result = invoke_streaming(_handler(), event)
    assert isinstance(result.error, ModelStreamError)
    last = result.body.strip().split(b"\n\n")[-1]
    assert json.loads(last.removeprefix(b"data: "))["error"]["type"] == "server_error"
    assert b"[DONE]" not in result.body and b"secret" not in result.body
