import json
import logging
import os
from collections.abc import Iterator
from typing import Any

from bedrock_stream import streaming_handler
from bedrock_stream.bedrock import ReasoningDelta, TextDelta, ToolCall, stream_events
from bedrock_stream.sse import SSEEvent

MODEL_ID = os.environ.get("MODEL_ID", "us.anthropic.claude-sonnet-4-20250514-v1:0")
log = logging.getLogger(__name__)


@streaming_handler(format="sse")
def handler(event: Any, context: Any) -> Iterator[SSEEvent]:
    # The client sends the whole conversation: [{"role": ..., "content": ...}, ...]
    history = json.loads(event.get("body") or "{}")["messages"]
    stream = stream_events(history, model_id=MODEL_ID, max_tokens=512)
    for item in stream:
        if isinstance(item, TextDelta):
            yield SSEEvent(item.text, event="text")
        elif isinstance(item, ReasoningDelta) and item.text:
            yield SSEEvent(item.text, event="reasoning")
        elif isinstance(item, ToolCall):
            yield SSEEvent(json.dumps({"name": item.name, "input": item.input}), event="tool")
    reply = stream.reply()  # everything folded: text, reasoning, tool calls, usage, stop
    assert reply.stop is not None  # a stream that ends without its stop raises instead
    yield SSEEvent(json.dumps({"stop": reply.stop.reason}), event="done")
    log.info("ttft=%.3fs tokens/s=%s", reply.time_to_first_token, reply.output_tokens_per_second)
