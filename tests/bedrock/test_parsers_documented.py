"""Documented shapes no recording holds, replayed through a real boto3 client and parsed.

Each file in tests/data/bedrock-documented is one response quoted from AWS's or the model
provider's documentation (its README gives each source). A stream is framed with the
project's ``encode_message`` and decoded by botocore's event stream parser; a body is served
as an InvokeModel response. The parsed events must be the expected ones, one per fact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bedrock_replay import Reply, Server, chunk_frame, stream_reply

from bedrock_stream.bedrock import (
    BlockStart,
    BlockStop,
    ChunkParser,
    Citation,
    Event,
    MessageStart,
    Metrics,
    RawEvent,
    ReasoningDelta,
    Stop,
    TextDelta,
    ToolInputDelta,
    ToolResultDelta,
    ToolResultStart,
    ToolUseStart,
    Trace,
    Usage,
    parse_invoke_response,
)

DOCUMENTED = Path(__file__).parent.parent / "data" / "bedrock-documented"

EXPECTED: dict[str, list[Event]] = {
    "anthropic-body-citations.json": [
        MessageStart(),
        BlockStart(
            index=0, kind="text", data={"type": "text", "text": "According to the document, "}
        ),
        TextDelta(text="According to the document, "),
        BlockStop(index=0),
        BlockStart(
            index=1,
            kind="text",
            data={
                "type": "text",
                "text": "the grass is green",
                "citations": [
                    {
                        "type": "char_location",
                        "cited_text": "The grass is green.",
                        "document_index": 0,
                        "document_title": "Example Document",
                        "start_char_index": 0,
                        "end_char_index": 20,
                    }
                ],
            },
        ),
        TextDelta(text="the grass is green", index=1),
        Citation(
            index=1,
            title="Example Document",
            text="The grass is green.",
            location={
                "type": "char_location",
                "cited_text": "The grass is green.",
                "document_index": 0,
                "document_title": "Example Document",
                "start_char_index": 0,
                "end_char_index": 20,
            },
        ),
        BlockStop(index=1),
        BlockStart(index=2, kind="text", data={"type": "text", "text": " and "}),
        TextDelta(text=" and ", index=2),
        BlockStop(index=2),
        BlockStart(
            index=3,
            kind="text",
            data={
                "type": "text",
                "text": "the sky is blue",
                "citations": [
                    {
                        "type": "char_location",
                        "cited_text": "The sky is blue.",
                        "document_index": 0,
                        "document_title": "Example Document",
                        "start_char_index": 20,
                        "end_char_index": 36,
                    }
                ],
            },
        ),
        TextDelta(text="the sky is blue", index=3),
        Citation(
            index=3,
            title="Example Document",
            text="The sky is blue.",
            location={
                "type": "char_location",
                "cited_text": "The sky is blue.",
                "document_index": 0,
                "document_title": "Example Document",
                "start_char_index": 20,
                "end_char_index": 36,
            },
        ),
        BlockStop(index=3),
        BlockStart(
            index=4,
            kind="text",
            data={"type": "text", "text": ". Information from page 5 states that "},
        ),
        TextDelta(text=". Information from page 5 states that ", index=4),
        BlockStop(index=4),
        BlockStart(
            index=5,
            kind="text",
            data={
                "type": "text",
                "text": "water is essential",
                "citations": [
                    {
                        "type": "page_location",
                        "cited_text": "Water is essential for life.",
                        "document_index": 1,
                        "document_title": "PDF Document",
                        "start_page_number": 5,
                        "end_page_number": 6,
                    }
                ],
            },
        ),
        TextDelta(text="water is essential", index=5),
        Citation(
            index=5,
            title="PDF Document",
            text="Water is essential for life.",
            location={
                "type": "page_location",
                "cited_text": "Water is essential for life.",
                "document_index": 1,
                "document_title": "PDF Document",
                "start_page_number": 5,
                "end_page_number": 6,
            },
        ),
        BlockStop(index=5),
        BlockStart(
            index=6, kind="text", data={"type": "text", "text": ". The custom document mentions "}
        ),
        TextDelta(text=". The custom document mentions ", index=6),
        BlockStop(index=6),
        BlockStart(
            index=7,
            kind="text",
            data={
                "type": "text",
                "text": "important findings",
                "citations": [
                    {
                        "type": "content_block_location",
                        "cited_text": "These are important findings.",
                        "document_index": 2,
                        "document_title": "Custom Content Document",
                        "start_block_index": 0,
                        "end_block_index": 1,
                    }
                ],
            },
        ),
        TextDelta(text="important findings", index=7),
        Citation(
            index=7,
            title="Custom Content Document",
            text="These are important findings.",
            location={
                "type": "content_block_location",
                "cited_text": "These are important findings.",
                "document_index": 2,
                "document_title": "Custom Content Document",
                "start_block_index": 0,
                "end_block_index": 1,
            },
        ),
        BlockStop(index=7),
        Stop(reason="end_turn", raw="end_turn"),
    ],
    "anthropic-body-tool-search.json": [
        MessageStart(),
        BlockStart(
            index=0,
            kind="text",
            data={
                "type": "text",
                "text": "I'll search for tools to help with the weather information.",
            },
        ),
        TextDelta(text="I'll search for tools to help with the weather information."),
        BlockStop(index=0),
        ToolUseStart(
            id="srvtoolu_01ABC123", name="tool_search_tool_regex", index=1, type="server_tool_use"
        ),
        ToolInputDelta(json='{"query": "weather"}', index=1),
        BlockStop(index=1),
        ToolResultStart(tool_use_id="srvtoolu_01ABC123", index=2, type="tool_search_tool_result"),
        ToolResultDelta(
            content=(
                {
                    "json": {
                        "type": "tool_search_tool_search_result",
                        "tool_references": [{"type": "tool_reference", "tool_name": "get_weather"}],
                    }
                },
            ),
            index=2,
        ),
        BlockStop(index=2),
        BlockStart(
            index=3,
            kind="text",
            data={
                "type": "text",
                "text": "I found a weather tool. Let me get the weather for San Francisco.",
            },
        ),
        TextDelta(
            text="I found a weather tool. Let me get the weather for San Francisco.", index=3
        ),
        BlockStop(index=3),
        ToolUseStart(id="toolu_01XYZ789", name="get_weather", index=4),
        ToolInputDelta(json='{"location": "San Francisco", "unit": "fahrenheit"}', index=4),
        BlockStop(index=4),
        Stop(reason="tool_use", raw="tool_use"),
    ],
    "anthropic-stream-citations.json": [
        MessageStart(),
        BlockStart(index=0, kind="text", data={"type": "text", "text": ""}),
        TextDelta(text="According to..."),
        Citation(
            index=0,
            title="Example Document",
            text="The grass is green.",
            location={
                "type": "char_location",
                "cited_text": "The grass is green.",
                "document_index": 0,
                "document_title": "Example Document",
                "start_char_index": 0,
                "end_char_index": 20,
            },
        ),
        BlockStop(index=0),
        Stop(reason="end_turn", raw="end_turn"),
    ],
    "anthropic-stream-server-tool.json": [
        MessageStart(),
        BlockStart(index=0, kind="text", data={"type": "text", "text": ""}),
        ToolUseStart(id="srvtoolu_xyz789", name="web_fetch", index=1, type="server_tool_use"),
        ToolInputDelta(json='{"url":"https://example.com/article"}', index=1),
        ToolResultStart(tool_use_id="srvtoolu_xyz789", index=2, type="web_fetch_tool_result"),
        ToolResultDelta(
            content=(
                {
                    "json": {
                        "type": "web_fetch_result",
                        "url": "https://example.com/article",
                        "content": {
                            "type": "document",
                            "source": {
                                "type": "text",
                                "media_type": "text/plain",
                                "data": "Article content...",
                            },
                        },
                    }
                },
            ),
            index=2,
        ),
    ],
    "anthropic-stream-thinking.json": [
        MessageStart(),
        BlockStart(
            index=0, kind="reasoning", data={"type": "thinking", "thinking": "", "signature": ""}
        ),
        ReasoningDelta(
            text="I need to find the GCD of 1071 and 462 using the Euclidean algorithm."
            "\n\n1071 = 2 \u00d7 462 + 147"
        ),
        ReasoningDelta(
            text="\n462 = 3 \u00d7 147 + 21\n147 = 7 \u00d7 21 + 0\n\nSo GCD(1071, 462) = 21"
        ),
        ReasoningDelta(signature="EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds..."),
        BlockStop(index=0),
        BlockStart(index=1, kind="text", data={"type": "text", "text": ""}),
        TextDelta(text="The greatest common divisor of 1071 and 462 is **21**.", index=1),
        BlockStop(index=1),
        Stop(reason="end_turn", raw="end_turn"),
    ],
    "cohere-r-body-tool-calls.json": [
        MessageStart(),
        TextDelta(text="I will look up the top song on each station."),
        ToolUseStart(id="", name="top_song", index=1),
        ToolInputDelta(json='{"sign": "WZPZ"}', index=1),
        ToolUseStart(id="", name="top_song", index=2),
        ToolInputDelta(json='{"sign": "WKRP"}', index=2),
        BlockStop(index=0),
        BlockStop(index=1),
        BlockStop(index=2),
        Stop(reason="end_turn", raw="COMPLETE"),
    ],
    "cohere-r-stream-citations.json": [
        MessageStart(),
        RawEvent(
            name="chunk",
            data={
                "is_finished": False,
                "event_type": "search-queries-generation",
                "search_queries": [{"text": "tallest penguins", "generation_id": "1648206e"}],
            },
        ),
        TextDelta(text="Emperor penguins are tallest"),
        TextDelta(text="."),
        Citation(
            index=0,
            location={
                "start": 0,
                "end": 28,
                "text": "Emperor penguins are tallest",
                "document_ids": ["doc_0"],
            },
        ),
        BlockStop(index=0),
        Stop(reason="end_turn", raw="COMPLETE"),
    ],
    "cohere-r-stream-tool-calls.json": [
        MessageStart(),
        TextDelta(text="I will look up the top song on each station."),
        ToolUseStart(id="", name="top_song", index=1),
        ToolInputDelta(json='{"sign": "WZPZ"}', index=1),
        ToolUseStart(id="", name="top_song", index=2),
        ToolInputDelta(json='{"sign": "WKRP"}', index=2),
        BlockStop(index=0),
        BlockStop(index=1),
        BlockStop(index=2),
        Stop(reason="end_turn", raw="COMPLETE"),
    ],
    "mistral-body-tool-call.json": [
        MessageStart(),
        ToolUseStart(id="a1B2c3D4e", name="top_song"),
        ToolInputDelta(json='{"sign": "WZPZ"}'),
        BlockStop(index=0),
        Stop(reason="tool_use", raw="tool_calls"),
    ],
    "mistral-stream-tool-call.json": [
        MessageStart(),
        ToolUseStart(id="a1B2c3D4e", name="top_song"),
        ToolInputDelta(json='{"sign": "WZPZ"}'),
        BlockStop(index=0),
        Stop(reason="tool_use", raw="tool_calls"),
    ],
    "nova-stream-reasoning-citation.json": [
        MessageStart(),
        ReasoningDelta(text="The user asks for the capital."),
        BlockStop(index=0),
        TextDelta(text="Paris is the capital of France.", index=1),
        Citation(
            index=1,
            title="France",
            source="https://en.wikipedia.org/wiki/France",
            text="Its capital is Paris.",
            location={
                "web": {"url": "https://en.wikipedia.org/wiki/France", "domain": "en.wikipedia.org"}
            },
        ),
        BlockStop(index=1),
        Stop(reason="end_turn", raw="end_turn"),
        Usage(input_tokens=12, output_tokens=20),
        Metrics(),
        Trace(data={}),
    ],
    "openai-body-tool-call.json": [
        MessageStart(),
        ToolUseStart(id="call_DdmO9pD3xa9XTPNJ32zg2hcA", name="get_weather"),
        ToolInputDelta(json='{"location":"Paris, France"}'),
        BlockStop(index=0),
        Stop(reason="tool_use", raw="tool_calls"),
    ],
    "openai-stream-reasoning.json": [
        MessageStart(),
        ReasoningDelta(text="9.11 and 9.8: compare the tenths."),
        TextDelta(text="9.8 is greater.", index=1),
        BlockStop(index=0),
        BlockStop(index=1),
        Stop(reason="end_turn", raw="stop"),
    ],
    "openai-stream-tool-call.json": [
        MessageStart(),
        ToolUseStart(id="call_DdmO9pD3xa9XTPNJ32zg2hcA", name="get_weather"),
        ToolInputDelta(json='{"'),
        ToolInputDelta(json="location"),
        ToolInputDelta(json='":"'),
        ToolInputDelta(json="Paris"),
        ToolInputDelta(json=","),
        ToolInputDelta(json=" France"),
        ToolInputDelta(json='"}'),
        BlockStop(index=0),
        Stop(reason="tool_use", raw="tool_calls"),
    ],
}


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((DOCUMENTED / name).read_text())
    return document


def replayed(document: dict[str, Any], server: Server, client: Any) -> list[Event]:
    """The events of a documented response, as boto3 hands it over."""
    family, model_id = document["family"], document["model_id"]
    if "chunks" in document:
        server.replies.append(stream_reply(*(chunk_frame(c) for c in document["chunks"])))
        stream = client.invoke_model_with_response_stream(modelId=model_id, body=b"{}")["body"]
        parser = ChunkParser(family)
        return [e for raw in stream for e in parser.feed(json.loads(raw["chunk"]["bytes"]))]
    headers = {"Content-Type": "application/json"}
    server.replies.append(Reply(json.dumps(document["body"]).encode(), 200, headers))
    response = client.invoke_model(modelId=model_id, body=b"{}")
    return parse_invoke_response(family, json.loads(response["body"].read()), {})


def test_every_documented_file_has_its_expectation_and_its_source() -> None:
    files = sorted(path.name for path in DOCUMENTED.glob("*.json"))
    assert files == sorted(EXPECTED)
    readme = (DOCUMENTED / "README.md").read_text()
    for name in files:
        document = load(name)
        assert document["source"].startswith("https://"), name
        assert f"`{name}`" in readme, name
        assert document["source"] in readme, name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_documented_response_parses_to_its_events(name: str, server: Server, client: Any) -> None:
    assert replayed(load(name), server, client) == EXPECTED[name]


@pytest.mark.parametrize(
    ("name", "calls"),
    [
        ("openai-stream-tool-call.json", [("get_weather", {"location": "Paris, France"})]),
        ("openai-body-tool-call.json", [("get_weather", {"location": "Paris, France"})]),
        ("mistral-stream-tool-call.json", [("top_song", {"sign": "WZPZ"})]),
        ("mistral-body-tool-call.json", [("top_song", {"sign": "WZPZ"})]),
        (
            "cohere-r-stream-tool-calls.json",
            [("top_song", {"sign": "WZPZ"}), ("top_song", {"sign": "WKRP"})],
        ),
        (
            "anthropic-body-tool-search.json",
            [
                ("tool_search_tool_regex", {"query": "weather"}),
                ("get_weather", {"location": "San Francisco", "unit": "fahrenheit"}),
            ],
        ),
    ],
)
def test_each_tool_calls_input_is_its_deltas_joined_at_its_block(
    name: str, calls: list[tuple[str, Any]]
) -> None:
    events = EXPECTED[name]
    starts = [e for e in events if isinstance(e, ToolUseStart)]
    assert [s.name for s in starts] == [name for name, _ in calls]
    for start, (_, arguments) in zip(starts, calls, strict=True):
        pieces = [
            e.json for e in events if isinstance(e, ToolInputDelta) and e.index == start.index
        ]
        assert json.loads("".join(pieces)) == arguments
        assert BlockStop(start.index) in events[events.index(start) :]
