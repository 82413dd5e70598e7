"""The docs page's sample route on the Bedrock emulator, read by the openai SDK.

The route runs as API Gateway calls it: a REST proxy event (the local stack's builder), on
the streaming API (a sink attached) and on the buffered one (none). Its Bedrock calls go
through a real boto3 client to the emulator, whose rules (docs/local-bedrock.md) make the
answers known: each is compared with ``complete_reply`` of the same request.
"""

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

from bedrock_stream import HTTPError
from bedrock_stream.bedrock.client import complete_reply
from bedrock_stream.bedrock.errors import ModelStreamError
from bedrock_stream.chat_completions import parse_request
from bedrock_stream.local.deployment import RestApi, Route
from bedrock_stream.local.messages import Request
from bedrock_stream.local.rest_api import Router, buffered_response, proxy_event
from bedrock_stream.testing import invoke_streaming

pytest.importorskip("h11", reason="the emulator needs the local extra")

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "chat_completions" / "handler.py"
CLAUDE = "us.anthropic.claude-sonnet-4-20250514-v1:0"
NOVA2 = "us.amazon.nova-2-lite-v1:0"
SNIPPET = re.compile(r"<!-- snippet: (?P<path>[^ ]+) -->\n```python\n(?P<code>.*?)```", re.S)
ROUTER = Router(
    [
        RestApi(
            "openai",
            "Prod",
            (
                Route("POST", "/v1/chat/completions", "Chat", streaming=True),
                Route("GET", "/v1/models", "Chat"),
            ),
        )
    ]
)
MESSAGES = [{"role": "user", "content": "Why do rivers meander?"}]
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
BOTH = pytest.mark.parametrize("streaming", [True, False], ids=["streaming-api", "buffered-api"])


@pytest.fixture
def handler(bedrock_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("MODELS", f"{CLAUDE},{NOVA2}")
    return runpy.run_path(str(EXAMPLE))["handler"]


def _event(request: httpx.Request) -> dict[str, Any]:
    target = request.url.raw_path.decode()
    match = ROUTER.match(request.method, target)
    assert match is not None, target
    headers = tuple(request.headers.multi_items())
    return proxy_event(Request(request.method, target, headers, request.read()), match)


def _client(handler: Any, streaming: bool) -> openai.OpenAI:
    def respond(request: httpx.Request) -> httpx.Response:
        event = _event(request)
        if streaming:
            result = invoke_streaming(handler, event)
            return httpx.Response(result.status or 200, headers=result.headers, content=result.body)
        out = buffered_response(json.dumps(handler(event, None)).encode())
        return httpx.Response(out.status, headers=list(out.headers), content=out.body)

    return client_for(respond, "http://test/Prod/v1")


def _expected(**body: Any) -> Any:
    """The reply the emulator gives to the Converse request the route makes of ``body``."""
    request = parse_request(body)
    return complete_reply(request.messages, model_id=request.model, **request.options)


def _fold(chunks: Iterator[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"text": "", "reasoning": "", "calls": {}, "finish": None}
    for chunk in chunks:
        out["usage"] = chunk.usage
        for choice in chunk.choices:
            out["text"] += choice.delta.content or ""
            out["reasoning"] += (choice.delta.model_extra or {}).get("reasoning_content") or ""
            for call in choice.delta.tool_calls or []:
                entry = out["calls"].setdefault(call.index, {"id": "", "name": "", "args": ""})
                entry["id"] += call.id or ""
                entry["name"] += call.function.name or ""
                entry["args"] += call.function.arguments or ""
            out["finish"] = choice.finish_reason or out["finish"]
    out["calls"] = [out["calls"][i] for i in sorted(out["calls"])]
    return out


def _ask(client: openai.OpenAI, stream: bool, **body: Any) -> dict[str, Any]:
    """One completion, streamed or not, as text, reasoning, tool calls, finish and usage."""
    if stream:
        options = {"include_usage": True}
        return _fold(client.chat.completions.create(stream=True, stream_options=options, **body))
    result = client.chat.completions.create(**body)
    message = result.choices[0].message
    calls = [
        {"id": c.id, "name": c.function.name, "args": c.function.arguments}
        for c in message.tool_calls or []
    ]
    return {
        "text": message.content or "",
        "reasoning": (message.model_extra or {}).get("reasoning_content") or "",
        "calls": calls,
        "finish": result.choices[0].finish_reason,
        "usage": result.usage,
    }


@BOTH
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
def test_the_text_is_the_emulators(
    handler: Any, bedrock_emulator: Any, streaming: bool, stream: bool
) -> None:
    got = _ask(_client(handler, streaming), stream, model=CLAUDE, messages=MESSAGES)
    sent = bedrock_emulator.requests[-1]
    assert sent.body["messages"] == [
        {"role": "user", "content": [{"text": MESSAGES[0]["content"]}]}
    ]
    want = _expected(model=CLAUDE, messages=MESSAGES)
    assert want.text and got["text"] == want.text
    assert (got["finish"], got["reasoning"], got["calls"]) == ("stop", "", [])
    usage = got["usage"]
    assert (usage.prompt_tokens, usage.completion_tokens) == (
        want.usage.input_tokens,
        want.usage.output_tokens,
    )
    assert usage.total_tokens == want.usage.input_tokens + want.usage.output_tokens


@BOTH
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
def test_a_tool_round_trip(handler: Any, streaming: bool, stream: bool) -> None:
    client = _client(handler, streaming)
    history: list[Any] = [{"role": "user", "content": "Use get_weather for city=Lisbon"}]
    first = _ask(client, stream, model=CLAUDE, messages=history, tools=[WEATHER])
    assert first["finish"] == "tool_calls"
    (call,) = first["calls"]
    assert call["name"] == "get_weather" and json.loads(call["args"]) == {"city": "Lisbon"}
    assert call["id"].startswith("tooluse_")
    history += [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call["id"],
                    "type": "function",
                    "function": {"name": call["name"], "arguments": call["args"]},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call["id"], "content": "Sunny, 24 degrees"},
    ]
    final = _ask(client, stream, model=CLAUDE, messages=history, tools=[WEATHER])
    assert final["finish"] == "stop" and final["calls"] == []
    assert final["text"].startswith("The get_weather tool returned: Sunny, 24 degrees")
    assert final["text"] == _expected(model=CLAUDE, messages=history, tools=[WEATHER]).text


@BOTH
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
def test_reasoning_reaches_the_sdk(handler: Any, streaming: bool, stream: bool) -> None:
    """Nova 2 reasons by an effort on Converse, the route's API: ``reasoning_effort``."""
    body: Any = {"model": NOVA2, "messages": MESSAGES, "reasoning_effort": "low"}
    got = _ask(_client(handler, streaming), stream, **body)
    want = _expected(**body)
    assert want.reasoning_text and got["reasoning"] == want.reasoning_text
    assert got["text"] == want.text


@BOTH
def test_a_fault_mid_stream_makes_the_sdk_raise(
    handler: Any, bedrock_emulator: Any, streaming: bool
) -> None:
    """Streamed, the text sent first is followed by the error frame; buffered, it is a 500."""
    spec = "exception; code=modelStreamErrorException; event=text; nth=2"
    bedrock_emulator.faults.add(spec, operation="converse-stream")
    client = _client(handler, streaming)
    received: list[Any] = []
    with pytest.raises(openai.APIError) as caught:
        received.extend(
            client.chat.completions.create(model=CLAUDE, messages=MESSAGES, stream=True)
        )
    if streaming:
        assert any(c.choices and c.choices[0].delta.content for c in received)  # text first
    else:
        assert isinstance(caught.value, openai.InternalServerError) and received == []
        assert caught.value.type == "server_error"  # OpenAI's error shape, not {"message"}
    assert [r.outcome for r in bedrock_emulator.requests] == ["exception"]  # not retried


def test_a_fault_mid_stream_is_an_error_frame_without_done(
    handler: Any, bedrock_emulator: Any
) -> None:
    spec = "exception; code=modelStreamErrorException; event=text; nth=2; message=secret boom"
    bedrock_emulator.faults.add(spec, operation="converse-stream")
    body = json.dumps({"model": CLAUDE, "messages": MESSAGES, "stream": True}).encode()
    request = httpx.Request("POST", "http://test/Prod/v1/chat/completions", content=body)
    result = invoke_streaming(handler, _event(request))
    assert isinstance(result.error, HTTPError)  # OpenAI-shaped, the model's error its cause
    assert isinstance(result.error.__cause__, ModelStreamError)
    last = result.body.strip().split(b"\n\n")[-1]
    assert json.loads(last.removeprefix(b"data: "))["error"]["type"] == "server_error"
    assert b"[DONE]" not in result.body and b"secret" not in result.body


@BOTH
def test_a_throttle_before_the_first_chunk_is_a_429(
    handler: Any, bedrock_emulator: Any, streaming: bool
) -> None:
    bedrock_emulator.faults.add("throttling", times=None)  # every attempt of the retries
    client = _client(handler, streaming)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model=CLAUDE, messages=MESSAGES, stream=True)
    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "1"
    assert caught.value.code == "rate_limit_exceeded"
    assert {r.outcome for r in bedrock_emulator.requests} == {"error"}


def test_models_list(handler: Any) -> None:
    assert [m.id for m in _client(handler, True).models.list()] == [CLAUDE, NOVA2]


def test_unknown_model_and_bad_field(handler: Any, bedrock_emulator: Any) -> None:
    client = _client(handler, True)
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nope", messages=MESSAGES)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=CLAUDE, messages=MESSAGES, n=2)
    assert caught.value.param == "n"
    assert bedrock_emulator.requests == []


def test_an_option_the_model_cannot_take_is_a_400(handler: Any, bedrock_emulator: Any) -> None:
    client = _client(handler, True)
    with pytest.raises(openai.BadRequestError) as caught:  # Claude takes a budget, not an effort
        client.chat.completions.create(model=CLAUDE, messages=MESSAGES, reasoning_effort="low")
    assert caught.value.code == "unsupported_parameter"
    assert bedrock_emulator.requests == []  # refused before any call


def test_page_snippets_are_the_example_files() -> None:
    page = (ROOT / "docs" / "chat-completions.md").read_text()
    found = SNIPPET.findall(page)
    assert found
    for path, code in found:
        assert (ROOT / path).read_text() == code
    assert json.dumps(found)
