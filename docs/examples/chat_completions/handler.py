import json
import os
import time
from typing import Any

from bedrock_stream import StreamingResponse, streaming_handler
from bedrock_stream.bedrock.client import stream_events
from bedrock_stream.chat_completions import (
    CONTENT_TYPE,
    HEADERS,
    ChunkEncoder,
    completion,
    encode,
    http_error,
    model_not_found,
    models_list,
    parse_request,
    with_http_errors,
)

MODELS = os.environ.get("MODELS", "us.anthropic.claude-sonnet-4-20250514-v1:0").split(",")


@streaming_handler(content_type="application/json")
def handler(event: Any, context: Any) -> StreamingResponse:
    if event.get("httpMethod") == "GET":  # GET /v1/models
        return StreamingResponse([json.dumps(models_list(MODELS))])
    request = parse_request(event.get("body") or "")  # a 400 in OpenAI's shape if bad
    if request.model not in MODELS:
        raise model_not_found(request.model)
    try:  # an option the model cannot take is a 400 here
        stream = stream_events(request.messages, model_id=request.model, **request.options)
    except Exception as exc:
        raise http_error(exc) from exc
    if not request.stream:  # one chat.completion object
        return StreamingResponse(with_http_errors(_buffered(stream, request.model)))
    encoder = ChunkEncoder(request.model, include_usage=request.include_usage)
    return StreamingResponse(
        with_http_errors(encode(stream, request.model, encoder=encoder)),
        content_type=CONTENT_TYPE,
        headers=HEADERS,
        error_event=encoder.error,  # in-band {"error": ...}, and no [DONE]
    )


def _buffered(stream: Any, model: str) -> Any:
    for _ in stream:
        pass
    yield json.dumps(completion(stream.reply(), model, created=int(time.time())))
