"""The whole conversation through the AWS SDK for JavaScript v3 (HTTP/2), compared with boto3.

Tool use, reasoning, a citation, cache counts, the tier and latency echoes and a throttle
after the first tool-input delta: the JavaScript SDK parses the same events boto3 does.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from botocore.exceptions import EventStreamError

from bedrock_stream.local.bedrock import BedrockEmulator
from node_peers import NODE_MODULES, node_package

SCRIPT = Path(__file__).with_name("javascript_conversation.mjs")
CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
DOCUMENT = {
    "format": "txt",
    "name": "Notes",
    "source": {"text": "Fog forms over cold water. It lifts by noon."},
    "citations": {"enabled": True},
}
REQUESTS: list[dict[str, Any]] = [
    {
        "modelId": CLAUDE,
        "messages": [{"role": "user", "content": [{"text": "get_weather for city=Oslo"}]}],
        "toolConfig": {
            "tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": SCHEMA}}}]
        },
        "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 1024}},
        "serviceTier": {"type": "flex"},
        "performanceConfig": {"latency": "optimized"},
    },
    {
        "modelId": CLAUDE,
        "system": [{"text": "Answer about the weather."}, {"cachePoint": {"type": "default"}}],
        "messages": [
            {"role": "user", "content": [{"document": DOCUMENT}, {"text": "When does fog lift?"}]}
        ],
    },
]


def run(url: str, requests: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    node_package("@aws-sdk/client-bedrock-runtime")
    environment = {**os.environ, "NODE_PATH": str(NODE_MODULES), "NODE_NO_WARNINGS": "1"}
    done = subprocess.run(
        ["node", str(SCRIPT), url],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results: list[list[dict[str, Any]]] = json.loads(done.stdout)
    return results


def test_the_javascript_sdk_gets_the_events_boto3_gets(
    emulator: BedrockEmulator, boto3_client: Any
) -> None:
    emulator.prompt_cache.clear()
    javascript = run(emulator.url, REQUESTS)
    emulator.prompt_cache.clear()
    boto3 = [list(boto3_client.converse_stream(**request)["stream"]) for request in REQUESTS]
    assert javascript == json.loads(json.dumps(boto3))
    assert {r.http_version for r in emulator.requests[:2]} == {"2"}
    kinds = {next(iter(e)) for events in javascript for e in events}
    assert kinds >= {"messageStart", "contentBlockStart", "contentBlockDelta", "metadata"}
    deltas = [
        next(iter(e["contentBlockDelta"]["delta"]))
        for events in javascript
        for e in events
        if "contentBlockDelta" in e
    ]
    assert {"reasoningContent", "toolUse", "citation", "text"} <= set(deltas)


def test_a_throttle_after_the_first_tool_input_delta(
    emulator: BedrockEmulator, boto3_client: Any
) -> None:
    spec = "exception; code=throttlingException; event=tool-input"
    emulator.faults.add(spec, operation="converse-stream", times=2)
    javascript = run(emulator.url, REQUESTS[:1])[0]
    assert javascript[-1]["error"] == "ThrottlingException"
    assert "toolUse" in javascript[-2]["contentBlockDelta"]["delta"]
    received: list[dict[str, Any]] = []
    stream = boto3_client.converse_stream(**REQUESTS[0])["stream"]
    try:
        received.extend(stream)
    except EventStreamError:
        pass
    finally:
        stream.close()
    assert json.loads(json.dumps(received)) == javascript[:-1]
