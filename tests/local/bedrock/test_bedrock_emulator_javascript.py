"""The Bedrock emulator through the AWS SDK for JavaScript v3, compared with boto3.

The SDK's default client speaks HTTP/2 with prior knowledge to an ``http://`` endpoint; a
client given ``NodeHttpHandler`` speaks HTTP/1.1. Both must get, for every operation, the
text, stop reason and usage boto3 gets from the same emulator.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bedrock_stream.bedrock import (
    ChunkParser,
    Event,
    Stop,
    TextDelta,
    Usage,
    build_invoke_body,
    converse_events,
    converse_response_events,
    parse_invoke_response,
    resolve_family,
)
from bedrock_stream.local.bedrock import BedrockEmulator
from node_peers import NODE_MODULES, node_package

SCRIPT = Path(__file__).with_name("javascript_sdk.mjs")
RECORDINGS = Path(__file__).parents[2] / "data" / "bedrock-recordings"
PROMPT = "Why do lighthouses use a steady light?"

FAMILIES = [
    "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "us.amazon.nova-pro-v1:0",
    "amazon.titan-text-express-v1",
    "meta.llama3-8b-instruct-v1:0",
    "mistral.mistral-small-2402-v1:0",
    "cohere.command-r-v1:0",
    "openai.gpt-oss-120b-1:0",
    "us.deepseek.r1-v1:0",
]
"""One model id per family the default (HTTP/2) client is run against."""
RECORDED = [
    "anthropic.claude-3-haiku-20240307-v1:0",
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "amazon.nova-micro-v1:0",
    "us.amazon.nova-2-lite-v1:0",
    "amazon.titan-text-express-v1",
    "meta.llama3-8b-instruct-v1:0",
    "mistral.mistral-7b-instruct-v0:2",
    "cohere.command-text-v14",
    "cohere.command-r-v1:0",
    "openai.gpt-oss-120b-1:0",
    "ai21.jamba-1-5-mini-v1:0",
    "qwen.qwen3-32b-v1:0",
]
"""Twelve model ids of the recordings, run through a client forced onto HTTP/1.1."""


def invoke_body(model_id: str) -> dict[str, Any]:
    family = resolve_family(model_id)
    body = build_invoke_body(family, PROMPT, max_tokens=1000)
    if family == "openai":
        body["stream_options"] = {"include_usage": True}
    return body


def summary(events: list[Event]) -> dict[str, Any]:
    """What both SDKs must agree on: the text, the stop reason and the usage."""
    stops = [e.raw for e in events if isinstance(e, Stop)]
    usage = [(e.input_tokens, e.output_tokens) for e in events if isinstance(e, Usage)]
    return {
        "text": "".join(e.text for e in events if isinstance(e, TextDelta)),
        "stop": stops[-1] if stops else None,
        "usage": usage[-1] if usage else None,
    }


def summaries(model_id: str, result: dict[str, Any]) -> dict[str, Any]:
    """Summarize one model's four answers (the script's JSON, or boto3's in that shape)."""
    family = resolve_family(model_id)
    for operation in ("invoke", "invokeStream", "converse", "converseStream"):
        assert "error" not in result[operation], (model_id, operation, result[operation])
    parser = ChunkParser(family)
    return {
        "invoke": summary(parse_invoke_response(family, result["invoke"]["body"])),
        "invokeStream": summary(
            [e for chunk in result["invokeStream"]["chunks"] for e in parser.feed(chunk)]
        ),
        "converse": summary(converse_response_events(result["converse"])),
        "converseStream": summary(
            [e for event in result["converseStream"]["events"] for e in converse_events(event)]
        ),
    }


def boto3_result(client: Any, model_id: str) -> dict[str, Any]:
    body = json.dumps(invoke_body(model_id))
    invoke = client.invoke_model(modelId=model_id, body=body)
    stream = client.invoke_model_with_response_stream(modelId=model_id, body=body)
    messages = [{"role": "user", "content": [{"text": PROMPT}]}]
    config = {"maxTokens": 1000}
    converse = client.converse(modelId=model_id, messages=messages, inferenceConfig=config)
    events = client.converse_stream(modelId=model_id, messages=messages, inferenceConfig=config)
    return {
        "invoke": {"body": json.loads(invoke["body"].read())},
        "invokeStream": {"chunks": [json.loads(e["chunk"]["bytes"]) for e in stream["body"]]},
        "converse": converse,
        "converseStream": {"events": list(events["stream"])},
    }


def run_javascript_sdk(
    url: str, handler: str, model_ids: list[str], env: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    node_package("@aws-sdk/client-bedrock-runtime")
    node_package("@smithy/node-http-handler")
    cases = [
        {"modelId": m, "invokeBody": json.dumps(invoke_body(m)), "prompt": PROMPT}
        for m in model_ids
    ]
    environment = {
        **os.environ,
        **(env or {}),
        "NODE_PATH": str(NODE_MODULES),
        "NODE_NO_WARNINGS": "1",
    }
    done = subprocess.run(
        ["node", str(SCRIPT), url, handler],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


@pytest.mark.parametrize(
    ("handler", "model_ids", "version"),
    [("default", FAMILIES, "2"), ("http1", RECORDED, "1.1")],
    ids=["default-http2-client", "node-http-handler"],
)
def test_the_javascript_sdk_gets_what_boto3_gets(
    handler: str, model_ids: list[str], version: str, emulator: BedrockEmulator, client: Any
) -> None:
    results = run_javascript_sdk(emulator.url, handler, model_ids)
    javascript = [r for r in emulator.requests if r.operation is not None]
    assert len(javascript) == 4 * len(model_ids)
    assert {r.http_version for r in javascript} == {version}
    assert {r.outcome for r in javascript} == {"ok"}
    for model_id, result in zip(model_ids, results, strict=True):
        assert result["modelId"] == model_id
        expected = summaries(model_id, boto3_result(client, model_id))
        got = summaries(model_id, result)
        assert got == expected, model_id
        assert all(part["text"] and part["stop"] for part in got.values()), got
        assert got["converse"]["usage"] is not None
        assert got["converseStream"]["usage"] is not None
        assert result["invoke"]["contentType"] == "application/json"


def test_the_http1_model_ids_are_recorded() -> None:
    index = json.loads((RECORDINGS / "index.json").read_text())
    assert set(RECORDED) <= {entry["model_id"] for entry in index}
    assert len(set(RECORDED)) == 12


def test_the_javascript_sdk_finds_the_emulator_through_the_endpoint_variable(
    emulator: BedrockEmulator, client: Any
) -> None:
    model_id = FAMILIES[1]
    (result,) = run_javascript_sdk("-", "default", [model_id], env=emulator.env())
    assert summaries(model_id, result) == summaries(model_id, boto3_result(client, model_id))
    assert emulator.requests[-1].http_version == "1.1"  # boto3's, after the SDK's over HTTP/2
    assert {r.http_version for r in emulator.requests[:4]} == {"2"}
