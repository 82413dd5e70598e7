"""A tool round trip on the Bedrock emulator, and a throttle after the first tool-input delta."""

import boto3
import pytest
from botocore.exceptions import EventStreamError

MODEL_ID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
TOOLS = {"tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": SCHEMA}}}]}
ASK = [{"role": "user", "content": [{"text": "get_weather for city=Lisbon"}]}]


def test_a_tool_round_trip(bedrock_emulator):
    client = boto3.client("bedrock-runtime")  # the fixture points it at the emulator
    reply = client.converse(modelId=MODEL_ID, messages=ASK, toolConfig=TOOLS)
    assert reply["stopReason"] == "tool_use"
    use = reply["output"]["message"]["content"][0]["toolUse"]
    assert use["input"] == {"city": "Lisbon"}  # named in the prompt as city=Lisbon
    result = {"toolUseId": use["toolUseId"], "content": [{"text": "Sunny"}]}
    turns = [
        *ASK,
        reply["output"]["message"],
        {"role": "user", "content": [{"toolResult": result}]},
    ]
    final = client.converse(modelId=MODEL_ID, messages=turns, toolConfig=TOOLS)
    assert final["output"]["message"]["content"][0]["text"].startswith(
        "The get_weather tool returned: Sunny"
    )


def test_a_throttle_after_the_first_tool_input_delta(bedrock_emulator):
    spec = "exception; code=throttlingException; event=tool-input"
    bedrock_emulator.faults.add(spec, operation="converse-stream")
    client = boto3.client("bedrock-runtime")
    stream = client.converse_stream(modelId=MODEL_ID, messages=ASK, toolConfig=TOOLS)["stream"]
    received = []
    with pytest.raises(EventStreamError):
        received.extend(stream)
    stream.close()
    assert "toolUse" in received[-1]["contentBlockDelta"]["delta"]  # one input delta arrived
