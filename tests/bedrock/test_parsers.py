"""Per-family chunk parsers, with the documented shapes of families without recordings."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bedrock_stream.bedrock import (
    BlockStart,
    ChunkParser,
    Event,
    MalformedChunkError,
    MessageStart,
    ReasoningDelta,
    Stop,
    TextDelta,
    ToolInputDelta,
    ToolUseStart,
    Trace,
    UnknownModelError,
    Usage,
    build_converse_request,
    build_invoke_body,
    converse_events,
    converse_response_events,
    normalize_stop_reason,
    parse_invoke_response,
    resolve_family,
)
from bedrock_stream.bedrock.families import FAMILIES


def feed(family: Any, chunks: list[Any]) -> list[Event]:
    parser = ChunkParser(family)
    return [event for chunk in chunks for event in parser.feed(chunk)]


def text_of(events: list[Event]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def reasoning_of(events: list[Event]) -> str:
    return "".join(e.text for e in events if isinstance(e, ReasoningDelta))


@pytest.mark.parametrize(
    ("model_id", "family"),
    [
        ("anthropic.claude-3-haiku-20240307-v1:0", "anthropic"),
        ("us.anthropic.claude-sonnet-4-20250514-v1:0", "anthropic"),
        ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic"),
        ("apac.amazon.nova-pro-v1:0", "amazon-nova"),
        ("eu.meta.llama3-2-1b-instruct-v1:0", "meta-llama"),
        ("us-gov.meta.llama3-8b-instruct-v1:0", "meta-llama"),
        ("amazon.titan-tg1-large", "amazon-titan-text"),
        ("cohere.command-r-plus-v1:0", "cohere-command-r"),
        ("cohere.command-text-v14", "cohere-command"),
        ("ai21.jamba-1-5-mini-v1:0", "ai21-jamba"),
        ("us.deepseek.r1-v1:0", "deepseek"),
        ("openai.gpt-oss-120b-1:0", "openai"),
        ("qwen.qwen3-32b-v1:0", "openai"),
        ("us.writer.palmyra-x5-v1:0", "openai"),
        ("mistral.mistral-large-2407-v1:0", "mistral"),
        ("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0", "amazon-nova"),
        (
            "arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.meta.llama3-8b-v1:0",
            "meta-llama",
        ),
    ],
)
def test_resolve_family(model_id: str, family: str) -> None:
    assert resolve_family(model_id) == family


@pytest.mark.parametrize(
    "model_id",
    [
        "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc123",
        "arn:aws:bedrock:us-east-1:111122223333:provisioned-model/abc123",
        "does-not-exist",
        "us.acme.model-v1",
    ],
)
def test_unresolvable_ids_need_an_explicit_family(model_id: str) -> None:
    with pytest.raises(UnknownModelError, match="family="):
        resolve_family(model_id)
    assert resolve_family(model_id, "anthropic") == "anthropic"


def test_unknown_explicit_family() -> None:
    with pytest.raises(UnknownModelError):
        resolve_family("anthropic.claude-v2", "anthropics")


def test_deepseek_reasoning_before_think_end_split_across_chunks() -> None:
    chunks = [
        {"choices": [{"text": "Let me th"}]},
        {"choices": [{"text": "ink.</th"}]},
        {"choices": [{"text": "ink>\n\nThe answer"}]},
        {"choices": [{"text": " is 4.", "stop_reason": "stop"}]},
    ]
    events = feed("deepseek", chunks)
    assert reasoning_of(events) == "Let me think."
    assert text_of(events) == "The answer is 4."
    assert events[-1] == Stop("end_turn", "stop")


def test_mistral_chat_choices_shape() -> None:
    chunks = [
        {"choices": [{"index": 0, "message": {"role": "assistant", "content": "Bon"}}]},
        {"choices": [{"index": 0, "message": {"content": "jour"}, "stop_reason": "length"}]},
    ]
    events = feed("mistral", chunks)
    assert text_of(events) == "Bonjour"
    assert events[-1] == Stop("max_tokens", "length")


def test_openai_style_with_reasoning_and_writer_done() -> None:
    chunks = [
        {"choices": [{"delta": {"role": "assistant", "reasoning_content": "hmm"}}]},
        {"choices": [{"delta": {"content": "Hi"}, "finish_reason": None}]},
        {"choices": [{"delta": {}, "finish_reason": "stop"}]},
        "[DONE]",
    ]
    events = feed("openai", chunks)
    assert reasoning_of(events) == "hmm"
    assert text_of(events) == "Hi"
    assert events[-1] == Stop("end_turn", "stop")


def test_jamba_usage_without_invocation_metrics() -> None:
    chunk = {
        "choices": [{"delta": {"content": "x"}, "finish_reason": "length"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1},
    }
    assert feed("ai21-jamba", [chunk])[-1] == Usage(5, 1)


@given(
    prompt=st.integers(min_value=0, max_value=10**6),
    completion=st.integers(min_value=0, max_value=10**6),
    cached=st.none() | st.integers(min_value=0, max_value=10**6),
)
def test_openai_usage_reads_its_cached_prompt_tokens(
    prompt: int, completion: int, cached: int | None
) -> None:
    """OpenAI's chat completion usage: ``prompt_tokens_details.cached_tokens``."""
    usage: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": completion}
    if cached is not None:
        usage["prompt_tokens_details"] = {"cached_tokens": cached, "audio_tokens": 0}
    events = feed("openai", [{"choices": [], "usage": usage}])
    assert events == [Usage(prompt, completion, cache_read_tokens=cached)]


def test_anthropic_thinking_tool_use_and_stop() -> None:
    chunks = [
        {"type": "message_start", "message": {"usage": {"input_tokens": 3}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking"}},
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "t"},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": "s"},
        },
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {"type": "tool_use", "id": "tu1", "name": "get", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": "{}"},
        },
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}},
        {"type": "message_stop", "unknown": 1},
    ]
    assert feed("anthropic", chunks) == [
        MessageStart(),
        BlockStart(0, "reasoning", {"type": "thinking"}),
        ReasoningDelta(text="t"),
        ReasoningDelta(signature="s"),
        ToolUseStart("tu1", "get", 1),
        ToolInputDelta("{}", 1),
        Stop("tool_use", "tool_use"),
    ]


def test_anthropic_redacted_thinking() -> None:
    chunk = {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "redacted_thinking", "data": "opaque"},
    }
    assert feed("anthropic", [chunk]) == [
        BlockStart(0, "redacted_reasoning", chunk["content_block"]),
        ReasoningDelta(redacted=b"opaque"),
    ]


def test_converse_redacted_reasoning() -> None:
    event = {"contentBlockDelta": {"delta": {"reasoningContent": {"redactedContent": b"\x01"}}}}
    assert converse_events(event) == [ReasoningDelta(redacted=b"\x01")]


def test_guardrail_intervened_is_a_terminal_stop() -> None:
    chunk = {"outputText": "", "amazon-bedrock-guardrailAction": "INTERVENED"}
    parser = ChunkParser("amazon-titan-text")
    assert parser.feed(chunk) == []  # text may go on (the guardrail's message)
    assert parser.finish() == [Stop("guardrail_intervened", None)]
    assert parser.finish() == []


def test_after_an_intervention_a_stream_has_one_stop_after_its_text() -> None:
    # Bedrock flags every chunk from the cut on; the model's own stop comes later, then the
    # metrics chunk. Only one stop may come out, after all the text.
    def chunk(text: str, stop: str | None = None, **extra: object) -> dict[str, object]:
        return {"generation": text, "stop_reason": stop, **extra}

    flag = {"amazon-bedrock-guardrailAction": "INTERVENED"}
    metrics = {"inputTokenCount": 3, "outputTokenCount": 4}
    trace = {"guardrail": {"outputAssessments": {}}}
    parser = ChunkParser("meta-llama")
    events = [
        *parser.feed(chunk("Safe ")),
        *parser.feed(chunk("Sorry", **flag)),
        *parser.feed(chunk(".", "stop", **flag)),
        *parser.feed(
            chunk(
                "",
                **flag,
                **{"amazon-bedrock-invocationMetrics": metrics, "amazon-bedrock-trace": trace},
            )
        ),
        *parser.finish(),
    ]
    stops = [e for e in events if isinstance(e, Stop)]
    assert stops == [Stop("guardrail_intervened", "stop")]
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("Stop") > max(i for i, k in enumerate(kinds) if k == "TextDelta")
    assert Trace(trace) in events


def test_a_buffered_body_the_guardrail_blocked_stops_as_intervened() -> None:
    body = {
        "content": [{"type": "text", "text": "Sorry."}],
        "stop_reason": "end_turn",
        "amazon-bedrock-guardrailAction": "INTERVENED",
        "amazon-bedrock-trace": {"guardrail": {}},
    }
    events = parse_invoke_response("anthropic", body)
    assert [e for e in events if isinstance(e, Stop)] == [Stop("guardrail_intervened", "end_turn")]
    assert Trace({"guardrail": {}}) in events


def test_stop_reason_normalization() -> None:
    assert normalize_stop_reason("LENGTH") == "max_tokens"
    assert normalize_stop_reason("MAX_TOKENS") == "max_tokens"
    assert normalize_stop_reason("FINISH") == "end_turn"
    assert normalize_stop_reason("COMPLETE") == "end_turn"
    assert normalize_stop_reason("guardrail_intervened") == "guardrail_intervened"
    assert normalize_stop_reason("something_new") == "other"
    assert normalize_stop_reason(None) == "other"


@given(st.lists(st.text(alphabet="ab\n</think>", max_size=12), max_size=10))
def test_deepseek_never_loses_or_duplicates_characters(parts: list[str]) -> None:
    chunks = [{"choices": [{"text": p}]} for p in parts]
    chunks.append({"choices": [{"text": "", "stop_reason": "stop"}]})
    events = feed("deepseek", chunks)
    whole = "".join(parts)
    head, sep, tail = whole.partition("</think>")
    if sep:
        assert reasoning_of(events) == head
        assert text_of(events) == tail.lstrip("\n")
    else:
        assert reasoning_of(events) == whole
        assert text_of(events) == ""


@pytest.mark.parametrize("family", FAMILIES)
def test_invoke_bodies_always_send_max_tokens(family: Any) -> None:
    body = build_invoke_body(
        family,
        [{"role": "user", "content": "hi"}],
        max_tokens=77,
        system="be brief",
        temperature=0.5,
        top_p=0.9,
        stop_sequences=["END"],
    )
    assert 77 in _values(body)


def _values(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [v for value in node.values() for v in _values(value)]
    if isinstance(node, list):
        return [v for value in node for v in _values(value)]
    return [node]


def test_converse_request() -> None:
    request = build_converse_request(
        "m", "hi", max_tokens=5, system="sys", temperature=0.1, stop_sequences=["x"]
    )
    assert request == {
        "modelId": "m",
        "messages": [{"role": "user", "content": [{"text": "hi"}]}],
        "inferenceConfig": {"maxTokens": 5, "temperature": 0.1, "stopSequences": ["x"]},
        "system": [{"text": "sys"}],
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "delta",
                    "text",
                    "outputs",
                    "choices",
                    "generation",
                    "completion",
                    "stop_reason",
                    "stop",
                    "contentBlockDelta",
                    "messageStop",
                    "index",
                    "x",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@given(family=st.sampled_from(FAMILIES), chunks=st.lists(json_values, max_size=4))
def test_any_json_chunk_gives_events_or_a_malformed_chunk_error(
    family: Any, chunks: list[Any]
) -> None:
    parser = ChunkParser(family)
    for chunk in chunks:
        try:
            events = parser.feed(chunk)
        except MalformedChunkError:
            continue
        assert isinstance(events, list)


@given(family=st.sampled_from(FAMILIES), document=json_values)
def test_every_parser_gives_events_or_a_malformed_chunk_error_on_any_json(
    family: Any, document: Any
) -> None:
    parsers = (
        converse_events,
        converse_response_events,
        lambda body: parse_invoke_response(family, body, {}),
    )
    for parse in parsers:
        try:
            events = parse(document)
        except MalformedChunkError:
            continue
        assert isinstance(events, list)


@pytest.mark.parametrize(
    "event",
    [3, {"contentBlockDelta": {"delta": {"text": "a"}, "contentBlockIndex": "x"}}],
    ids=["not-an-object", "index-not-a-number"],
)
def test_a_converse_event_of_the_wrong_shape_is_a_malformed_chunk(event: Any) -> None:
    with pytest.raises(MalformedChunkError, match="a ConverseStream event does not have"):
        converse_events(event)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Amzn-Bedrock-Input-Token-Count": "12", "X-Amzn-Bedrock-Output-Token-Count": "3"},
        {"x-amzn-bedrock-input-token-count": "12", "x-amzn-bedrock-output-token-count": "3"},
    ],
)
def test_an_invoke_responses_token_headers_are_read_in_any_case(headers: dict[str, str]) -> None:
    body = {"content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn"}
    events = parse_invoke_response("anthropic", body, headers)
    assert Usage(12, 3) in events
    assert not any(isinstance(e, Usage) for e in parse_invoke_response("anthropic", body, {}))
