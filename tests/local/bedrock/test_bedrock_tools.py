"""Tool use on the emulator through real boto3 clients: round trips, the rule, the refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from test_bedrock_emulator_streams import key_paths, recorded_shapes

from bedrock_stream.local.bedrock import BedrockEmulator

CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
NOVA = "us.amazon.nova-pro-v1:0"
WEATHER = {
    "toolSpec": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "days": {"type": "integer"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    "detail": {"type": "boolean"},
                },
                "required": ["city", "days", "unit"],
            }
        },
    }
}
CLOCK = {
    "toolSpec": {
        "name": "get_time",
        "inputSchema": {"json": {"type": "object", "properties": {}}},
    }
}
TOOLS = {"tools": [WEATHER, CLOCK]}


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


def stream(client: Any, **request: Any) -> list[dict[str, Any]]:
    return list(client.converse_stream(**request)["stream"])


def assemble(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Put the tool uses of a ConverseStream back together, as a client does."""
    uses: dict[int, dict[str, Any]] = {}
    for event in events:
        if "contentBlockStart" in event:
            start = event["contentBlockStart"]
            uses[start["contentBlockIndex"]] = {**start["start"]["toolUse"], "input": ""}
        elif "contentBlockDelta" in event and "toolUse" in event["contentBlockDelta"]["delta"]:
            delta = event["contentBlockDelta"]
            uses[delta["contentBlockIndex"]]["input"] += delta["delta"]["toolUse"]["input"]
    return {i: {**u, "input": json.loads(u["input"])} for i, u in uses.items()}


@pytest.mark.parametrize("model", [CLAUDE, NOVA])
def test_converse_stream_round_trip(client: Any, model: str) -> None:
    first = [user("What is the get_weather for city=Lisbon over days=3?")]
    events = stream(client, modelId=model, messages=first, toolConfig=TOOLS)
    uses = assemble(events)
    assert list(uses.values()) == [
        {
            "toolUseId": uses[0]["toolUseId"],
            "name": "get_weather",
            "input": {"city": "Lisbon", "days": 3, "unit": "celsius"},
        }
    ]
    assert uses[0]["toolUseId"].startswith("tooluse_")
    inputs = [e for e in events if "toolUse" in e.get("contentBlockDelta", {}).get("delta", {})]
    assert len(inputs) > 1  # the input arrives in several deltas
    assert events[-2] == {"messageStop": {"stopReason": "tool_use"}}
    assert events[-1]["metadata"]["usage"]["outputTokens"] > 0
    recorded = recorded_shapes("ConverseStream")
    for event in events:
        assert key_paths(event) in recorded, event
    assistant = {"role": "assistant", "content": [{"toolUse": u} for u in uses.values()]}
    result = {"toolUseId": uses[0]["toolUseId"], "content": [{"text": "Sunny, 24 degrees"}]}
    second = [*first, assistant, {"role": "user", "content": [{"toolResult": result}]}]
    events = stream(client, modelId=model, messages=second, toolConfig=TOOLS)
    text = "".join(
        e["contentBlockDelta"]["delta"].get("text", "") for e in events if "contentBlockDelta" in e
    )
    assert text.startswith("The get_weather tool returned: Sunny, 24 degrees\n\n")
    assert events[-2] == {"messageStop": {"stopReason": "end_turn"}}


def test_converse_round_trip_and_json_results(client: Any) -> None:
    first = [user("Call get_time and get_weather for Porto")]
    response = client.converse(modelId=CLAUDE, messages=first, toolConfig=TOOLS)
    assert response["stopReason"] == "tool_use"
    content = response["output"]["message"]["content"]
    names = [block["toolUse"]["name"] for block in content]
    assert names == ["get_weather", "get_time"]  # in the order they were offered
    assert content[0]["toolUse"]["input"] == {"city": "Porto", "days": 1, "unit": "celsius"}
    assert content[1]["toolUse"]["input"] == {}
    results = [
        {
            "toolResult": {
                "toolUseId": content[0]["toolUse"]["toolUseId"],
                "content": [{"json": {"sky": "clear"}}],
            }
        },
        {
            "toolResult": {
                "toolUseId": content[1]["toolUse"]["toolUseId"],
                "content": [{"text": "noon"}],
            }
        },
    ]
    messages = [*first, response["output"]["message"], {"role": "user", "content": results}]
    final = client.converse(modelId=CLAUDE, messages=messages, toolConfig=TOOLS)
    text = final["output"]["message"]["content"][0]["text"]
    assert text.startswith(
        'The get_weather tool returned: {"sky":"clear"}\nThe get_time tool returned: noon\n\n'
    )
    assert final["stopReason"] == "end_turn"


def test_tool_choice_any_and_tool(client: Any) -> None:
    plain = [user("Tell me something")]
    answer = client.converse(modelId=CLAUDE, messages=plain, toolConfig=TOOLS)
    assert answer["stopReason"] == "end_turn"  # auto, no tool named: no call
    forced = {**TOOLS, "toolChoice": {"any": {}}}
    answer = client.converse(modelId=CLAUDE, messages=plain, toolConfig=forced)
    assert answer["output"]["message"]["content"][0]["toolUse"]["name"] == "get_weather"
    assert answer["output"]["message"]["content"][0]["toolUse"]["input"]["city"] == "something"
    named = {**TOOLS, "toolChoice": {"tool": {"name": "get_time"}}}
    answer = client.converse(modelId=CLAUDE, messages=plain, toolConfig=named)
    assert [b["toolUse"]["name"] for b in answer["output"]["message"]["content"]] == ["get_time"]


def refusal(client: Any, **request: Any) -> str:
    with pytest.raises(ClientError) as caught:
        client.converse(modelId=CLAUDE, **request)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    return str(caught.value.response["Error"]["Message"])


def test_tool_refusals_in_bedrocks_words(boto3_client: Any, emulator: BedrockEmulator) -> None:
    use = {"toolUse": {"toolUseId": "tooluse_a", "name": "get_time", "input": {}}}
    result = {"toolResult": {"toolUseId": "tooluse_a", "content": [{"text": "noon"}]}}
    other = {"toolResult": {"toolUseId": "tooluse_b", "content": [{"text": "noon"}]}}
    turns = [user("get_time"), {"role": "assistant", "content": [use]}]
    assert refusal(boto3_client, messages=[*turns, {"role": "user", "content": [result]}]) == (
        "The toolConfig field must be defined when using toolUse and toolResult content blocks."
    )
    assert refusal(
        boto3_client,
        messages=[*turns, {"role": "user", "content": [result, other]}],
        toolConfig=TOOLS,
    ) == (
        "The number of toolResult blocks at messages.2.content exceeds the number of toolUse "
        "blocks of previous turn."
    )
    assert refusal(
        boto3_client, messages=[*turns, {"role": "user", "content": [other]}], toolConfig=TOOLS
    ).endswith(
        "messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: "
        "tooluse_b. Each `tool_result` block must have a corresponding `tool_use` block in "
        "the previous message."
    )
    assert "`tool_use` ids were found without `tool_result` blocks immediately after" in refusal(
        boto3_client, messages=[*turns, user("and then?")], toolConfig=TOOLS
    )
    bad = {"toolSpec": {"name": "bad", "inputSchema": {"json": {"type": "string"}}}}
    assert refusal(boto3_client, messages=[user("hi")], toolConfig={"tools": [bad]}) == (
        "The value at toolConfig.tools.0.toolSpec.inputSchema.json.type must be one of the "
        "following: object."
    )
    bad = {
        "toolSpec": {"name": "bad", "inputSchema": {"json": {"type": "object", "properties": None}}}
    }
    assert refusal(boto3_client, messages=[user("hi")], toolConfig={"tools": [WEATHER, bad]}) == (
        "The json schema definition at toolConfig.tools.1.toolSpec.inputSchema is invalid. "
        "Fix the following errors and try again: $.properties: null found, object expected"
    )
    unknown = {**TOOLS, "toolChoice": {"tool": {"name": "get_moon"}}}
    assert "get_moon" in refusal(boto3_client, messages=[user("hi")], toolConfig=unknown)
    assert [r.status for r in emulator.requests] == [400] * 7


def test_tool_turn_record(client: Any, emulator: BedrockEmulator) -> None:
    client.converse(modelId=CLAUDE, messages=[user("get_time now")], toolConfig=TOOLS)
    record = emulator.requests[-1]
    assert (record.stop, record.text, record.outcome) == ("tool_use", "", "ok")
    assert record.output_tokens == 2  # "{}" is two tokens


def anthropic_body(messages: list[dict[str, Any]], **extra: Any) -> str:
    tool = {
        "name": "get_weather",
        "description": "The weather in a city.",
        "input_schema": WEATHER["toolSpec"]["inputSchema"]["json"],
    }
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 300,
        "tools": [tool],
        "messages": messages,
        **extra,
    }
    return json.dumps(body)


def test_anthropic_invoke_stream_round_trip(boto3_client: Any) -> None:
    first = [{"role": "user", "content": "get_weather in Madrid, days=2 please"}]
    response = boto3_client.invoke_model_with_response_stream(
        modelId=CLAUDE, body=anthropic_body(first)
    )
    chunks = [json.loads(e["chunk"]["bytes"]) for e in response["body"]]
    recorded = recorded_shapes("InvokeModelWithResponseStream", "anthropic-messages")
    for chunk in chunks:
        assert key_paths(chunk) in recorded, chunk
    start = next(c for c in chunks if c.get("content_block", {}).get("type") == "tool_use")
    use = start["content_block"]
    assert use["id"].startswith("toolu_bdrk_01") and use["name"] == "get_weather"
    partial = [
        c["delta"]["partial_json"]
        for c in chunks
        if c.get("delta", {}).get("type") == "input_json_delta"
    ]
    assert partial[0] == "" and len(partial) > 2
    assert json.loads("".join(partial)) == {"city": "Madrid", "days": 2, "unit": "celsius"}
    assert chunks[-2]["delta"]["stop_reason"] == "tool_use"
    assistant = {
        "role": "assistant",
        "content": [
            {
                "type": "tool_use",
                "id": use["id"],
                "name": use["name"],
                "input": json.loads("".join(partial)),
            }
        ],
    }
    result = {"type": "tool_result", "tool_use_id": use["id"], "content": "Cloudy, 18 degrees"}
    second = [*first, assistant, {"role": "user", "content": [result]}]
    body = json.loads(
        boto3_client.invoke_model(modelId=CLAUDE, body=anthropic_body(second))["body"].read()
    )
    assert body["stop_reason"] == "end_turn"
    assert body["content"][0]["text"].startswith(
        "The get_weather tool returned: Cloudy, 18 degrees"
    )
    stray = {**result, "tool_use_id": "toolu_other"}
    with pytest.raises(ClientError) as caught:
        boto3_client.invoke_model(
            modelId=CLAUDE,
            body=anthropic_body([*first, assistant, {"role": "user", "content": [stray]}]),
        )
    assert "unexpected `tool_use_id` found in `tool_result` blocks: toolu_other" in str(
        caught.value
    )


def test_anthropic_invoke_buffered_tool_use(client: Any) -> None:
    first = [{"role": "user", "content": "what is the weather"}]
    body = anthropic_body(first, tool_choice={"type": "any"})
    message = json.loads(client.invoke_model(modelId=CLAUDE, body=body)["body"].read())
    assert message["stop_reason"] == "tool_use"
    assert [b["type"] for b in message["content"]] == ["tool_use"]
    assert message["content"][0]["input"] == {"city": "weather", "days": 1, "unit": "celsius"}
    none = anthropic_body(
        [{"role": "user", "content": "get_weather in Oslo"}], tool_choice={"type": "none"}
    )
    message = json.loads(client.invoke_model(modelId=CLAUDE, body=none)["body"].read())
    assert message["stop_reason"] == "end_turn"


def test_nova_invoke_tool_round_trip(client: Any) -> None:
    def body(messages: list[dict[str, Any]]) -> str:
        return json.dumps({"messages": messages, "toolConfig": TOOLS})

    first = [user("get_weather for city=Quito")]
    stream = client.invoke_model_with_response_stream(modelId=NOVA, body=body(first))
    chunks = [json.loads(e["chunk"]["bytes"]) for e in stream["body"]]
    recorded = recorded_shapes("InvokeModelWithResponseStream", "nova-invoke")
    for chunk in chunks:
        assert key_paths(chunk) in recorded, chunk
    start = next(
        c["contentBlockStart"]["start"]["toolUse"] for c in chunks if "contentBlockStart" in c
    )
    inputs = [
        c["contentBlockDelta"]["delta"]["toolUse"]["input"]
        for c in chunks
        if "toolUse" in c.get("contentBlockDelta", {}).get("delta", {})
    ]
    assert json.loads("".join(inputs)) == {"city": "Quito", "days": 1, "unit": "celsius"}
    assert chunks[-2] == {"messageStop": {"stopReason": "tool_use"}}
    use = {
        "toolUseId": start["toolUseId"],
        "name": start["name"],
        "input": json.loads("".join(inputs)),
    }
    result = {"toolResult": {"toolUseId": start["toolUseId"], "content": [{"text": "Rain"}]}}
    second = [
        *first,
        {"role": "assistant", "content": [{"toolUse": use}]},
        {"role": "user", "content": [result]},
    ]
    answer = json.loads(client.invoke_model(modelId=NOVA, body=body(second))["body"].read())
    assert answer["output"]["message"]["content"][0]["text"].startswith(
        "The get_weather tool returned: Rain"
    )
    assert answer["stopReason"] == "end_turn"


def test_openai_invoke_tool_calls_round_trip(client: Any) -> None:
    model = "openai.gpt-oss-120b-1:0"
    function = {"name": "get_weather", "parameters": WEATHER["toolSpec"]["inputSchema"]["json"]}
    tools = [{"type": "function", "function": function}]

    def body(messages: list[dict[str, Any]]) -> str:
        return json.dumps({"messages": messages, "tools": tools, "max_completion_tokens": 300})

    first = [{"role": "user", "content": "get_weather in Accra"}]
    stream = client.invoke_model_with_response_stream(modelId=model, body=body(first))
    chunks = [json.loads(e["chunk"]["bytes"]) for e in stream["body"]]
    deltas = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in chunks
        if c["choices"] and "tool_calls" in c["choices"][0]["delta"]
    ]
    assert deltas[0]["id"].startswith("call_") and deltas[0]["function"]["name"] == "get_weather"
    assert len(deltas) > 2 and all(d["index"] == 0 for d in deltas)
    arguments = "".join(d["function"]["arguments"] for d in deltas)
    assert json.loads(arguments) == {"city": "Accra", "days": 1, "unit": "celsius"}
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    message = json.loads(client.invoke_model(modelId=model, body=body(first))["body"].read())
    call = message["choices"][0]["message"]["tool_calls"][0]
    assert call["id"] == deltas[0]["id"] and call["function"]["arguments"] == arguments
    second = [
        *first,
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "Hot, 31 degrees"},
    ]
    answer = json.loads(client.invoke_model(modelId=model, body=body(second))["body"].read())
    choice = answer["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["content"].startswith("The get_weather tool returned: Hot, 31 degrees")


def test_mistral_chat_tool_calls_round_trip(client: Any) -> None:
    model = "mistral.mistral-large-2407-v1:0"
    function = {"name": "get_weather", "parameters": WEATHER["toolSpec"]["inputSchema"]["json"]}

    def body(messages: list[dict[str, Any]]) -> str:
        tools = [{"type": "function", "function": function}]
        return json.dumps({"messages": messages, "tools": tools, "tool_choice": "any"})

    first = [{"role": "user", "content": "What is it like in Lima?"}]
    stream = client.invoke_model_with_response_stream(modelId=model, body=body(first))
    chunks = [json.loads(e["chunk"]["bytes"]) for e in stream["body"]]
    choice = chunks[-1]["choices"][0]
    assert choice["stop_reason"] == "tool_calls"
    call = choice["message"]["tool_calls"][0]
    assert len(call["id"]) == 9 and call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"])["unit"] == "celsius"
    second = [
        *first,
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "name": "get_weather", "content": "Mild"},
    ]
    answer = json.loads(client.invoke_model(modelId=model, body=body(second))["body"].read())
    assert answer["choices"][0]["message"]["content"].startswith(
        "The get_weather tool returned: Mild"
    )


def test_cohere_command_r_tool_calls_and_results(client: Any) -> None:
    model = "cohere.command-r-plus-v1:0"
    tool = {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameter_definitions": {
            "city": {"type": "str", "required": True},
            "days": {"type": "int", "required": True},
            "hourly": {"type": "bool"},
        },
    }
    ask = {"message": "get_weather for Nairobi", "tools": [tool]}
    stream = client.invoke_model_with_response_stream(modelId=model, body=json.dumps(ask))
    chunks = [json.loads(e["chunk"]["bytes"]) for e in stream["body"]]
    calls = next(c for c in chunks if c["event_type"] == "tool-calls-generation")["tool_calls"]
    assert calls == [{"name": "get_weather", "parameters": {"city": "Nairobi", "days": 1}}]
    end = chunks[-1]
    assert end["event_type"] == "stream-end" and end["response"]["tool_calls"] == calls
    results = [{"call": calls[0], "outputs": [{"sky": "clear"}]}]
    answer = {"message": "", "tools": [tool], "tool_results": results}
    body = json.loads(client.invoke_model(modelId=model, body=json.dumps(answer))["body"].read())
    assert body["text"].startswith('The get_weather tool returned: [{"sky":"clear"}]')
    assert body["finish_reason"] == "COMPLETE" and "tool_calls" not in body
