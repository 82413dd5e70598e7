"""The reference app's OpenAI routes through the official ``openai`` Python SDK.

``openai.OpenAI(base_url=<stage>/v1, api_key=<the usage plan's key>)``, unchanged, against
both APIs of the local stack: the SDK sends the key as ``Authorization: Bearer``, which the
app's authorizer accepts, and parses every answer with its own code. Each text is checked
against what the Bedrock emulator generated for that request.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bedrock_stream.local.bedrock.faults import StreamFault
from bedrock_stream.local.stack import LocalStack

openai = pytest.importorskip("openai")
pytest.importorskip("bedrock_stream.chat_completions")  # the OpenAI route's protocol

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the local Lambda service is POSIX")

SAM_APP = Path(__file__).parents[2] / "examples" / "sam-app"
# The app's behaviour, not its metering: every request of this module gets through.
UNMETERED = {"KeyRateLimit": "1000", "KeyBurstLimit": "1000", "QuotaPerDay": "100000"}
MODEL = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
# Room for Claude's smallest thinking budget (1024) below the output cap.
PARAMETERS = {**UNMETERED, "StreamingMaxTokens": "4096", "BufferedMaxTokens": "2048"}
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(SAM_APP / "template.yaml", port=0, speed=0, parameters=PARAMETERS) as running:
        yield running


OPENED: list[Any] = []
"""The clients a test made; closed after it, so that no connection outlives its test."""


@pytest.fixture(autouse=True)
def no_faults_or_clients_left(stack: LocalStack) -> Iterator[None]:
    yield
    stack.bedrock.faults.clear()
    while OPENED:
        OPENED.pop().close()


def _client(stack: LocalStack, api: str, *, key: str | None = None, **options: Any) -> Any:
    """An OpenAI client whose base_url is the API's stage URL plus ``/v1``."""
    stage = stack.endpoint(api).url.rsplit("/ask", 1)[0]
    key = stack.api_keys["ApiKey"] if key is None else key
    client = openai.OpenAI(base_url=f"{stage}/v1", api_key=key, max_retries=0, **options)
    OPENED.append(client)
    return client


@pytest.fixture(params=["StreamingApi", "NonStreamingApi"])
def api(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client(api: str, stack: LocalStack) -> Any:
    return _client(stack, api)


def _record(stack: LocalStack, message: str) -> Any:
    """The emulator's record of the last request whose last user turn says ``message``."""
    for record in reversed(stack.bedrock.requests):
        users = [m for m in (record.body or {}).get("messages", []) if m["role"] == "user"]
        if users and message in json.dumps(users[-1]):
            return record
    raise AssertionError(f"Bedrock never saw {message!r}")


def _ask(message: str) -> list[dict[str, Any]]:
    return [{"role": "system", "content": "Be brief."}, {"role": "user", "content": message}]


def test_a_streamed_completion_is_the_emulators_text(
    client: Any, stack: LocalStack, api: str
) -> None:
    message = "How do rivers shape valleys?"
    stream = client.chat.completions.create(model=MODEL, messages=_ask(message), stream=True)
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    record = _record(stack, message)
    assert text == record.text
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    pieces = sum(1 for c in chunks if c.choices and c.choices[0].delta.content)
    assert pieces > 1 if api == "StreamingApi" else pieces == 1  # buffered: one whole reply
    assert record.body["system"] == [{"text": "Be brief."}]


def test_a_whole_completion_is_the_emulators_text(client: Any, stack: LocalStack) -> None:
    message = "Describe a lighthouse."
    completion = client.chat.completions.create(model=MODEL, messages=_ask(message))
    record = _record(stack, message)
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.content == record.text
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.prompt_tokens == record.input_tokens
    assert completion.usage.completion_tokens == record.output_tokens


def test_the_usage_chunk_comes_last_when_asked(client: Any, stack: LocalStack) -> None:
    message = "Count to five."
    stream = client.chat.completions.create(
        model=MODEL,
        messages=_ask(message),
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    record = _record(stack, message)
    assert chunks[-1].choices == []
    assert chunks[-1].usage.prompt_tokens == record.input_tokens
    assert chunks[-1].usage.completion_tokens == record.output_tokens
    assert all(c.usage is None for c in chunks[:-1])


@pytest.mark.parametrize("stream", [True, False])
def test_a_tool_call_parses_and_its_round_trip_completes(
    client: Any, stack: LocalStack, stream: bool
) -> None:
    message = "get_weather for city=Lisbon"
    messages: list[Any] = [{"role": "user", "content": message}]
    if stream:
        with client.chat.completions.stream(
            model=MODEL, messages=messages, tools=[WEATHER]
        ) as events:
            completion = events.get_final_completion()
    else:
        completion = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER])
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Lisbon"}

    messages += [
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "Sunny, 24 degrees"},
    ]
    final = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER])
    text = final.choices[0].message.content
    assert text.startswith("The get_weather tool returned: Sunny, 24 degrees")
    assert text == stack.bedrock.requests[-1].text


def test_reasoning_streams_as_reasoning_content(stack: LocalStack) -> None:
    client = _client(stack, "StreamingApi")
    message = "Why is the sky blue?"
    stream = client.chat.completions.create(
        model=MODEL,
        messages=_ask(message),
        stream=True,
        reasoning_effort="low",
        max_tokens=4096,
    )
    chunks = [c for c in stream if c.choices]
    reasoning = [(c.choices[0].delta.model_extra or {}).get("reasoning_content") for c in chunks]
    deltas = [piece for piece in reasoning if piece]
    assert len(deltas) > 1, "reasoning arrives in pieces"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == _record(stack, message).text
    first_text = next(i for i, c in enumerate(chunks) if c.choices[0].delta.content)
    assert max(i for i, piece in enumerate(reasoning) if piece) < first_text


def test_a_fault_mid_stream_makes_the_sdk_raise(stack: LocalStack) -> None:
    client = _client(stack, "StreamingApi")
    message = "break this answer midway"
    stack.bedrock.faults.add(StreamFault(event="text", nth=3), prompt=message)
    stream = client.chat.completions.create(model=MODEL, messages=_ask(message), stream=True)
    received: list[str] = []

    def read() -> None:
        for chunk in stream:
            received.append(chunk.choices[0].delta.content or "" if chunk.choices else "")

    with pytest.raises(openai.APIError) as raised:
        read()
    assert "".join(received), "some text arrived before the failure"
    assert "the model could not answer" in str(raised.value)


def test_a_fault_before_the_first_byte_is_a_502_on_either_api(
    client: Any, stack: LocalStack
) -> None:
    message = "fail at once"
    spec = "error; status=500; code=InternalServerException"
    stack.bedrock.faults.add(spec, prompt=message, times=None)  # retried, and still failing
    with pytest.raises(openai.InternalServerError) as raised:
        client.chat.completions.create(model=MODEL, messages=_ask(message), stream=True)
    assert raised.value.status_code == 502
    assert raised.value.body["message"] == "the model could not answer; try again later"


def test_the_models_route_lists_what_the_app_serves(client: Any) -> None:
    assert [model.id for model in client.models.list()] == [MODEL]


def test_an_unknown_model_is_openais_404(client: Any, stack: LocalStack) -> None:
    calls = len(stack.bedrock.requests)
    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(model="gpt-4o", messages=_ask("hi"))
    assert raised.value.code == "model_not_found"
    assert len(stack.bedrock.requests) == calls


def test_more_output_tokens_than_the_app_allows_is_a_400(stack: LocalStack) -> None:
    client = _client(stack, "NonStreamingApi")
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model=MODEL, messages=_ask("hi"), max_tokens=100_000)
    assert raised.value.param == "max_tokens"


def test_a_key_not_in_the_usage_plan_is_refused(stack: LocalStack) -> None:
    stranger = _client(stack, "StreamingApi", key="not-a-key-" * 3)
    with pytest.raises(openai.PermissionDeniedError):
        stranger.chat.completions.create(model=MODEL, messages=_ask("hi"))


def test_the_docs_openai_client_sample_streams_an_answer(stack: LocalStack) -> None:
    """docs/examples/reference_app/openai_client.py, run as a user runs it, against the stack."""
    import subprocess
    import sys

    sample = Path(__file__).parents[2] / "docs" / "examples" / "reference_app" / "openai_client.py"
    stage = stack.endpoint("StreamingApi").url.rsplit("/ask", 1)[0]
    env = {**os.environ, "STREAMING_OPENAI_BASE_URL": f"{stage}/v1"}
    env["API_KEY"] = stack.api_keys["ApiKey"]
    done = subprocess.run(
        [sys.executable, str(sample)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    record = _record(stack, "Explain response streaming in three sentences")
    assert done.stdout == record.text


def test_reasoning_without_room_for_claudes_smallest_budget_is_a_400(
    client: Any, stack: LocalStack
) -> None:
    calls = len(stack.bedrock.requests)
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(
            model=MODEL, messages=_ask("hi"), reasoning_effort="low", max_tokens=800
        )
    assert raised.value.param == "reasoning_effort"
    assert len(stack.bedrock.requests) == calls  # refused before any call


def test_a_request_bedrock_refuses_as_invalid_is_a_400_not_a_retryable_5xx(
    client: Any, stack: LocalStack
) -> None:
    orphan = [  # a tool result that answers no tool call: Bedrock's ValidationException
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Hello"},
        {"role": "tool", "tool_call_id": "call_nowhere", "content": "42"},
    ]
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model=MODEL, messages=orphan)
    assert raised.value.status_code == 400
    assert "call_nowhere" not in str(raised.value)  # Bedrock's own words stay in the log
