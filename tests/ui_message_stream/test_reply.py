"""A buffered call's Reply encodes to the UI message its streamed twin does (on the emulator)."""

from __future__ import annotations

from typing import Any

import pytest
from ai_chat import as_text, run_chats

from bedrock_stream.bedrock import complete_reply, stream_events, tool
from bedrock_stream.ui_message_stream import encode, encode_reply

pytest.importorskip("h11", reason="the emulator needs the local extra")

CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
WEATHER = tool(
    "get_weather",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


def _parts(message: dict[str, Any]) -> list[Any]:
    keep = ("type", "text", "input", "toolCallId", "providerMetadata", "url", "title")
    return [{k: v for k, v in part.items() if k in keep} for part in message["parts"]]


@pytest.mark.parametrize(
    "prompt", ["Use get_weather for city=Lisbon", "Tell me about Lisbon in a few words"]
)
def test_a_buffered_reply_is_the_streamed_message(bedrock_emulator: Any, prompt: str) -> None:
    options: Any = {
        "model_id": CLAUDE,
        "tools": [WEATHER],
        "reasoning": {"budget_tokens": 1024},
        "max_tokens": 2048,
    }
    history = [{"role": "user", "content": prompt}]
    buffered = encode_reply(complete_reply(history, **options), message_id="m")
    streamed = b"".join(encode(stream_events(history, **options), message_id="m"))
    got, want = run_chats([{"stream": as_text(buffered)}, {"stream": as_text(streamed)}])
    assert got["status"] == want["status"] == "ready"
    assert got["finish"] == want["finish"]
    assert _parts(got["message"]) == _parts(want["message"])
    assert any(p["type"] == "reasoning" for p in got["message"]["parts"])
