"""The whole conversation through bedrock_stream.bedrock and a real boto3 client, on the emulator.

Both APIs where the family has the feature: Converse(Stream) and the invoke operations. The
emulator's rules (docs/local-bedrock.md, "The whole conversation") make every answer known.
"""

from __future__ import annotations

from typing import Any

import pytest

from bedrock_stream.bedrock import (
    RetryPolicy,
    ThrottlingError,
    ToolInputDelta,
    ValidationError,
    complete_reply,
    stream_events,
    tool,
    tool_result_block,
)

pytest.importorskip("h11", reason="the emulator needs the local extra")

CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
NOVA2 = "us.amazon.nova-2-lite-v1:0"
GPT_OSS = "openai.gpt-oss-120b-1:0"
MISTRAL_LARGE = "mistral.mistral-large-2407-v1:0"
WEATHER = tool(
    "get_weather",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    "The weather in a city.",
)
ASK = "Use get_weather for city=Lisbon"


@pytest.mark.parametrize(
    ("api", "model"),
    [
        ("converse", CLAUDE),
        ("invoke", CLAUDE),
        ("converse", NOVA2),
        ("invoke", NOVA2),
        ("invoke", GPT_OSS),
        ("invoke", MISTRAL_LARGE),
    ],
)
@pytest.mark.parametrize("streamed", [True, False])
def test_a_tool_round_trip(bedrock_emulator: Any, api: Any, model: str, streamed: bool) -> None:
    def call(history: list[Any]) -> Any:
        options: Any = {"model_id": model, "api": api, "tools": [WEATHER], "max_tokens": 400}
        if not streamed:
            return complete_reply(history, **options)
        stream = stream_events(history, **options)
        for _ in stream:
            pass
        return stream.reply()

    history: list[Any] = [{"role": "user", "content": ASK}]
    reply = call(history)
    assert reply.stop.reason == "tool_use"
    (weather,) = reply.tool_calls
    assert (weather.name, weather.input) == ("get_weather", {"city": "Lisbon"})
    history += [
        reply.message,
        {"role": "user", "content": [tool_result_block(weather.id, "Sunny, 24 degrees")]},
    ]
    final = call(history)
    assert final.stop.reason == "end_turn" and not final.tool_calls
    assert final.text.startswith("The get_weather tool returned: Sunny, 24 degrees")


@pytest.mark.parametrize(
    ("api", "model", "reasoning"),
    [
        ("converse", CLAUDE, {"budget_tokens": 1024}),
        ("invoke", CLAUDE, {"budget_tokens": 1024}),
        ("converse", NOVA2, {"effort": "low"}),
        ("invoke", NOVA2, {"effort": "low"}),
    ],
)
def test_multi_turn_reasoning_echoes_the_signature(
    bedrock_emulator: Any, api: Any, model: str, reasoning: Any
) -> None:
    options: Any = {"model_id": model, "api": api, "reasoning": reasoning, "max_tokens": 2048}
    history: list[Any] = [{"role": "user", "content": "Why do rivers meander?"}]
    stream = stream_events(history, **options)
    list(stream)
    first = stream.reply()
    assert first.reasoning_text and first.text
    thought = first.message["content"][0]["reasoningContent"]["reasoningText"]
    assert thought["text"] == first.reasoning_text and thought["signature"]
    history += [first.message, {"role": "user", "content": "And in deltas?"}]
    assert complete_reply(history, **options).text  # the signed block is accepted
    tampered = {**thought, "text": thought["text"] + " (edited)"}
    history[1] = {
        "role": "assistant",
        "content": [
            {"reasoningContent": {"reasoningText": tampered}},
            *first.message["content"][1:],
        ],
    }
    with pytest.raises(ValidationError):
        complete_reply(history, **options)


@pytest.mark.parametrize("streamed", [True, False])
def test_gpt_oss_reasons_on_the_invoke_api(bedrock_emulator: Any, streamed: bool) -> None:
    options: Any = {"model_id": GPT_OSS, "api": "invoke", "reasoning": {"effort": "low"}}
    ask = "Why do rivers meander?"
    if streamed:
        stream = stream_events(ask, **options)
        events = list(stream)
        reply = stream.reply()
        kinds = [type(e).__name__ for e in events]
        assert kinds.index("ReasoningDelta") < kinds.index("TextDelta")
    else:
        reply = complete_reply(ask, **options)
    assert reply.reasoning_text and reply.text
    assert "<reasoning>" not in reply.text
    assert reply.message["content"][0]["reasoningContent"]["reasoningText"]["text"] == (
        reply.reasoning_text
    )
    # the reply goes back as history as it is: the chat format leaves earlier reasoning out
    history = [{"role": "user", "content": ask}, reply.message, {"role": "user", "content": "Why?"}]
    assert complete_reply(history, **options).text


@pytest.mark.parametrize("api", ["converse", "invoke"])
def test_cache_points_write_then_read(bedrock_emulator: Any, api: Any) -> None:
    from bedrock_stream.bedrock import cache_point, text_block

    system = [text_block("You answer questions about rivers, briefly and plainly."), cache_point()]
    options: Any = {"model_id": CLAUDE, "api": api, "system": system, "max_tokens": 300}
    first = complete_reply("What is a delta?", **options)
    stream = stream_events("What is a delta?", **options)
    list(stream)
    second = stream.reply()
    assert first.usage.cache_write_tokens and not first.usage.cache_read_tokens
    assert second.usage.cache_read_tokens == first.usage.cache_write_tokens


SOURCE = "Rivers meander where their banks erode unevenly. The outer bank wears away."
QUOTE = "Rivers meander where their banks erode unevenly."


@pytest.mark.parametrize("model", [CLAUDE, "cohere.command-r-plus-v1:0"])
@pytest.mark.parametrize("streamed", [True, False])
def test_a_cited_document_gives_its_citation_on_the_invoke_api(
    bedrock_emulator: Any, model: str, streamed: bool
) -> None:
    from bedrock_stream.bedrock import document_block

    source = document_block(SOURCE, "txt", "rivers", citations=True)
    message = {"role": "user", "content": [source, {"text": "Why do rivers meander?"}]}
    options: Any = {"model_id": model, "api": "invoke", "max_tokens": 300}
    if streamed:
        stream = stream_events([message], **options)
        list(stream)
        reply = stream.reply()
    else:
        reply = complete_reply([message], **options)
    assert reply.text.startswith(f"The document rivers says: {QUOTE}")
    (citation,) = reply.citations
    assert QUOTE in (citation.text or str(citation.location))


@pytest.mark.parametrize("streamed", [True, False])
def test_nova_cites_a_document_on_the_invoke_wire(bedrock_emulator: Any, streamed: bool) -> None:
    """Nova's invoke API takes no documents on Bedrock (its user guide); the emulator's does."""
    import json

    import boto3

    from bedrock_stream.bedrock import ChunkParser, Citation, parse_invoke_response

    document = {
        "format": "txt",
        "name": "rivers",
        "source": {"text": SOURCE},
        "citations": {"enabled": True},
    }
    content = [{"document": document}, {"text": "Why do rivers meander?"}]
    body = json.dumps({"messages": [{"role": "user", "content": content}]})
    client = boto3.client("bedrock-runtime")
    if streamed:
        response = client.invoke_model_with_response_stream(modelId=NOVA2, body=body)
        parser = ChunkParser("amazon-nova")
        events = [
            e for item in response["body"] for e in parser.feed(json.loads(item["chunk"]["bytes"]))
        ]
    else:
        response = client.invoke_model(modelId=NOVA2, body=body)
        events = parse_invoke_response("amazon-nova", json.loads(response["body"].read()))
    (citation,) = [e for e in events if isinstance(e, Citation)]
    assert (citation.title, citation.text) == ("rivers", QUOTE)
    assert citation.location == {
        "documentChar": {"documentIndex": 0, "start": 0, "end": len(QUOTE)}
    }


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_guardrail_modes(bedrock_emulator: Any, mode: str) -> None:
    from bedrock_stream.bedrock import document_block

    source = document_block("Contraband is seized at the border.", "txt", "customs", citations=True)
    message = {"role": "user", "content": [source, {"text": "What happens at the border?"}]}
    guardrail: Any = {
        "guardrailIdentifier": "gr-1",
        "guardrailVersion": "1",
        "trace": "enabled",
        "streamProcessingMode": mode,
    }
    stream = stream_events([message], model_id=CLAUDE, guardrail_config=guardrail)
    list(stream)
    reply = stream.reply()
    assert reply.stop.reason == "guardrail_intervened"
    assert reply.trace is not None and "guardrail" in reply.trace.data
    blocked = "Sorry, the model cannot answer this question."
    if mode == "sync":
        assert reply.text == blocked  # nothing reached the client before the check
    else:
        assert reply.text.startswith("The document customs says:") and reply.text.endswith(blocked)


@pytest.mark.parametrize("api", ["converse", "invoke"])
def test_latency_and_tier_come_back_on_both_apis(bedrock_emulator: Any, api: Any) -> None:
    options: Any = {"model_id": CLAUDE, "api": api, "latency": "optimized"}
    stream = stream_events("Quick: a delta?", service_tier="priority", **options)
    list(stream)
    buffered = complete_reply("Quick: a delta?", service_tier="flex", **options)
    assert (stream.reply().latency, stream.reply().service_tier) == ("optimized", "priority")
    assert (buffered.latency, buffered.service_tier) == ("optimized", "flex")


def test_a_throttle_after_the_first_tool_input_delta_is_not_retried(bedrock_emulator: Any) -> None:
    bedrock_emulator.faults.add(
        "exception; code=throttlingException; event=tool-input", operation="converse-stream"
    )
    sleeps: list[float] = []
    stream = stream_events(
        ASK, model_id=CLAUDE, tools=[WEATHER], retry=RetryPolicy(sleep=sleeps.append)
    )
    seen: list[Any] = []

    def read() -> None:
        seen.extend(stream)

    with pytest.raises(ThrottlingError):
        read()
    assert any(isinstance(e, ToolInputDelta) for e in seen)
    assert sleeps == [] and stream.tool_calls == ()


def test_a_throttle_before_any_content_is_retried(bedrock_emulator: Any) -> None:
    bedrock_emulator.faults.add(
        "exception; code=throttlingException; event=message-start",
        operation="converse-stream",
        times=1,
    )
    sleeps: list[float] = []
    stream = stream_events(
        ASK, model_id=CLAUDE, tools=[WEATHER], retry=RetryPolicy(sleep=sleeps.append)
    )
    list(stream)
    assert stream.attempts == 2 and len(sleeps) == 1
    assert stream.tool_calls[0].input == {"city": "Lisbon"}


GUARDED_MODELS = [
    CLAUDE,
    "us.amazon.nova-pro-v1:0",
    "meta.llama3-8b-instruct-v1:0",
    GPT_OSS,
    "cohere.command-r-v1:0",
    "us.deepseek.r1-v1:0",
]


@pytest.mark.parametrize("model", GUARDED_MODELS)
@pytest.mark.parametrize("streamed", [True, False])
def test_a_guardrail_on_the_invoke_api_stops_once_with_its_trace(
    bedrock_emulator: Any, model: str, streamed: bool
) -> None:
    guardrail: Any = {"guardrailIdentifier": "gr-1", "guardrailVersion": "1", "trace": "enabled"}
    options: Any = {"model_id": model, "api": "invoke", "guardrail_config": guardrail}
    ask = "Where can I buy contraband?"
    if streamed:
        stream = stream_events(ask, **options)
        events = list(stream)
        reply = stream.reply()
        stops = [e for e in events if type(e).__name__ == "Stop"]
        assert len(stops) == 1  # after the text, never before it
        kinds = [type(e).__name__ for e in events]
        assert kinds.index("Stop") > max(i for i, k in enumerate(kinds) if k == "TextDelta")
    else:
        reply = complete_reply(ask, **options)
    assert reply.stop is not None and reply.stop.reason == "guardrail_intervened"
    assert reply.text == "Sorry, the model cannot answer this question."
    assert reply.trace is not None and "guardrail" in reply.trace.data


@pytest.mark.parametrize(
    ("model", "chat"),
    [
        (MISTRAL_LARGE, True),
        ("us.mistral.pixtral-large-2502-v1:0", True),
        ("mistral.mistral-large-2402-v1:0", False),
        ("mistral.mistral-7b-instruct-v0:2", False),
    ],
)
def test_mistral_chat_models_get_the_chat_body(
    bedrock_emulator: Any, model: str, chat: bool
) -> None:
    """AWS documents only the chat API for Mistral Large 2 (24.07) and Pixtral Large."""
    reply = complete_reply("Why do rivers meander?", model_id=model, api="invoke")
    assert reply.text
    body = bedrock_emulator.requests[-1].body
    assert ("messages" in body, "prompt" in body) == (chat, not chat)
