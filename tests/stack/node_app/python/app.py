"""The Python twins of ``../node``'s handlers: their responses, from ``@streaming_handler``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3

from bedrock_stream import streaming_handler

MODEL_ID = "us.anthropic.claude-3-5-haiku-20241022-v1:0"


@streaming_handler(
    status_code=201,
    content_type="text/plain; charset=utf-8",
    headers={"x-answer": "same"},
    cookies=["flavour=oat"],
)
def stream(event: dict[str, Any], context: Any) -> Iterator[str]:
    yield from ["first\n", "second\n", "naïve ☃\n"]


def fail(event: dict[str, Any], context: Any) -> None:
    # Not under @streaming_handler, whose error policy would answer a 500 itself.
    raise TypeError("bad input")


@streaming_handler(content_type="text/plain; charset=utf-8")
def ask(event: dict[str, Any], context: Any) -> Iterator[str]:
    message = json.loads(event["body"])["message"]
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 300,
        "messages": [{"role": "user", "content": [{"type": "text", "text": message}]}],
    }
    response = boto3.client("bedrock-runtime").invoke_model_with_response_stream(
        modelId=MODEL_ID,
        contentType="application/json",
        accept="application/json",
        body=json.dumps(body),
    )
    for item in response["body"]:
        data = json.loads(item["chunk"]["bytes"]) if "chunk" in item else {}
        if data.get("type") == "content_block_delta" and data["delta"]["type"] == "text_delta":
            yield data["delta"]["text"]
