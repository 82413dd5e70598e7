from collections.abc import Iterator
from typing import Any

from bedrock_stream import streaming_handler
from bedrock_stream.bedrock import stream_text


@streaming_handler(content_type="text/plain; charset=utf-8")
def handler(event: Any, context: Any) -> Iterator[str]:
    # InvokeModelWithResponseStream: the family comes from the model id; an application
    # inference profile ARN names no model, so it needs family="anthropic" (or another).
    yield from stream_text(
        "Write a haiku about rivers.",
        model_id="meta.llama3-8b-instruct-v1:0",
        api="invoke",
        system="You are a poet.",
        max_tokens=256,
        temperature=0.7,
    )
