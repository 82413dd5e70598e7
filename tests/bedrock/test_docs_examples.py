"""The docs page's snippets are files, and they stream through the loopback server."""

from __future__ import annotations

import json
import re
import runpy
from pathlib import Path
from typing import Any

import pytest
from bedrock_replay import Server, chunk_frame, converse_frame, stream_reply

from bedrock_stream.testing import invoke_streaming

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "docs" / "examples" / "bedrock"
SNIPPET = re.compile(r"<!-- snippet: (?P<path>[^ ]+) -->\n```python\n(?P<code>.*?)```", re.S)


@pytest.fixture
def default_client_at_server(
    server: Server, monkeypatch: pytest.MonkeyPatch, fresh_default_clients: dict[str, Any]
) -> Server:
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", server.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return server


def test_page_snippets_are_the_example_files() -> None:
    page = (ROOT / "docs" / "bedrock.md").read_text()
    found = SNIPPET.findall(page)
    assert found
    for path, code in found:
        assert (ROOT / path).read_text() == code
    assert page.count("```python") == len(found)


def test_converse_example_streams(default_client_at_server: Server) -> None:
    server = default_client_at_server
    server.replies.append(
        stream_reply(
            converse_frame("contentBlockDelta", {"delta": {"text": "Hi "}, "contentBlockIndex": 0}),
            converse_frame(
                "contentBlockDelta", {"delta": {"text": "there"}, "contentBlockIndex": 0}
            ),
            converse_frame("messageStop", {"stopReason": "end_turn"}),
        )
    )
    handler = runpy.run_path(str(EXAMPLES / "handler.py"))["handler"]
    event = {"httpMethod": "POST", "requestContext": {}, "body": json.dumps({"message": "yo"})}
    result = invoke_streaming(handler, event)
    assert result.error is None
    assert result.body == b"Hi there"
    assert server.requests[0][1]["messages"][0]["content"] == [{"text": "yo"}]


def test_invoke_example_streams(default_client_at_server: Server) -> None:
    server = default_client_at_server
    server.replies.append(
        stream_reply(
            chunk_frame({"generation": "Water", "stop_reason": None}),
            chunk_frame({"generation": " flows", "stop_reason": "stop"}),
        )
    )
    handler = runpy.run_path(str(EXAMPLES / "handler_invoke.py"))["handler"]
    result = invoke_streaming(handler, {"httpMethod": "POST", "requestContext": {}, "body": ""})
    assert result.error is None
    assert result.body == b"Water flows"
    assert server.requests[0][1]["max_gen_len"] == 256


def test_events_example_streams_text_reasoning_and_tool_calls(
    default_client_at_server: Server,
) -> None:
    server = default_client_at_server

    def delta(index: int, **member: object) -> bytes:
        return converse_frame("contentBlockDelta", {"contentBlockIndex": index, "delta": member})

    start = {"toolUse": {"toolUseId": "tu_1", "name": "weather"}}
    server.replies.append(
        stream_reply(
            converse_frame("messageStart", {"role": "assistant"}),
            delta(0, reasoningContent={"text": "Needs the weather."}),
            delta(0, reasoningContent={"signature": "c2ln"}),
            converse_frame("contentBlockStop", {"contentBlockIndex": 0}),
            delta(1, text="Checking."),
            converse_frame("contentBlockStop", {"contentBlockIndex": 1}),
            converse_frame("contentBlockStart", {"contentBlockIndex": 2, "start": start}),
            delta(2, toolUse={"input": '{"city": "Oslo"}'}),
            converse_frame("contentBlockStop", {"contentBlockIndex": 2}),
            converse_frame("messageStop", {"stopReason": "tool_use"}),
        )
    )
    handler = runpy.run_path(str(EXAMPLES / "handler_events.py"))["handler"]
    history = [{"role": "user", "content": "Weather in Oslo?"}]
    event = {"httpMethod": "POST", "requestContext": {}, "body": json.dumps({"messages": history})}
    result = invoke_streaming(handler, event)
    assert result.error is None
    assert result.body.decode() == (
        "event: reasoning\ndata: Needs the weather.\n\n"
        "event: text\ndata: Checking.\n\n"
        'event: tool\ndata: {"name": "weather", "input": {"city": "Oslo"}}\n\n'
        'event: done\ndata: {"stop": "tool_use"}\n\n'
    )
    assert server.requests[0][1]["messages"][0]["content"] == [{"text": "Weather in Oslo?"}]
