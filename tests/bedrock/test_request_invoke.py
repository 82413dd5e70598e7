"""InvokeModel requests: each family's body carries what was asked, or refuses it by name."""

from __future__ import annotations

import base64
import json
from typing import Any, get_args

import pytest
from botocore.validate import validate_parameters
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from request_strategies import (
    SERVICE_MODEL,
    call_options,
    conversations,
    image_blocks,
    text_blocks,
    texts,
    tool_lists,
    tool_results,
    tool_uses,
)

from bedrock_stream.bedrock.errors import UnsupportedOptionError
from bedrock_stream.bedrock.families import Family
from bedrock_stream.bedrock.request_blocks import (
    cache_point,
    document_block,
    image_block,
    reasoning_block,
    redacted_reasoning_block,
    text_block,
    tool_result_block,
    tool_use_block,
)
from bedrock_stream.bedrock.request_floor import check_request_fields
from bedrock_stream.bedrock.request_options import named_tool, tool
from bedrock_stream.bedrock.requests import build_invoke_body, build_invoke_request

WEATHER = tool(
    "get_weather", {"type": "object", "properties": {"city": {"type": "string"}}}, "Weather"
)
HISTORY: list[dict[str, Any]] = [
    {"role": "user", "content": [text_block("Weather in Paris?")]},
    {
        "role": "assistant",
        "content": [
            reasoning_block("Call the tool.", "sig-1"),
            text_block("Let me look."),
            tool_use_block("t1", "get_weather", {"city": "Paris"}),
        ],
    },
    {"role": "user", "content": [tool_result_block("t1", [{"json": {"c": 21}}])]},
]
TEXT_FAMILIES = [
    "amazon-titan-text",
    "meta-llama",
    "mistral",
    "cohere-command",
    "cohere-command-r",
    "ai21-jurassic",
    "deepseek",
]
ALL_FAMILIES: list[Family] = list(get_args(Family))


def body(family: Family, messages: Any = "hi", **options: Any) -> dict[str, Any]:
    built = build_invoke_body(family, messages, max_tokens=4096, **options)
    json.dumps(built)  # every body is JSON
    return built


# Anthropic Messages API


def test_anthropic_history_tools_and_thinking() -> None:
    built = body(
        "anthropic",
        HISTORY,
        system=[text_block("Be brief."), cache_point()],
        tools=[WEATHER, cache_point("1h")],
        tool_choice=named_tool("get_weather"),
        reasoning={"budget_tokens": 1024},
    )
    assert built["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "Call the tool.", "signature": "sig-1"},
                {"type": "text", "text": "Let me look."},
                {"type": "tool_use", "id": "t1", "name": "get_weather", "input": {"city": "Paris"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "t1",
                    "content": [{"type": "text", "text": '{"c": 21}'}],
                }
            ],
        },
    ]
    assert built["system"] == [
        {"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}
    ]
    assert built["tools"] == [
        {
            "name": "get_weather",
            "input_schema": WEATHER["toolSpec"]["inputSchema"]["json"],
            "description": "Weather",
            "cache_control": {"type": "ephemeral", "ttl": "1h"},
        }
    ]
    assert built["tool_choice"] == {"type": "tool", "name": "get_weather"}
    assert built["thinking"] == {"type": "enabled", "budget_tokens": 1024}


def test_anthropic_media_and_redacted_thinking() -> None:
    built = body(
        "anthropic",
        [
            {
                "role": "user",
                "content": [
                    image_block(b"\x89PNG", "png"),
                    document_block(b"%PDF", "pdf", "report", citations=True),
                    document_block("plain words", "txt", "notes"),
                    tool_result_block("t9", "failed", status="error"),
                ],
            },
            {"role": "assistant", "content": [redacted_reasoning_block(b"opaque")]},
        ],
    )
    image, pdf, text, result = built["messages"][0]["content"]
    assert image["source"] == {
        "type": "base64",
        "media_type": "image/png",
        "data": base64.b64encode(b"\x89PNG").decode(),
    }
    assert pdf["source"]["media_type"] == "application/pdf" and pdf["title"] == "report"
    assert pdf["citations"] == {"enabled": True}
    assert text["source"] == {"type": "text", "media_type": "text/plain", "data": "plain words"}
    assert result["is_error"] is True
    assert built["messages"][1]["content"] == [{"type": "redacted_thinking", "data": "opaque"}]


def test_anthropic_tool_choices() -> None:
    for choice, native in [("auto", {"type": "auto"}), ("any", {"type": "any"})]:
        assert body("anthropic", tools=[WEATHER], tool_choice=choice)["tool_choice"] == native


def test_anthropic_refuses_what_messages_cannot_say() -> None:
    with pytest.raises(UnsupportedOptionError, match=r"anthropic.*budget_tokens"):
        body("anthropic", reasoning={"effort": "high"})
    with pytest.raises(UnsupportedOptionError, match=r"anthropic.*cache point before any block"):
        body("anthropic", [{"role": "user", "content": [cache_point()]}])
    with pytest.raises(UnsupportedOptionError, match=r"anthropic.*csv"):
        body("anthropic", [{"role": "user", "content": [document_block(b"a,b", "csv", "t")]}])
    with pytest.raises(UnsupportedOptionError, match=r"anthropic.*video"):
        body(
            "anthropic",
            [
                {
                    "role": "user",
                    "content": [{"video": {"format": "mp4", "source": {"bytes": b"v"}}}],
                }
            ],
        )


# Amazon Nova (Converse's shape on invoke)


def test_nova_keeps_the_converse_shape_with_base64_and_reasoning_at_the_top() -> None:
    messages = [*HISTORY, {"role": "assistant", "content": [image_block(b"img", "jpeg")]}]
    built = body(
        "amazon-nova",
        messages,
        system=[text_block("Be brief."), cache_point()],
        tools=[WEATHER],
        tool_choice="any",
        reasoning={"effort": "high"},
        temperature=0.5,
    )
    assert built["schemaVersion"] == "messages-v1"
    assert built["messages"][:3] == HISTORY
    assert built["messages"][3]["content"][0]["image"]["source"] == {
        "bytes": base64.b64encode(b"img").decode()
    }
    assert built["system"] == [{"text": "Be brief."}, {"cachePoint": {"type": "default"}}]
    assert built["toolConfig"] == {"tools": [WEATHER], "toolChoice": {"any": {}}}
    assert built["inferenceConfig"] == {"maxTokens": 4096, "temperature": 0.5}
    assert built["reasoningConfig"] == {"type": "enabled", "maxReasoningEffort": "high"}


def test_nova_refuses_documents_and_budgets() -> None:
    with pytest.raises(UnsupportedOptionError, match=r"amazon-nova.*document"):
        body("amazon-nova", [{"role": "user", "content": [document_block("x", "txt", "n")]}])
    with pytest.raises(UnsupportedOptionError, match=r"amazon-nova.*effort"):
        body("amazon-nova", reasoning={"budget_tokens": 2000})


# OpenAI-style chat completions (gpt-oss, Qwen, Writer; Jamba)


def test_openai_tool_calls_and_results_are_chat_messages() -> None:
    history = list(HISTORY)
    history[1] = {"role": "assistant", "content": HISTORY[1]["content"][1:]}  # no reasoning
    built = body(
        "openai",
        [*history, {"role": "user", "content": "And Rome?"}],
        system="Be brief.",
        tools=[WEATHER],
        tool_choice="any",
        reasoning={"effort": "high"},
    )
    assert built["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": "Let me look.",
            "tool_calls": [
                {
                    "id": "t1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "t1", "content": '{"c": 21}'},
        {"role": "user", "content": "And Rome?"},
    ]
    assert built["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": WEATHER["toolSpec"]["inputSchema"]["json"],
                "description": "Weather",
            },
        }
    ]
    assert built["tool_choice"] == "required"
    assert built["reasoning_effort"] == "high"
    named = body("openai", tools=[WEATHER], tool_choice=named_tool("get_weather"))
    assert named["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}


def test_openai_refuses_media_and_cache_points_and_leaves_echoed_reasoning_out() -> None:
    with pytest.raises(UnsupportedOptionError, match=r"openai.*image"):
        body("openai", [{"role": "user", "content": [image_block(b"x", "png")]}])
    assistant = body("openai", HISTORY)["messages"][1]
    assert assistant["content"] == "Let me look." and "Call the tool." not in json.dumps(assistant)
    assert assistant["tool_calls"][0]["function"]["name"] == "get_weather"
    with pytest.raises(UnsupportedOptionError, match=r"openai.*cachePoint"):
        body("openai", tools=[WEATHER, cache_point()])
    with pytest.raises(UnsupportedOptionError, match=r"openai.*cachePoint"):
        body("openai", system=[text_block("a"), cache_point()])


def test_jamba_has_openai_tools_but_no_reasoning() -> None:
    assert body("ai21-jamba", tools=[WEATHER])["tools"][0]["function"]["name"] == "get_weather"
    with pytest.raises(UnsupportedOptionError, match=r"ai21-jamba.*reasoning"):
        body("ai21-jamba", reasoning={"effort": "low"})


# Completion-style families and DeepSeek-R1


@pytest.mark.parametrize("family", TEXT_FAMILIES)
def test_text_families_refuse_non_text_blocks_by_name(family: Family) -> None:
    if family not in ("cohere-command-r", "mistral"):  # their chat bodies have tools
        with pytest.raises(UnsupportedOptionError, match=rf"{family}.*tools"):
            body(family, tools=[WEATHER])
    with pytest.raises(UnsupportedOptionError, match=rf"{family}.*image"):
        body(family, [{"role": "user", "content": [image_block(b"x", "png")]}])
    if family != "mistral":  # Mistral's chat body has the assistant's tool_calls
        with pytest.raises(UnsupportedOptionError, match=rf"{family}.*toolUse"):
            body(family, [{"role": "assistant", "content": [tool_use_block("t", "f", {})]}])
    with pytest.raises(UnsupportedOptionError, match=rf"{family}.*cachePoint.*system"):
        body(family, system=[text_block("a"), cache_point()])


def test_cohere_command_r_tools_and_the_last_turns_tool_results() -> None:
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "A city"},
            "days": {"type": "integer"},
        },
        "required": ["city"],
    }
    call = tool_use_block("t1", "get_weather", {"city": "Paris"})
    result = tool_result_block("t1", [{"json": {"c": 21}}, {"text": "sunny"}])
    messages = [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": [text_block("Looking."), call]},
        {"role": "user", "content": [result]},
    ]
    built = body("cohere-command-r", messages, tools=[tool("get_weather", schema, "Weather")])
    assert built["tools"] == [
        {
            "name": "get_weather",
            "parameter_definitions": {
                "city": {"type": "str", "required": True, "description": "A city"},
                "days": {"type": "int", "required": False},
            },
            "description": "Weather",
        }
    ]
    assert built["tool_results"] == [
        {
            "call": {"name": "get_weather", "parameters": {"city": "Paris"}},
            "outputs": [{"c": 21}, {"text": "sunny"}],
        }
    ]
    assert built["chat_history"] == [
        {"role": "USER", "message": "Weather in Paris?"},
        {"role": "CHATBOT", "message": "Looking."},
    ]
    assert built["message"] == ""


@given(
    documents=st.lists(st.tuples(texts, texts, st.booleans()), min_size=1, max_size=3),
    ask=texts,
)
def test_cohere_command_r_sends_documents_as_documents(
    documents: list[tuple[str, str, bool]], ask: str
) -> None:
    blocks = [
        document_block(text.encode() if as_bytes else text, "txt", name)
        for text, name, as_bytes in documents
    ]
    built = body("cohere-command-r", [{"role": "user", "content": [*blocks, text_block(ask)]}])
    assert built["documents"] == [{"title": name, "snippet": text} for text, name, _ in documents]
    assert built["message"] == ask


def test_cohere_command_r_refuses_what_its_chat_body_cannot_say() -> None:
    with pytest.raises(UnsupportedOptionError, match=r"cohere-command-r.*tool_choice"):
        body("cohere-command-r", tools=[WEATHER], tool_choice="auto")
    with pytest.raises(UnsupportedOptionError, match=r"cohere-command-r.*call is not in the turn"):
        body("cohere-command-r", [{"role": "user", "content": [tool_result_block("t", "x")]}])
    deeper = [
        {"role": "assistant", "content": [tool_use_block("t1", "get_weather", {})]},
        HISTORY[2],
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "more"},
    ]
    with pytest.raises(UnsupportedOptionError, match=r"cohere-command-r.*toolUse"):
        body("cohere-command-r", deeper)
    pdf = [{"role": "user", "content": [document_block(b"%PDF", "pdf", "report")]}]
    with pytest.raises(UnsupportedOptionError, match=r"cohere-command-r.*format 'pdf'"):
        body("cohere-command-r", pdf)
    nested = tool("f", {"type": "object", "properties": {"x": {"anyOf": [{"type": "string"}]}}})
    with pytest.raises(UnsupportedOptionError, match=r"cohere-command-r.*JSON type None.*'x'"):
        body("cohere-command-r", tools=[nested])


@pytest.mark.parametrize("family", [f for f in TEXT_FAMILIES if f != "deepseek"])
def test_text_families_have_no_reasoning(family: Family) -> None:
    with pytest.raises(UnsupportedOptionError, match=rf"{family}.*reasoning"):
        body(family, reasoning={"effort": "low"})


def test_deepseek_always_reasons_and_takes_no_setting() -> None:
    assert body("deepseek", reasoning={}) == body("deepseek")
    with pytest.raises(UnsupportedOptionError, match=r"deepseek.*budget_tokens"):
        body("deepseek", reasoning={"budget_tokens": 2048})


def test_native_fields_merge_into_the_body_last() -> None:
    built = body(
        "anthropic",
        reasoning={"budget_tokens": 2048},
        additional_model_request_fields={"top_k": 5, "thinking": {"type": "disabled"}},
    )
    assert built["top_k"] == 5 and built["thinking"] == {"type": "disabled"}


def test_converse_only_and_call_options_are_not_body_options() -> None:
    with pytest.raises(UnsupportedOptionError, match=r"prompt_variables is a Converse option"):
        body("anthropic", prompt_variables={"a": "b"})
    with pytest.raises(
        UnsupportedOptionError, match=r"service_tier is a parameter of the InvokeModel call"
    ):
        body("anthropic", service_tier="flex")
    with pytest.raises(UnsupportedOptionError, match=r"tool_choice needs tools"):
        body("anthropic", tool_choice="auto")
    with pytest.raises(TypeError, match=r"nonsense"):
        body("anthropic", nonsense=1)


# The call's own parameters


def test_the_call_carries_guardrail_latency_tier_and_metadata() -> None:
    call = build_invoke_request(
        "anthropic.claude-3-haiku-20240307-v1:0",
        "anthropic",
        "hi",
        max_tokens=10,
        guardrail_config={
            "guardrailIdentifier": "g",
            "guardrailVersion": "DRAFT",
            "trace": "enabled_full",
            "streamProcessingMode": "async",
        },
        latency="optimized",
        service_tier="priority",
        request_metadata={"team": "rivers"},
    )
    validate_parameters(
        call, SERVICE_MODEL.operation_model("InvokeModelWithResponseStream").input_shape
    )
    assert call["trace"] == "ENABLED_FULL" and call["guardrailVersion"] == "DRAFT"
    assert call["performanceConfigLatency"] == "optimized" and call["serviceTier"] == "priority"
    assert json.loads(call["requestMetadata"]) == {"team": "rivers"}
    sent = json.loads(call["body"])
    assert sent["amazon-bedrock-guardrailConfig"] == {"streamProcessingMode": "ASYNCHRONOUS"}
    sync: Any = {
        "guardrailIdentifier": "g",
        "guardrailVersion": "1",
        "streamProcessingMode": "sync",
    }
    with pytest.raises(UnsupportedOptionError, match=r"streaming calls only"):
        build_invoke_request(
            "m", "anthropic", "hi", max_tokens=10, stream=False, guardrail_config=sync
        )


# Properties


def texts_of(node: Any) -> list[str]:
    """Every string in ``node``, depth first, in order."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [t for value in node.values() for t in texts_of(value)]
    if isinstance(node, list):
        return [t for value in node for t in texts_of(value)]
    return []


FULL = {
    "anthropic": conversations(),
    "amazon-nova": conversations(user=[text_blocks, image_blocks, tool_results]),
    "openai": conversations([text_blocks, tool_results], [text_blocks, tool_uses], cache=False),
    "ai21-jamba": conversations([text_blocks, tool_results], [text_blocks, tool_uses], cache=False),
    "mistral": conversations([text_blocks, tool_results], [text_blocks, tool_uses], cache=False),
}
TOOL_NAMES = {
    "anthropic": lambda sent: [t["name"] for t in sent["tools"]],
    "amazon-nova": lambda sent: [
        t["toolSpec"]["name"] for t in sent["toolConfig"]["tools"] if "toolSpec" in t
    ],
    "openai": lambda sent: [t["function"]["name"] for t in sent["tools"]],
    "ai21-jamba": lambda sent: [t["function"]["name"] for t in sent["tools"]],
    "mistral": lambda sent: [t["function"]["name"] for t in sent["tools"]],
}


def texts_in(blocks: list[dict[str, Any]], joined: bool) -> list[str]:
    """The text blocks' texts, or their concatenation when there are any and ``joined``."""
    found = [b["text"] for b in blocks if "text" in b]
    return ["".join(found)] if joined and found else found


def in_order(expected: list[str], got: list[str]) -> bool:
    """Say whether ``expected`` is a subsequence of ``got``."""
    rest = iter(got)
    return all(any(e == g for g in rest) for e in expected)


@st.composite
def full_cases(draw: st.DrawFn) -> tuple[Family, list[dict[str, Any]], list[dict[str, Any]]]:
    family = draw(st.sampled_from(sorted(FULL)))
    tools = draw(tool_lists(cache=family in ("anthropic", "amazon-nova")))
    if family == "mistral":  # tools make Mistral's body the chat one
        tools = draw(tool_lists(cache=False).filter(bool))
    return family, draw(FULL[family]), tools  # type: ignore[return-value]


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(full_cases(), call_options)
def test_full_families_carry_every_turn_and_every_tool_in_order(
    case: tuple[Family, list[dict[str, Any]], list[dict[str, Any]]], options: dict[str, Any]
) -> None:
    family, messages, tools = case
    call = build_invoke_request("model", family, messages, max_tokens=64, tools=tools, **options)
    input_shape = SERVICE_MODEL.operation_model("InvokeModelWithResponseStream").input_shape
    validate_parameters(call, input_shape)
    check_request_fields(SERVICE_MODEL, "InvokeModelWithResponseStream", call)
    sent = json.loads(call["body"])
    assert TOOL_NAMES[family](sent) == [t["toolSpec"]["name"] for t in tools if "toolSpec" in t]
    joined = family in ("openai", "ai21-jamba", "mistral")  # a chat message's content: a string
    expected = [
        text
        for m in messages
        for text in (
            [m["content"]] if isinstance(m["content"], str) else texts_in(m["content"], joined)
        )
    ]
    assert in_order(expected, texts_of(sent["messages"]))
    if family in ("anthropic", "amazon-nova"):
        assert [m["role"] for m in sent["messages"]] == [m["role"] for m in messages]


@given(
    st.sampled_from(TEXT_FAMILIES),
    conversations(user=[text_blocks], assistant=[text_blocks], cache=False),
    texts,
)
def test_text_families_carry_every_turn_in_order(
    family: Family, messages: list[dict[str, Any]], system: str
) -> None:
    built = body(family, messages, system=system)
    if family == "cohere-command-r":  # earlier turns in chat_history, the last as message
        prompt = "\n".join(
            [h["message"] for h in built.get("chat_history", [])] + [built["message"]]
        )
    else:
        prompt = built.get("prompt") or built["inputText"]
    position = 0
    for message in messages:
        content = message["content"]
        text = content if isinstance(content, str) else "".join(b["text"] for b in content)
        found = prompt.find(text, position)
        assert found >= 0, (family, text)
        position = found + len(text)


@pytest.mark.parametrize("family", ALL_FAMILIES)
def test_every_family_builds_todays_simple_request(family: Family) -> None:
    body(family, [{"role": "user", "content": "hi"}], system="be brief", temperature=0.5)


def test_mistral_sends_its_chat_body_for_tools_and_tool_turns() -> None:
    built = body("mistral", HISTORY[:1], tools=[WEATHER], tool_choice="any")
    assert built["messages"] == [{"role": "user", "content": "Weather in Paris?"}]
    assert built["tools"][0]["function"]["name"] == "get_weather"
    assert built["tool_choice"] == "any" and "prompt" not in built
    turns = [
        HISTORY[0],
        {"role": "assistant", "content": [tool_use_block("t1", "get_weather", {"city": "Paris"})]},
        HISTORY[2],
    ]
    built = body("mistral", turns, system="Be brief.")
    assert [m["role"] for m in built["messages"]] == ["system", "user", "assistant", "tool"]
    assert built["messages"][3] == {"role": "tool", "tool_call_id": "t1", "content": '{"c": 21}'}
    assert "prompt" in body("mistral", "hi")  # text alone: the text completion body
    with pytest.raises(UnsupportedOptionError, match=r"mistral.*named tool_choice"):
        body("mistral", tools=[WEATHER], tool_choice=named_tool("get_weather"))
