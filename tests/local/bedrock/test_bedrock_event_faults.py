"""Faults after the Nth event of a kind: a throttle after the first tool-input delta, and more."""

from __future__ import annotations

import json
from typing import Any

import pytest
import urllib3
from botocore.exceptions import EventStreamError

from bedrock_stream.local.bedrock import BedrockEmulator, StreamFault, Truncate, parse_fault
from bedrock_stream.local.bedrock.faults import EVENT_KINDS, Stall, fires

CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
TOOL = {
    "toolSpec": {
        "name": "find_book",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {"title": {"type": "string"}, "year": {"type": "integer"}},
                "required": ["title", "year"],
            }
        },
    }
}
THINKING = {"thinking": {"type": "enabled", "budget_tokens": 1024}}


def request(**extra: Any) -> dict[str, Any]:
    messages = [{"role": "user", "content": [{"text": "find_book Dune from 1965"}]}]
    return {"modelId": CLAUDE, "messages": messages, "toolConfig": {"tools": [TOOL]}, **extra}


def with_fault(client: Any, spec: str) -> None:
    def add(request: Any, **_: Any) -> None:
        request.headers["X-Bedrock-Stream-Fault"] = spec

    client.meta.events.register("before-send.bedrock-runtime.*", add, unique_id="event-fault")


@pytest.fixture
def faulty(new_client: Any) -> Any:
    return new_client()


def test_throttle_after_the_first_tool_input_delta(faulty: Any, emulator: BedrockEmulator) -> None:
    with_fault(faulty, "exception; code=throttlingException; event=tool-input")
    received: list[dict[str, Any]] = []
    stream = faulty.converse_stream(**request())["stream"]
    with pytest.raises(EventStreamError) as caught:
        received.extend(stream)
    stream.close()
    assert caught.value.response["Error"]["Code"] == "throttlingException"
    inputs = [e for e in received if "toolUse" in e.get("contentBlockDelta", {}).get("delta", {})]
    assert len(inputs) == 1 and received[-1] == inputs[0]
    assert "contentBlockStart" in received[-2]
    assert emulator.requests[-1].outcome == "exception"


@pytest.mark.parametrize(
    ("spec", "last"),
    [
        ("truncate; event=signature", "signature"),
        ("truncate; event=reasoning; nth=2", "text"),
        ("truncate; event=tool-start", "tool-start"),
        ("truncate; event=block-stop; nth=2", "stop"),
        ("truncate; event=message-stop", "message-stop"),
    ],
)
def test_truncate_after_events(faulty: Any, spec: str, last: str) -> None:
    with_fault(faulty, spec)
    events = list(
        faulty.converse_stream(**request(additionalModelRequestFields=THINKING))["stream"]
    )
    final = events[-1]
    if last in ("signature", "text"):
        assert list(final["contentBlockDelta"]["delta"]["reasoningContent"]) == [last]
    elif last == "tool-start":
        assert "contentBlockStart" in final
    elif last == "stop":
        assert final == {"contentBlockStop": {"contentBlockIndex": 1}}
    else:
        assert final == {"messageStop": {"stopReason": "tool_use"}}  # no metadata


def test_citation_and_invoke_stream_events(faulty: Any, emulator: BedrockEmulator) -> None:
    document = {
        "format": "txt",
        "name": "Notes",
        "source": {"text": "Rivers run to the sea."},
        "citations": {"enabled": True},
    }
    content = [{"document": document}, {"text": "What do rivers do?"}]
    with_fault(faulty, "exception; code=modelStreamErrorException; event=citation")
    received: list[dict[str, Any]] = []
    messages = [{"role": "user", "content": content}]
    events = faulty.converse_stream(modelId=CLAUDE, messages=messages)["stream"]
    with pytest.raises(EventStreamError):
        received.extend(events)
    events.close()
    assert "citation" in received[-1]["contentBlockDelta"]["delta"]
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 100,
        "tools": [{"name": "find_book", "input_schema": TOOL["toolSpec"]["inputSchema"]["json"]}],
        "messages": [{"role": "user", "content": "find_book Dune"}],
    }
    emulator.faults.add("disconnect; event=tool-input; nth=2", operation="invoke-stream")
    faulty.meta.events.unregister("before-send.bedrock-runtime.*", unique_id="event-fault")
    stream = faulty.invoke_model_with_response_stream(modelId=CLAUDE, body=json.dumps(body))
    chunks: list[dict[str, Any]] = []
    with pytest.raises(urllib3.exceptions.ProtocolError):  # the connection closes mid-body
        chunks.extend(json.loads(event["chunk"]["bytes"]) for event in stream["body"])
    stream["body"].close()
    partial = [c["delta"]["partial_json"] for c in chunks if c.get("delta", {}).get("partial_json")]
    assert len(partial) == 2
    assert emulator.requests[-1].outcome == "disconnected"


def test_specs_and_objects() -> None:
    assert parse_fault("exception; code=throttlingException; event=tool-input") == StreamFault(
        "throttlingException", 0, None, "tool-input", 1
    )
    assert parse_fault("stall; event=reasoning; nth=3; seconds=1") == Stall(0, 1.0, "reasoning", 3)
    assert parse_fault("truncate; after=4") == Truncate(4)  # token counts as before
    for bad, words in [
        ("truncate; event=tool-input; after=3", "not both"),
        ("truncate; event=toolinput", "unknown event kind"),
        ("truncate; event=text; nth=0", "at least 1"),
        ("guardrail; event=text", "takes no event"),
        ("throttling; event=text", "takes no event"),
        ("truncate; nth=2", "nth needs event"),
    ]:
        with pytest.raises(ValueError, match=words):
            parse_fault(bad)
    assert set(EVENT_KINDS) >= {"tool-input", "reasoning", "signature", "citation", "text"}
    fault = Truncate(event="citation")
    assert not fires(fault, sent=9, seen={"text": 3}, tokens=0, at_end=True)
    assert fires(fault, sent=9, seen={"citation": 1}, tokens=0, at_end=False)
    assert fires(fault, sent=0, seen={}, tokens=0, at_end=True, done=True)  # after the last frame
