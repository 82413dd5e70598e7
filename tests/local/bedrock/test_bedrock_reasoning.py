"""Reasoning on the emulator through real boto3 clients: signed blocks, echoed back or tampered."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from botocore.exceptions import ClientError
from test_bedrock_emulator_streams import key_paths, recorded_shapes

from bedrock_stream.local.bedrock.reasoning import REDACTED_TRIGGER, signature

CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
THINKING = {"thinking": {"type": "enabled", "budget_tokens": 2048}}


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


def reasoning_of(events: list[dict[str, Any]]) -> tuple[str, str, list[str]]:
    """The streamed reasoning text, its signature, and the kinds of its deltas in order."""
    text, sig, kinds = "", "", []
    for event in events:
        delta = event.get("contentBlockDelta", {}).get("delta", {}).get("reasoningContent")
        if delta is None:
            continue
        assert event["contentBlockDelta"]["contentBlockIndex"] == 0
        kinds += list(delta)
        text += delta.get("text", "")
        sig += delta.get("signature", "")
    return text, sig, kinds


def test_multi_turn_reasoning_echoed_back(boto3_client: Any) -> None:
    first = [user("Why does bread rise?")]
    events = list(
        boto3_client.converse_stream(
            modelId=CLAUDE, messages=first, additionalModelRequestFields=THINKING
        )["stream"]
    )
    text, sig, kinds = reasoning_of(events)
    assert text and sig == signature(text)
    recorded = recorded_shapes("ConverseStream")
    for event in events:
        assert key_paths(event) in recorded, event
    assert kinds[-1] == "signature" and set(kinds[:-1]) == {"text"} and len(kinds) > 2
    answer = "".join(
        e["contentBlockDelta"]["delta"].get("text", "")
        for e in events
        if e.get("contentBlockDelta", {}).get("contentBlockIndex") == 1
    )
    assistant = {
        "role": "assistant",
        "content": [
            {"reasoningContent": {"reasoningText": {"text": text, "signature": sig}}},
            {"text": answer},
        ],
    }
    second = [*first, assistant, user("And in a cold kitchen?")]
    response = boto3_client.converse(
        modelId=CLAUDE, messages=second, additionalModelRequestFields=THINKING
    )
    block = response["output"]["message"]["content"][0]["reasoningContent"]["reasoningText"]
    assert block["signature"] == signature(block["text"])
    tampered = {"text": text + " (edited)", "signature": sig}
    assistant["content"][0] = {"reasoningContent": {"reasoningText": tampered}}
    with pytest.raises(ClientError) as caught:
        boto3_client.converse(
            modelId=CLAUDE, messages=second, additionalModelRequestFields=THINKING
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["Error"]["Message"] == (
        "The model returned the following errors: messages.1.content.0: Invalid `signature` in "
        "`thinking` block"
    )


def test_redacted_reasoning_on_anthropics_test_string(boto3_client: Any) -> None:
    first = [user(REDACTED_TRIGGER)]
    response = boto3_client.converse(
        modelId=CLAUDE, messages=first, additionalModelRequestFields=THINKING
    )
    block = response["output"]["message"]["content"][0]["reasoningContent"]
    data = block["redactedContent"]  # bytes, decoded by botocore
    assert isinstance(data, bytes) and len(data) == 64
    events = list(
        boto3_client.converse_stream(
            modelId=CLAUDE, messages=first, additionalModelRequestFields=THINKING
        )["stream"]
    )
    assert reasoning_of(events)[2] == ["redactedContent"]
    recorded = recorded_shapes("ConverseStream")
    assert all(key_paths(event) in recorded for event in events)
    assistant = {"role": "assistant", "content": [{"reasoningContent": {"redactedContent": data}}]}
    boto3_client.converse(
        modelId=CLAUDE,
        messages=[*first, assistant, user("Go on")],
        additionalModelRequestFields=THINKING,
    )
    forged = {
        "role": "assistant",
        "content": [{"reasoningContent": {"redactedContent": b"x" * 64}}],
    }
    with pytest.raises(ClientError) as caught:
        boto3_client.converse(modelId=CLAUDE, messages=[*first, forged, user("Go on")])
    assert "Invalid `data` in `redacted_thinking` block" in str(caught.value)
    assert base64.b64encode(data)  # round-trips as a blob


@pytest.mark.parametrize(
    ("model", "fields", "message"),
    [
        (
            "anthropic.claude-3-5-haiku-20241022-v1:0",
            THINKING,
            "The model returned the following errors: thinking: Extra inputs are not permitted",
        ),
        (
            "us.amazon.nova-pro-v1:0",
            {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "low"}},
            "Malformed input request: #: extraneous key [reasoningConfig] is not permitted, "
            "please reformat your input and try again.",
        ),
        (
            CLAUDE,
            {"thinking": {"type": "enabled", "budget_tokens": 100}},
            "The model returned the following errors: thinking.enabled.budget_tokens: Input "
            "should be greater than or equal to 1024",
        ),
        (
            CLAUDE,
            {"thinking": {"type": "enabled", "budget_tokens": 8000}},
            "The model returned the following errors: `max_tokens` must be greater than "
            "`thinking.budget_tokens`.",
        ),
    ],
)
def test_reasoning_refused(
    boto3_client: Any, model: str, fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(ClientError) as caught:
        boto3_client.converse(
            modelId=model, messages=[user("hi")], additionalModelRequestFields=fields
        )
    assert caught.value.response["Error"] == {"Code": "ValidationException", "Message": message}


def test_nova_2_reasons(client: Any) -> None:
    fields = {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "low"}}
    response = client.converse(
        modelId="us.amazon.nova-2-lite-v1:0",
        messages=[user("hi there")],
        additionalModelRequestFields=fields,
    )
    assert "reasoningContent" in response["output"]["message"]["content"][0]


def test_anthropic_invoke_thinking_round_trip(boto3_client: Any) -> None:
    import json

    def body(messages: list[dict[str, Any]]) -> str:
        return json.dumps(
            {
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": 4000,
                "thinking": {"type": "enabled", "budget_tokens": 1024},
                "messages": messages,
            }
        )

    first = [{"role": "user", "content": "Why is the sky blue?"}]
    stream = boto3_client.invoke_model_with_response_stream(modelId=CLAUDE, body=body(first))
    chunks = [json.loads(e["chunk"]["bytes"]) for e in stream["body"]]
    deltas = [c["delta"] for c in chunks if c["type"] == "content_block_delta"]
    thinking = "".join(d.get("thinking", "") for d in deltas)
    sig = next(d["signature"] for d in deltas if d["type"] == "signature_delta")
    assert [d["type"] for d in deltas][-1] == "text_delta"
    assert chunks[1]["content_block"] == {"type": "thinking", "thinking": "", "signature": ""}
    assert sig == signature(thinking)
    recorded = recorded_shapes("InvokeModelWithResponseStream", "anthropic-messages")
    unrecorded = [c for c in chunks if key_paths(c) not in recorded]
    # the recordings hold no thinking stream: only its deltas and start are new
    assert all(
        c.get("delta", {}).get("type") in ("thinking_delta", "signature_delta")
        or c.get("content_block", {}).get("type") == "thinking"
        for c in unrecorded
    )
    text = "".join(d.get("text", "") for d in deltas)
    assistant = {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": thinking, "signature": sig},
            {"type": "text", "text": text},
        ],
    }
    second = [*first, assistant, {"role": "user", "content": "And at sunset?"}]
    message = json.loads(
        boto3_client.invoke_model(modelId=CLAUDE, body=body(second))["body"].read()
    )
    assert [b["type"] for b in message["content"]] == ["thinking", "text"]
    assistant["content"][0]["signature"] = "AAAA" + sig[4:]
    with pytest.raises(ClientError) as caught:
        boto3_client.invoke_model(modelId=CLAUDE, body=body(second))
    assert "messages.1.content.0: Invalid `signature` in `thinking` block" in str(caught.value)


def test_nova_2_invoke_reasons(boto3_client: Any) -> None:
    import json

    body = {
        "messages": [user("Why do leaves fall?")],
        "reasoningConfig": {"type": "enabled", "maxReasoningEffort": "low"},
    }
    stream = boto3_client.invoke_model_with_response_stream(
        modelId="us.amazon.nova-2-lite-v1:0", body=json.dumps(body)
    )
    chunks = [json.loads(e["chunk"]["bytes"]) for e in stream["body"]]
    deltas = [c["contentBlockDelta"]["delta"] for c in chunks if "contentBlockDelta" in c]
    text = "".join(d["reasoningContent"].get("text", "") for d in deltas if "reasoningContent" in d)
    sig = next(
        d["reasoningContent"]["signature"]
        for d in deltas
        if "signature" in d.get("reasoningContent", {})
    )
    assert sig == signature(text)
    with pytest.raises(ClientError) as caught:
        boto3_client.invoke_model(modelId="us.amazon.nova-pro-v1:0", body=json.dumps(body))
    assert "extraneous key [reasoningConfig] is not permitted" in str(caught.value)


def test_reasoning_in_a_tool_loop(boto3_client: Any) -> None:
    spec = {"name": "get_time", "inputSchema": {"json": {"type": "object", "properties": {}}}}
    tools = {"tools": [{"toolSpec": spec}]}
    first = [user("get_time please")]
    reply = boto3_client.converse(
        modelId=CLAUDE, messages=first, toolConfig=tools, additionalModelRequestFields=THINKING
    )
    content = reply["output"]["message"]["content"]
    assert [next(iter(b)) for b in content] == ["reasoningContent", "toolUse"]
    use = content[1]["toolUse"]
    result = {"toolResult": {"toolUseId": use["toolUseId"], "content": [{"text": "noon"}]}}
    turns = [*first, reply["output"]["message"], {"role": "user", "content": [result]}]
    final = boto3_client.converse(
        modelId=CLAUDE, messages=turns, toolConfig=tools, additionalModelRequestFields=THINKING
    )
    assert final["stopReason"] == "end_turn"
    bare = [*first, {"role": "assistant", "content": [content[1]]}, turns[-1]]
    with pytest.raises(ClientError) as caught:
        boto3_client.converse(
            modelId=CLAUDE, messages=bare, toolConfig=tools, additionalModelRequestFields=THINKING
        )
    expected = "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found"
    assert f"{expected} `tool_use`" in str(caught.value)
    forced = {**tools, "toolChoice": {"any": {}}}
    with pytest.raises(ClientError) as caught:
        boto3_client.converse(
            modelId=CLAUDE, messages=first, toolConfig=forced, additionalModelRequestFields=THINKING
        )
    assert "Thinking may not be enabled when tool_choice forces tool use." in str(caught.value)
