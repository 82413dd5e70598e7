"""The Bedrock emulator through a real boto3 client: every family, every operation."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from typing import Any

import pytest

from bedrock_stream.bedrock import (
    ChunkParser,
    TextDelta,
    build_invoke_body,
    complete_text,
    stream_text,
)
from bedrock_stream.bedrock.families import Family
from bedrock_stream.local.bedrock import BedrockEmulator
from bedrock_stream.local.bedrock.model import count_tokens

RECORDINGS = Path(__file__).parents[2] / "data" / "bedrock-recordings"
PROMPT = "Why do lighthouses use a steady light?"

MODELS: dict[Family, str] = {
    "anthropic": "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "amazon-nova": "us.amazon.nova-pro-v1:0",
    "amazon-titan-text": "amazon.titan-text-express-v1",
    "meta-llama": "meta.llama3-8b-instruct-v1:0",
    "mistral": "mistral.mistral-small-2402-v1:0",
    "cohere-command": "cohere.command-text-v14",
    "cohere-command-r": "cohere.command-r-v1:0",
    "openai": "openai.gpt-oss-120b-1:0",
    "ai21-jamba": "ai21.jamba-1-5-mini-v1:0",
    "deepseek": "us.deepseek.r1-v1:0",
}
# The recordings' payload_format of each family's invoke stream (families without one are
# not compared: Jamba, DeepSeek).
RECORDED_FORMAT = {
    "anthropic": "anthropic-messages",
    "amazon-nova": "nova-invoke",
    "amazon-titan-text": "titan-text",
    "meta-llama": "llama",
    "mistral": "mistral-outputs",
    "cohere-command": "cohere-generate",
    "cohere-command-r": "cohere-chat",
    "openai": "openai-chat-completions",
}
_IGNORED = ("amazon-bedrock-trace", "response.chat_history", "amazon-bedrock-guardrailAction")


def key_paths(value: Any, prefix: str = "") -> frozenset[str]:
    """Dotted key paths of a JSON value (lists by their first item)."""
    out: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = prefix + key
            if not path.startswith(_IGNORED):
                out.add(path)
                out |= key_paths(item, path + ".")
    elif isinstance(value, list) and value:
        out |= key_paths(value[0], prefix + "[].")
    return frozenset(out)


def recorded_shapes(operation: str, payload_format: str | None = None) -> set[frozenset[str]]:
    index = json.loads((RECORDINGS / "index.json").read_text())
    shapes: set[frozenset[str]] = set()
    for entry in index:
        if entry["operation"] != operation or entry["http_status"] != 200:
            continue
        if payload_format is not None and entry["payload_format"] != payload_format:
            continue
        for frame in json.loads((RECORDINGS / entry["file"]).read_text())["frames"]:
            if operation == "ConverseStream":
                payload = {k: v for k, v in frame["payload_json"].items() if k != "p"}
                shapes.add(key_paths({frame["headers"][":event-type"]: payload}))
            elif isinstance(frame["inner_chunk_json"], dict):
                shapes.add(key_paths(frame["inner_chunk_json"]))
    return shapes


def invoke_body(family: Family, prompt: str = PROMPT, max_tokens: int = 1000) -> dict[str, Any]:
    body = build_invoke_body(family, prompt, max_tokens=max_tokens)
    if family == "openai":
        body["stream_options"] = {"include_usage": True}
    return body


def raw_chunks(client: Any, family: Family, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.invoke_model_with_response_stream(
        modelId=MODELS[family], body=json.dumps(body)
    )
    assert response["contentType"] == "application/json"
    return [json.loads(event["chunk"]["bytes"]) for event in response["body"]]


def answer_text(emulator: BedrockEmulator, family: Family) -> str:
    """The text a parser yields for the last answer (DeepSeek's reasoning is not text)."""
    text = emulator.requests[-1].text
    assert text is not None
    return text.partition("</think>\n\n")[2] if family == "deepseek" else text


@pytest.mark.parametrize("family", sorted(MODELS))
def test_invoke_stream_decoded_by_botocore_and_our_parsers(
    family: Family, emulator: BedrockEmulator, client: Any
) -> None:
    chunks = raw_chunks(client, family, invoke_body(family))
    record = emulator.requests[-1]
    assert record.outcome == "ok" and record.operation == "invoke-stream"
    parser = ChunkParser(family)
    events = [event for chunk in chunks for event in parser.feed(chunk)]
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == answer_text(emulator, family) and text
    assert "amazon-bedrock-invocationMetrics" in chunks[-1]
    assert all("amazon-bedrock-invocationMetrics" not in c for c in chunks[:-1])

    stream = stream_text(PROMPT, model_id=MODELS[family], api="invoke", client=client)
    assert "".join(stream) == text
    assert stream.stop is not None and stream.stop.reason == "end_turn"
    assert stream.usage is not None and stream.metrics is not None
    assert record.text is not None
    assert stream.usage.output_tokens == count_tokens(record.text) == record.output_tokens
    assert stream.usage.input_tokens == record.input_tokens
    assert stream.metrics.first_byte_latency_ms is not None
    assert stream.metrics.invocation_latency_ms is not None
    assert stream.metrics.first_byte_latency_ms <= stream.metrics.invocation_latency_ms


@pytest.mark.parametrize("family", sorted(RECORDED_FORMAT))
def test_invoke_stream_chunks_have_the_recorded_shapes(family: Family, client: Any) -> None:
    recorded = recorded_shapes("InvokeModelWithResponseStream", RECORDED_FORMAT[family])
    for max_tokens in (1000, 5):  # a natural end and a max-tokens end
        for chunk in raw_chunks(client, family, invoke_body(family, max_tokens=max_tokens)):
            assert key_paths(chunk) in recorded, chunk


def test_legacy_and_buffered_variants_have_the_recorded_shapes(client: Any) -> None:
    legacy = {"prompt": f"\n\nHuman: {PROMPT}\n\nAssistant:", "max_tokens_to_sample": 10}
    response = client.invoke_model_with_response_stream(
        modelId="anthropic.claude-v2", body=json.dumps(legacy)
    )
    recorded = recorded_shapes("InvokeModelWithResponseStream", "anthropic-text-completions")
    chunks = [json.loads(e["chunk"]["bytes"]) for e in response["body"]]
    assert all(key_paths(c) in recorded for c in chunks)
    assert chunks[-1]["stop_reason"] == "max_tokens"

    body = {"prompt": PROMPT, "max_tokens": 50}  # no "stream": true: one buffered chunk
    chunks = raw_chunks(client, "cohere-command", body)
    assert len(chunks) == 1 and "generations" in chunks[0]
    assert key_paths(chunks[0]) in recorded_shapes(
        "InvokeModelWithResponseStream", "cohere-generate"
    )


@pytest.mark.parametrize("family", sorted(MODELS))
def test_converse_stream_events_text_and_shapes(
    family: Family, emulator: BedrockEmulator, client: Any
) -> None:
    recorded = recorded_shapes("ConverseStream")
    response = client.converse_stream(
        modelId=MODELS[family],
        messages=[{"role": "user", "content": [{"text": PROMPT}]}],
        inferenceConfig={"maxTokens": 1000},
    )
    events = list(response["stream"])
    assert [next(iter(e)) for e in events[:1]] == ["messageStart"]
    assert [next(iter(e)) for e in events[-3:]] == ["contentBlockStop", "messageStop", "metadata"]
    for event in events:
        assert key_paths(event) in recorded, event
    text = "".join(
        e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e
    )
    assert text == emulator.requests[-1].text
    usage = events[-1]["metadata"]["usage"]
    assert usage["outputTokens"] == count_tokens(text)
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]

    stream = stream_text(PROMPT, model_id=MODELS[family], client=client)
    assert "".join(stream) == text
    assert stream.stop is not None and stream.stop.raw == "end_turn"


@pytest.mark.parametrize("family", sorted(MODELS))
def test_buffered_operations_give_the_streamed_answers(
    family: Family, emulator: BedrockEmulator, client: Any
) -> None:
    streamed = "".join(stream_text(PROMPT, model_id=MODELS[family], api="invoke", client=client))
    whole = complete_text(PROMPT, model_id=MODELS[family], api="invoke", client=client)
    assert whole.text == streamed
    assert (
        whole.usage is not None and whole.usage.output_tokens == emulator.requests[-1].output_tokens
    )
    assert whole.metrics is not None and whole.metrics.invocation_latency_ms is not None

    streamed = "".join(stream_text(PROMPT, model_id=MODELS[family], client=client))
    whole = complete_text(PROMPT, model_id=MODELS[family], client=client)
    assert whole.text == streamed and whole.stop.raw == "end_turn"
    assert whole.usage is not None and whole.usage.output_tokens == count_tokens(streamed)


def test_invoke_model_headers_and_body(client: Any) -> None:
    response = client.invoke_model(
        modelId=MODELS["anthropic"], body=json.dumps(invoke_body("anthropic"))
    )
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    body = json.loads(response["body"].read())
    assert response["contentType"] == "application/json"
    assert body["type"] == "message" and body["id"].startswith("msg_bdrk_")
    assert body["model"] == "claude-sonnet-4-5-20250929"
    assert int(headers["x-amzn-bedrock-output-token-count"]) == body["usage"]["output_tokens"]
    assert int(headers["x-amzn-bedrock-input-token-count"]) == body["usage"]["input_tokens"]
    assert int(headers["x-amzn-bedrock-invocation-latency"]) > 0
    assert headers["x-amzn-requestid"]


def test_same_request_same_answer_different_prompt_different_answer(client: Any) -> None:
    body = invoke_body("anthropic")
    first, second = raw_chunks(client, "anthropic", body), raw_chunks(client, "anthropic", body)
    assert first == second
    texts = {
        "".join(stream_text(f"{PROMPT} ({n})", model_id=MODELS["meta-llama"], client=client))
        for n in range(6)
    }
    assert len(texts) >= 5


@pytest.mark.parametrize("family", sorted(MODELS))
def test_max_tokens_is_respected(family: Family, emulator: BedrockEmulator, client: Any) -> None:
    stream = stream_text(PROMPT, model_id=MODELS[family], api="invoke", client=client, max_tokens=7)
    text = "".join(stream)
    assert stream.stop is not None and stream.stop.reason == "max_tokens"
    assert stream.usage is not None and stream.usage.output_tokens == 7
    assert emulator.requests[-1].output_tokens == 7
    if family != "deepseek":  # DeepSeek spends its budget thinking first
        assert count_tokens(text) == 7

    converse = stream_text(PROMPT, model_id=MODELS[family], client=client, max_tokens=7)
    assert count_tokens("".join(converse)) == 7
    assert converse.stop is not None and converse.stop.raw == "max_tokens"


def test_stop_sequences(client: Any, emulator: BedrockEmulator) -> None:
    whole = "".join(stream_text(PROMPT, model_id=MODELS["anthropic"], client=client))
    word = whole.split()[4]
    stream = stream_text(PROMPT, model_id=MODELS["anthropic"], client=client, stop_sequences=[word])
    text = "".join(stream)
    assert whole.startswith(text) and word not in text
    assert stream.stop is not None and stream.stop.raw == "stop_sequence"
    titan = stream_text(
        PROMPT,
        model_id=MODELS["amazon-titan-text"],
        api="invoke",
        client=client,
        stop_sequences=["."],
    )
    assert "." not in "".join(titan)
    assert titan.stop is not None and titan.stop.raw == "STOP_CRITERIA_MET"


def test_model_ids_as_arns_and_percent_encoded_profiles(
    client: Any, emulator: BedrockEmulator
) -> None:
    arn = "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"
    profile_arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0"
    for model_id in (arn, profile_arn, "us.amazon.nova-pro-v1:0"):
        assert "".join(stream_text(PROMPT, model_id=model_id, client=client))
        assert emulator.requests[-1].model_id == model_id


def test_wire_frames_headers_and_padding(emulator: BedrockEmulator) -> None:
    from botocore.eventstream import EventStreamBuffer

    def post(path: str, body: dict[str, Any]) -> tuple[http.client.HTTPResponse, list[Any]]:
        conn = http.client.HTTPConnection(emulator.host, emulator.port, timeout=10)
        headers = {"Content-Type": "application/json", "Authorization": "Bearer local-key"}
        conn.request("POST", path, json.dumps(body), headers)
        response = conn.getresponse()
        buffer = EventStreamBuffer()
        buffer.add_data(response.read())
        conn.close()
        return response, list(buffer)

    model = "anthropic.claude-3-haiku-20240307-v1%3A0"
    response, messages = post(
        f"/model/{model}/invoke-with-response-stream", invoke_body("anthropic")
    )
    assert response.getheader("Content-Type") == "application/vnd.amazon.eventstream"
    assert response.getheader("Transfer-Encoding") == "chunked"
    assert response.getheader("X-Amzn-Bedrock-Content-Type") == "application/json"
    for message in messages:
        assert list(message.headers) == [":event-type", ":content-type", ":message-type"]
        payload = json.loads(message.payload)
        assert list(payload) == ["bytes", "p"]
        assert "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".startswith(
            payload["p"]
        )
        assert 2 <= len(payload["p"]) <= 61

    converse = {"messages": [{"role": "user", "content": [{"text": PROMPT}]}]}
    response, messages = post(f"/model/{model}/converse-stream", converse)
    assert response.getheader("X-Amzn-Bedrock-Content-Type") is None
    for message in messages:
        payload = json.loads(message.payload)
        assert list(payload) == sorted(payload) and "p" in payload


def test_endpoint_from_the_standard_environment_variable(
    emulator: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    for name, value in {
        **emulator.env(),
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("bedrock-runtime")
    try:
        assert "".join(stream_text(PROMPT, model_id=MODELS["amazon-nova"], client=client))
    finally:
        client.close()
    assert emulator.requests[-1].outcome == "ok"
