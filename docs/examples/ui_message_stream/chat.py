"""A chat route for the AI SDK's useChat: Bedrock with reasoning and a tool, as one UI message."""

import base64
from collections.abc import Iterator
from typing import Any

from bedrock_stream import StreamingResponse, streaming_handler
from bedrock_stream.bedrock import stream_events, tool, tool_result_block
from bedrock_stream.ui_message_stream import (
    HEADERS,
    UIChatRequest,
    UIMessageStreamEncoder,
    parse_request,
)

MODEL_ID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
MAX_ROUNDS = 4  # every round is a billed model call
WEATHER = tool(
    "get_weather",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    "The weather in a city right now.",
)


def get_weather(city: str) -> str:
    return f"Sunny in {city}, 24 degrees"


def answer(request: UIChatRequest, encoder: UIMessageStreamEncoder) -> Iterator[bytes]:
    history = list(request.messages)
    for _ in range(MAX_ROUNDS):  # each model call is one step of the same UI message
        stream = stream_events(
            history,
            model_id=MODEL_ID,
            tools=[WEATHER],
            reasoning={"budget_tokens": 1024},
            max_tokens=2048,
            **request.options,
        )
        for event in stream:
            yield encoder.event(event)
        reply = stream.reply()
        if not reply.tool_calls:
            break
        history.append(reply.message)
        results = []
        for call in reply.tool_calls:
            output = get_weather(**call.input)
            yield encoder.tool_output(call.id, output)
            results.append(tool_result_block(call.id, output))
        history.append({"role": "user", "content": results})
    yield encoder.end()


@streaming_handler
def handler(event: dict[str, Any], context: Any) -> StreamingResponse:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body)
    request = parse_request(body)  # a bad body is a 400 before the stream starts
    encoder = UIMessageStreamEncoder()
    return StreamingResponse(answer(request, encoder), headers=HEADERS, error_event=encoder.error)
