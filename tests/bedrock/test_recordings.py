"""Every recording, replayed byte for byte to a real boto3 client (stream_text, complete_text)."""

from __future__ import annotations

from typing import Any

import pytest
from bedrock_replay import Server, load_recording, recordings, reply_for

from bedrock_stream.bedrock import (
    BedrockError,
    ModelStreamError,
    RetryPolicy,
    ValidationError,
    complete_text,
    stream_text,
)

NO_RETRY = RetryPolicy(max_attempts=1)
API = {
    "InvokeModelWithResponseStream": "invoke",
    "ConverseStream": "converse",
    "InvokeModel": "invoke",
    "Converse": "converse",
}


def _check_usage(usage: Any, expected: dict[str, Any] | None) -> None:
    if expected is None:
        return
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens) == (
        expected["input_tokens"],
        expected["output_tokens"],
    )
    cache_read = expected.get("cacheReadInputTokenCount", expected.get("cacheReadInputTokens"))
    cache_write = expected.get("cacheWriteInputTokenCount", expected.get("cacheWriteInputTokens"))
    if cache_read is not None:
        assert usage.cache_read_tokens == cache_read
    if cache_write is not None:
        assert usage.cache_write_tokens == cache_write


def _check_stop(stop: Any, fixture: dict[str, Any]) -> None:
    assert stop is not None
    assert stop.raw == fixture["expected_stop_reason"]
    chunks = [f.get("inner_chunk_json") or {} for f in fixture["frames"]]
    if any(c.get("amazon-bedrock-guardrailAction") == "INTERVENED" for c in chunks):
        assert stop.reason == "guardrail_intervened"


@pytest.mark.parametrize("name", recordings("InvokeModelWithResponseStream", "ConverseStream"))
def test_stream_text_replays_recording(name: str, server: Server, client: Any) -> None:
    fixture = load_recording(name)
    server.replies.append(reply_for(fixture))
    stream = stream_text(
        "hello",
        model_id=fixture["model_id"],
        api=API[fixture["operation"]],
        client=client,
        retry=NO_RETRY,
    )
    pieces: list[str] = []
    if fixture.get("expected_error"):
        with pytest.raises(ValidationError) as info:
            pieces.extend(stream)
        assert info.value.code.startswith("ValidationException")
        assert pieces == []
        return
    if fixture.get("expected_exception"):
        with pytest.raises(ModelStreamError) as caught:
            pieces.extend(stream)
        assert caught.value.code == fixture["expected_exception"]["type"]
        assert "".join(pieces) == fixture["expected_text"]
        assert stream.stop is None
        return
    pieces.extend(stream)
    assert "".join(pieces) == fixture["expected_text"]
    _check_stop(stream.stop, fixture)
    _check_usage(stream.usage, fixture["expected_usage"])
    if "expected_tool_uses" in fixture:
        assert stream.tool_uses == fixture["expected_tool_uses"]
    if "expected_reasoning_text" in fixture:
        assert stream.reasoning_text == fixture["expected_reasoning_text"]


@pytest.mark.parametrize("name", recordings("InvokeModel", "Converse"))
def test_complete_text_replays_recording(name: str, server: Server, client: Any) -> None:
    fixture = load_recording(name)
    server.replies.append(reply_for(fixture))
    result = complete_text(
        "hello",
        model_id=fixture["model_id"],
        api=API[fixture["operation"]],
        client=client,
        retry=NO_RETRY,
    )
    assert result.text == fixture["expected_text"]
    _check_stop(result.stop, fixture)
    _check_usage(result.usage, fixture["expected_usage"])


def test_every_recording_is_covered() -> None:
    names = recordings("InvokeModelWithResponseStream", "ConverseStream", "InvokeModel", "Converse")
    assert len(names) == 138


def test_errors_never_contain_the_prompt(server: Server, client: Any) -> None:
    fixture = load_recording("otel-python-converse-stream-with-invalid-model.json")
    server.replies.append(reply_for(fixture))
    secret = "my secret prompt 1234"
    with pytest.raises(BedrockError) as info:
        list(stream_text(secret, model_id="does-not-exist", client=client, retry=NO_RETRY))
    assert secret not in str(info.value)


def test_converse_trace_is_exposed(server: Server, client: Any) -> None:
    fixture = load_recording("openllmetry-guardrail-converse-stream.json")
    server.replies.append(reply_for(fixture))
    stream = stream_text("hi", model_id=fixture["model_id"], client=client)
    assert "".join(stream) == fixture["expected_text"]
    assert stream.trace is not None
    assert "guardrail" in stream.trace.data
