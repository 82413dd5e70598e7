"""A tool round trip: the model calls a tool, we run it, the model answers with its result."""

from bedrock_stream.bedrock import TextDelta, stream_events, tool, tool_result_block

MODEL_ID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
MAX_ROUNDS = 4  # an agent loop is bounded: every round is a billed call
WEATHER = tool(
    "get_weather",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    "The weather in a city right now.",
)


def get_weather(city: str) -> str:
    return f"Sunny in {city}, 24 degrees"


def ask(question: str) -> str:
    history: list[dict] = [{"role": "user", "content": question}]
    for _ in range(MAX_ROUNDS):
        stream = stream_events(history, model_id=MODEL_ID, tools=[WEATHER], max_tokens=500)
        text = "".join(e.text for e in stream if isinstance(e, TextDelta))
        reply = stream.reply()
        if not reply.tool_calls:
            return text
        history.append(reply.message)  # the assistant turn holding the tool calls
        results = [tool_result_block(c.id, get_weather(**c.input)) for c in reply.tool_calls]
        history.append({"role": "user", "content": results})
    raise RuntimeError(f"no answer after {MAX_ROUNDS} rounds of tool calls")
