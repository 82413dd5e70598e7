"""The Bedrock page's conversation samples, run against the local Bedrock emulator."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("h11", reason="the emulator needs the local extra")

SAMPLES = Path(__file__).parents[2] / "docs" / "examples" / "bedrock" / "conversation"


def sample(name: str) -> dict[str, Any]:
    return runpy.run_path(str(SAMPLES / f"{name}.py"))


def sent(emulator: Any) -> list[dict[str, Any]]:
    """The JSON bodies the emulator received, oldest first."""
    return [r.body for r in emulator.requests if r.body]


def test_chat_sends_each_reply_back_in_the_history(bedrock_emulator: Any) -> None:
    answers = sample("chat")["chat"](["What do rivers carry?", "And glaciers?"])
    assert len(answers) == 2 and all(answers) and answers[0] != answers[1]
    second = sent(bedrock_emulator)[-1]["messages"]
    assert [m["role"] for m in second] == ["user", "assistant", "user"]
    assert second[1]["content"] == [{"text": answers[0]}]


def test_tool_round_trip_answers_with_the_tools_result(bedrock_emulator: Any) -> None:
    answer = sample("tools")["ask"]("Use get_weather for city=Lisbon")
    assert answer.startswith("The get_weather tool returned: Sunny in Lisbon, 24 degrees")
    first, second = sent(bedrock_emulator)
    assert first["toolConfig"]["tools"][0]["toolSpec"]["name"] == "get_weather"
    call = second["messages"][1]["content"][0]["toolUse"]
    assert call["input"] == {"city": "Lisbon"}
    result = second["messages"][2]["content"][0]["toolResult"]
    assert result["toolUseId"] == call["toolUseId"]


def test_reasoning_goes_back_signed_and_is_accepted(bedrock_emulator: Any) -> None:
    thought, answer = sample("reasoning")["think_twice"]("Why is the sea salty?", "Shorter?")
    assert thought and answer
    first, second = sent(bedrock_emulator)
    assert first["additionalModelRequestFields"]["thinking"]["budget_tokens"] == 1024
    echoed = second["messages"][1]["content"][0]["reasoningContent"]["reasoningText"]
    assert echoed["text"] == thought and echoed["signature"]


def test_citations_quote_the_document(bedrock_emulator: Any) -> None:
    document = "Rivers carry water to the sea. They carry silt as well."
    text, citations = sample("citations")["cite"](document, "What do rivers carry?")
    assert len(citations) == 1
    assert citations[0].text == "Rivers carry water to the sea."
    assert citations[0].title == "handbook"
    assert citations[0].text in text


def test_async_guardrail_streams_text_then_intervenes(bedrock_emulator: Any) -> None:
    from bedrock_stream.bedrock import document_block

    source = document_block("Contraband is seized at the border.", "txt", "customs", citations=True)
    messages = [{"role": "user", "content": [source, {"text": "What happens at the border?"}]}]
    text, intervened = sample("guardrail_async")["guarded"](messages)
    assert intervened
    assert text.startswith("The document customs says:")  # sent before the check caught it
    assert text.endswith("Sorry, the model cannot answer this question.")
    config = sent(bedrock_emulator)[0]["guardrailConfig"]
    assert config["streamProcessingMode"] == "async"


def test_a_cache_point_is_written_then_read(bedrock_emulator: Any) -> None:
    first, second = sample("cache_points")["ask_twice"](
        "You answer questions about rivers.", "Why?"
    )
    assert first is not None and second is not None
    assert first.cache_write_tokens and not first.cache_read_tokens
    assert second.cache_read_tokens == first.cache_write_tokens


def test_latency_and_tier_come_back(bedrock_emulator: Any) -> None:
    assert sample("latency_tier")["fast"]("Quick: what is a delta?") == ("optimized", "priority")
    request = sent(bedrock_emulator)[0]
    assert request["performanceConfig"] == {"latency": "optimized"}
    assert request["serviceTier"] == {"type": "priority"}
