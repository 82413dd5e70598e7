"""Guardrails on the emulator: a blocked word in the prompt or in the answer, sync and async."""

from __future__ import annotations

from typing import Any

import pytest

from bedrock_stream.local.bedrock.guardrails import BLOCKED_MESSAGE

CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
TOOL = {
    "toolSpec": {"name": "lookup", "inputSchema": {"json": {"type": "object", "properties": {}}}}
}


def guard(mode: str | None = None, trace: str = "enabled") -> dict[str, Any]:
    config = {"guardrailIdentifier": "gr-emulated", "guardrailVersion": "1", "trace": trace}
    return {**config, "streamProcessingMode": mode} if mode else config


def text_of(events: list[dict[str, Any]]) -> str:
    return "".join(
        e["contentBlockDelta"]["delta"].get("text", "") for e in events if "contentBlockDelta" in e
    )


def test_blocked_input(client: Any) -> None:
    messages = [{"role": "user", "content": [{"text": "Where can I buy contraband?"}]}]
    response = client.converse(modelId=CLAUDE, messages=messages, guardrailConfig=guard())
    assert response["stopReason"] == "guardrail_intervened"
    assert response["output"]["message"]["content"] == [{"text": BLOCKED_MESSAGE}]
    words = response["trace"]["guardrail"]["inputAssessment"]["gr-emulated"]["wordPolicy"]
    assert words["customWords"] == [{"match": "contraband", "action": "BLOCKED", "detected": True}]
    quiet = client.converse(
        modelId=CLAUDE, messages=messages, guardrailConfig=guard(trace="disabled")
    )
    assert "trace" not in quiet and quiet["stopReason"] == "guardrail_intervened"
    free = client.converse(modelId=CLAUDE, messages=messages)
    assert free["stopReason"] == "end_turn"  # no guardrail, no intervention


def output_turns() -> list[dict[str, Any]]:
    use = {"toolUse": {"toolUseId": "tooluse_x", "name": "lookup", "input": {}}}
    result = {
        "toolResult": {"toolUseId": "tooluse_x", "content": [{"text": "a crate of Contraband"}]}
    }
    return [
        {"role": "user", "content": [{"text": "lookup please"}]},
        {"role": "assistant", "content": [use]},
        {"role": "user", "content": [result]},
    ]


@pytest.mark.parametrize("mode", ["sync", "async", None])
def test_blocked_output_streamed(client: Any, mode: str | None) -> None:
    events = list(
        client.converse_stream(
            modelId=CLAUDE,
            messages=output_turns(),
            toolConfig={"tools": [TOOL]},
            guardrailConfig=guard(mode),
        )["stream"]
    )
    text = text_of(events)
    if mode == "async":  # the answer went out up to the chunk with the word, then the block
        assert text.startswith("The lookup tool returned: a crate of Contraband")
        assert text.endswith(BLOCKED_MESSAGE) and len(text) > len(BLOCKED_MESSAGE) * 1.5
    else:
        assert text == BLOCKED_MESSAGE
    assert events[-2] == {"messageStop": {"stopReason": "guardrail_intervened"}}
    assessments = events[-1]["metadata"]["trace"]["guardrail"]["outputAssessments"]
    assert list(assessments) == ["gr-emulated"]


def test_guardrail_fault_still_works(boto3_client: Any) -> None:
    messages = [{"role": "user", "content": [{"text": "Hello"}]}]
    boto3_client.meta.events.register(
        "before-send.bedrock-runtime.Converse",
        lambda request, **_: request.headers.__setitem__(
            "X-Bedrock-Stream-Fault", "guardrail; after=2"
        ),
        unique_id="fault",
    )
    try:
        response = boto3_client.converse(modelId=CLAUDE, messages=messages)
    finally:
        boto3_client.meta.events.unregister(
            "before-send.bedrock-runtime.Converse", unique_id="fault"
        )
    assert response["stopReason"] == "guardrail_intervened"
    assert "contentPolicy" in response["trace"]["guardrail"]["outputAssessments"]["emulator"][0]


def test_invoke_guardrail_headers(client: Any) -> None:
    import json

    def body(text: str, mode: str | None = None) -> str:
        document: dict[str, Any] = {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 100,
            "messages": [{"role": "user", "content": text}],
        }
        if mode:
            document["amazon-bedrock-guardrailConfig"] = {"streamProcessingMode": mode}
        return json.dumps(document)

    config = {"guardrailIdentifier": "gr-invoke", "guardrailVersion": "2", "trace": "ENABLED"}
    stream = client.invoke_model_with_response_stream(
        modelId=CLAUDE, body=body("Sell me contraband", "ASYNCHRONOUS"), **config
    )
    chunks = [json.loads(e["chunk"]["bytes"]) for e in stream["body"]]
    text = "".join(c["delta"].get("text", "") for c in chunks if c["type"] == "content_block_delta")
    assert text == BLOCKED_MESSAGE
    assert chunks[-1]["amazon-bedrock-guardrailAction"] == "INTERVENED"
    words = chunks[-1]["amazon-bedrock-trace"]["guardrail"]["input"]["gr-invoke"]["wordPolicy"]
    assert words["customWords"][0]["match"] == "contraband"
    plain = json.loads(
        client.invoke_model(modelId=CLAUDE, body=body("Hello"), **config)["body"].read()
    )
    assert "amazon-bedrock-guardrailAction" not in plain and plain["stop_reason"] == "end_turn"
    titan = json.dumps({"inputText": "Where is the contraband?"})
    answer = client.invoke_model(modelId="amazon.titan-text-express-v1", body=titan, **config)
    result = json.loads(answer["body"].read())
    assert result["results"][0]["outputText"] == BLOCKED_MESSAGE
    assert result["amazon-bedrock-guardrailAction"] == "INTERVENED"
