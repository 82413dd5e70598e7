"""The docs page's sample chat route on the Bedrock emulator, read by the ai package's Chat."""

from __future__ import annotations

import json
import re
import runpy
from pathlib import Path
from typing import Any

import pytest
from ai_chat import as_text, run_chats

from bedrock_stream.testing import invoke_streaming

pytest.importorskip("h11", reason="the emulator needs the local extra")

ROOT = Path(__file__).parents[2]
SAMPLE = ROOT / "docs" / "examples" / "ui_message_stream" / "chat.py"
SNIPPET = re.compile(r"<!-- snippet: (?P<path>[^ ]+) -->\n```python\n(?P<code>.*?)```", re.S)


def post(handler: Any, body: Any) -> Any:
    event = {"httpMethod": "POST", "requestContext": {}, "body": json.dumps(body)}
    return invoke_streaming(handler, event)


def test_the_page_shows_the_sample_file() -> None:
    page = (ROOT / "docs" / "ui-message-stream.md").read_text()
    found = SNIPPET.findall(page)
    assert [path for path, _ in found] == ["docs/examples/ui_message_stream/chat.py"]
    assert found[0][1] == SAMPLE.read_text()


def test_a_tool_round_trip_with_reasoning_over_two_turns(bedrock_emulator: Any) -> None:
    handler = runpy.run_path(str(SAMPLE))["handler"]
    first_body = {
        "id": "chat-1",
        "trigger": "submit-message",
        "messages": [
            {
                "id": "u1",
                "role": "user",
                "parts": [{"type": "text", "text": "Use get_weather for city=Lisbon"}],
            }
        ],
    }
    result = post(handler, first_body)
    assert result.error is None and result.status == 200
    assert result.headers["x-vercel-ai-ui-message-stream"] == "v1"
    assert result.headers["content-type"] == "text/event-stream"
    (chat,) = run_chats(
        [
            {
                "stream": as_text(result.body),
                "messages": [],
                "text": "Use get_weather for city=Lisbon",
            }
        ]
    )
    assert chat["status"] == "ready"
    message = chat["message"]
    kinds = [part["type"] for part in message["parts"]]
    assert kinds.count("step-start") == 2 and "reasoning" in kinds
    (call,) = [p for p in message["parts"] if p["type"] == "tool-get_weather"]
    assert (call["state"], call["input"], call["output"]) == (
        "output-available",
        {"city": "Lisbon"},
        "Sunny in Lisbon, 24 degrees",
    )
    texts = [p["text"] for p in message["parts"] if p["type"] == "text"]
    assert texts[-1].startswith("The get_weather tool returned: Sunny in Lisbon, 24 degrees")
    signatures = [
        p["providerMetadata"]["bedrock"]["signature"]
        for p in message["parts"]
        if p["type"] == "reasoning"
    ]
    assert signatures and all(signatures)

    # The next turn carries the whole message back: reasoning with its signature, the tool's
    # call and result; Bedrock (here the emulator) takes it and answers.
    (follow,) = run_chats(
        [
            {
                "stream": as_text(result.body),
                "messages": [*chat["sent"]["messages"], message],
                "text": "Thanks",
            }
        ]
    )
    second = post(handler, follow["sent"])
    assert second.error is None and second.status == 200
    (reply,) = run_chats([{"stream": as_text(second.body)}])
    assert reply["status"] == "ready" and any(
        p["type"] == "text" for p in reply["message"]["parts"]
    )


def test_a_bad_body_is_a_400_before_the_stream(bedrock_emulator: Any) -> None:
    handler = runpy.run_path(str(SAMPLE))["handler"]
    result = post(handler, {"messages": []})
    assert result.status == 400
    assert "messages" in json.loads(result.body)["message"]


def test_a_mid_stream_fault_is_an_error_chunk_the_chat_sees_as_failed(
    bedrock_emulator: Any,
) -> None:
    bedrock_emulator.faults.add(
        "exception; code=throttlingException; event=text", operation="converse-stream"
    )
    handler = runpy.run_path(str(SAMPLE))["handler"]
    body = {"messages": [{"id": "u", "role": "user", "parts": [{"type": "text", "text": "Hello"}]}]}
    result = post(handler, body)
    assert result.error is not None
    assert result.body.endswith(b'data: {"type":"error","errorText":"The response failed."}\n\n')
    (chat,) = run_chats([{"stream": as_text(result.body)}])
    assert (chat["status"], chat["onError"]) == ("error", "The response failed.")
    assert [p["type"] for p in chat["message"]["parts"]][:2] == ["step-start", "reasoning"]
