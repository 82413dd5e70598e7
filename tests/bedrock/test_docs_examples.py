"""The docs page's snippets are files, and they stream through the loopback server."""

from __future__ import annotations

import json
import re
import runpy
from pathlib import Path

import pytest
from bedrock_replay import Server, chunk_frame, converse_frame, stream_reply

from bedrock_stream.bedrock import client as client_module
from bedrock_stream.testing import invoke_streaming

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "docs" / "examples" / "bedrock"
SNIPPET = re.compile(r"<!-- snippet: (?P<path>[^ ]+) -->\n```python\n(?P<code>.*?)```", re.S)


@pytest.fixture
def default_client_at_server(server: Server, monkeypatch: pytest.MonkeyPatch) -> Server:
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", server.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setattr(client_module, "_client", None)
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
