"""Converse requests: every one the builder makes is valid for the installed botocore's model."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from request_strategies import (
    CONVERSE_USER_BLOCKS,
    OLD_SERVICE_MODEL,
    REASONING_MODELS,
    SERVICE_MODEL,
    call_options,
    conversations,
    sampling,
    systems,
    tool_choices,
    tool_lists,
)

from bedrock_stream.bedrock.errors import UnknownModelError, UnsupportedOptionError
from bedrock_stream.bedrock.request_blocks import cache_point, image_block, reasoning_block
from bedrock_stream.bedrock.request_floor import check_request_fields
from bedrock_stream.bedrock.request_options import named_tool, tool
from bedrock_stream.bedrock.requests import (
    RequestOptions,
    build_converse_request,
    build_invoke_body,
    build_invoke_request,
    is_prompt_arn,
)

PROMPT_ARN = "arn:aws:bedrock:us-east-1:123456789012:prompt/PROMPT1234:2"
WEATHER = tool("get_weather", {"type": "object"}, "The weather of a city")


def valid(request: dict[str, Any], operation: str = "ConverseStream") -> None:
    """Raise unless botocore's validator and the floor check accept ``request``."""
    validate_parameters(request, SERVICE_MODEL.operation_model(operation).input_shape)
    check_request_fields(SERVICE_MODEL, operation, request)


@st.composite
def requests(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """Any mix of blocks and options, and the operation it is for."""
    stream = draw(st.booleans())
    family = draw(st.sampled_from(sorted(REASONING_MODELS)))
    model_id, reasoning = REASONING_MODELS[family]
    options: dict[str, Any] = draw(sampling) | draw(call_options)
    if not stream and "guardrail_config" in options:
        options["guardrail_config"].pop("streamProcessingMode", None)
    if draw(st.booleans()):
        options["system"] = draw(systems)
    if draw(st.booleans()):
        options["tools"] = tools = draw(tool_lists())
        if draw(st.booleans()):
            options["tool_choice"] = draw(tool_choices(tools))
    if draw(st.booleans()):
        options["reasoning"] = reasoning
    if draw(st.booleans()):
        options["additional_model_request_fields"] = {"top_k": 5}
        options["additional_model_response_field_paths"] = ["/stop_sequence"]
    if draw(st.booleans()):
        options["prompt_variables"] = {"city": "Paris"}
    request = build_converse_request(
        model_id,
        draw(conversations(user=CONVERSE_USER_BLOCKS)),
        max_tokens=draw(st.integers(min_value=1, max_value=4096)),
        stream=stream,
        **options,
    )
    return request, "ConverseStream" if stream else "Converse"


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_every_request_is_valid_for_the_installed_service_model(
    case: tuple[dict[str, Any], str],
) -> None:
    request, operation = case
    valid(request, operation)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_the_floor_check_refuses_exactly_what_an_old_botocore_refuses(
    case: tuple[dict[str, Any], str],
) -> None:
    request, operation = case
    input_shape = OLD_SERVICE_MODEL.operation_model(operation).input_shape
    try:
        check_request_fields(OLD_SERVICE_MODEL, operation, request)
    except UnsupportedOptionError:
        with pytest.raises(ParamValidationError, match="Unknown parameter"):
            validate_parameters(request, input_shape)
    else:
        validate_parameters(request, input_shape)


@given(conversations())
def test_a_conversation_goes_through_in_order(messages: list[dict[str, Any]]) -> None:
    request = build_converse_request("amazon.nova-pro-v1:0", messages, max_tokens=10)
    assert [m["role"] for m in request["messages"]] == [m["role"] for m in messages]
    for sent, given_ in zip(request["messages"], messages, strict=False):
        content = given_["content"]
        assert sent["content"] == ([{"text": content}] if isinstance(content, str) else content)


def test_every_request_option_is_a_keyword_of_the_builders() -> None:
    keywords = set(inspect.signature(build_converse_request).parameters)
    assert set(RequestOptions.__annotations__) <= keywords
    invoke = set(inspect.signature(build_invoke_body).parameters)
    invoke |= set(inspect.signature(build_invoke_request).parameters)
    converse_only = {"prompt_variables", "additional_model_response_field_paths"}
    assert set(RequestOptions.__annotations__) - converse_only <= invoke


def test_only_what_is_set_is_sent() -> None:
    assert build_converse_request("m", "hi", max_tokens=5) == {
        "modelId": "m",
        "messages": [{"role": "user", "content": [{"text": "hi"}]}],
        "inferenceConfig": {"maxTokens": 5},
    }


def test_every_option_lands_in_its_field() -> None:
    request = build_converse_request(
        "us.anthropic.claude-sonnet-4-20250514-v1:0",
        [
            {"role": "user", "content": [{"text": "Weather in Paris?"}, cache_point("1h")]},
            {
                "role": "assistant",
                "content": [
                    reasoning_block("The user wants the weather.", "sig"),
                    {"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {}}},
                ],
            },
            {
                "role": "user",
                "content": [{"toolResult": {"toolUseId": "t1", "content": [{"json": {"c": 21}}]}}],
            },
        ],
        max_tokens=4096,
        system=[{"text": "Be brief."}, cache_point()],
        tools=[WEATHER, cache_point()],
        tool_choice=named_tool("get_weather"),
        reasoning={"budget_tokens": 1024},
        guardrail_config={
            "guardrailIdentifier": "g",
            "guardrailVersion": "1",
            "trace": "enabled",
            "streamProcessingMode": "async",
        },
        latency="optimized",
        service_tier="flex",
        request_metadata={"team": "rivers"},
        additional_model_response_field_paths=["/stop_sequence"],
    )
    valid(request)
    assert request["system"] == [{"text": "Be brief."}, {"cachePoint": {"type": "default"}}]
    assert request["toolConfig"] == {
        "tools": [WEATHER, {"cachePoint": {"type": "default"}}],
        "toolChoice": {"tool": {"name": "get_weather"}},
    }
    assert request["additionalModelRequestFields"] == {
        "thinking": {"type": "enabled", "budget_tokens": 1024}
    }
    assert request["guardrailConfig"]["streamProcessingMode"] == "async"
    assert request["performanceConfig"] == {"latency": "optimized"}
    assert request["serviceTier"] == {"type": "flex"}
    assert request["requestMetadata"] == {"team": "rivers"}
    assert request["additionalModelResponseFieldPaths"] == ["/stop_sequence"]


@pytest.mark.parametrize(
    ("family", "fields"),
    [
        ("anthropic", {"thinking": {"type": "enabled", "budget_tokens": 2048}}),
        ("amazon-nova", {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "medium"}}),
        ("openai", {"reasoning_effort": "low"}),
        ("deepseek", None),
    ],
)
def test_reasoning_is_mapped_per_family(family: str, fields: dict[str, Any] | None) -> None:
    model_id, reasoning = REASONING_MODELS[family]
    request = build_converse_request(model_id, "hi", max_tokens=4096, reasoning=reasoning)
    assert request.get("additionalModelRequestFields") == fields


def test_reasoning_a_family_cannot_express_is_refused_by_name() -> None:
    with pytest.raises(UnsupportedOptionError, match=r"anthropic.*budget_tokens"):
        build_converse_request(
            "anthropic.claude-3-7-sonnet-20250219-v1:0",
            "hi",
            max_tokens=9,
            reasoning={"effort": "low"},
        )
    with pytest.raises(UnsupportedOptionError, match=r"amazon-nova.*effort"):
        build_converse_request(
            "amazon.nova-2-lite-v1:0", "hi", max_tokens=9, reasoning={"budget_tokens": 1024}
        )
    with pytest.raises(UnsupportedOptionError, match=r"meta-llama.*reasoning"):
        build_converse_request("meta.llama3-8b-instruct-v1:0", "hi", max_tokens=9, reasoning={})
    with pytest.raises(UnsupportedOptionError, match=r"deepseek.*always reasons"):
        build_converse_request("deepseek.r1-v1:0", "hi", max_tokens=9, reasoning={"effort": "low"})


def test_reasoning_on_a_model_id_of_no_family_needs_the_family() -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc"
    with pytest.raises(UnknownModelError):
        build_converse_request(arn, "hi", max_tokens=9, reasoning={"effort": "low"})
    request = build_converse_request(
        arn, "hi", max_tokens=9, reasoning={"effort": "low"}, family="amazon-nova"
    )
    assert request["additionalModelRequestFields"]["reasoningConfig"]["maxReasoningEffort"] == "low"


def test_the_escape_hatches_win() -> None:
    request = build_converse_request(
        "anthropic.claude-3-7-sonnet-20250219-v1:0",
        "hi",
        max_tokens=4096,
        reasoning={"budget_tokens": 2048},
        additional_model_request_fields={"thinking": {"type": "disabled"}, "top_k": 3},
        extra={"outputConfig": {"effort": "high"}, "inferenceConfig": {"maxTokens": 7}},
    )
    valid(request)
    assert request["additionalModelRequestFields"] == {"thinking": {"type": "disabled"}, "top_k": 3}
    assert request["outputConfig"] == {"effort": "high"}
    assert request["inferenceConfig"] == {"maxTokens": 7}


def test_a_prompt_arn_takes_variables_and_nothing_the_prompt_defines() -> None:
    assert is_prompt_arn(PROMPT_ARN) and not is_prompt_arn("amazon.nova-pro-v1:0")
    request = build_converse_request(
        PROMPT_ARN, [], max_tokens=None, prompt_variables={"city": "Paris"}
    )
    valid(request)
    assert request == {
        "modelId": PROMPT_ARN,
        "messages": [],
        "promptVariables": {"city": {"text": "Paris"}},
    }
    with pytest.raises(UnsupportedOptionError, match=r"inferenceConfig, system"):
        build_converse_request(PROMPT_ARN, "hi", max_tokens=10, system="no")
    with pytest.raises(UnsupportedOptionError, match=r"toolConfig"):
        build_converse_request(PROMPT_ARN, "hi", max_tokens=None, tools=[WEATHER])


def test_stream_processing_mode_is_for_the_stream_only() -> None:
    config: Any = {
        "guardrailIdentifier": "g",
        "guardrailVersion": "1",
        "streamProcessingMode": "sync",
    }
    valid(build_converse_request("m", "hi", max_tokens=9, guardrail_config=config))
    with pytest.raises(UnsupportedOptionError, match=r"converse_stream only"):
        build_converse_request("m", "hi", max_tokens=9, guardrail_config=config, stream=False)


def test_tool_choice_needs_tools() -> None:
    with pytest.raises(UnsupportedOptionError, match=r"tool_choice needs tools"):
        build_converse_request("m", "hi", max_tokens=9, tool_choice="any")


def test_todays_inputs_keep_working() -> None:
    request = build_converse_request(
        "m",
        [{"role": "user", "content": "hi"}, {"role": "assistant", "content": [{"text": "yo"}]}],
        max_tokens=5,
        system="sys",
    )
    assert request["messages"][0] == {"role": "user", "content": [{"text": "hi"}]}
    assert request["system"] == [{"text": "sys"}]
    valid(
        build_converse_request(
            "m", [{"role": "user", "content": [image_block(b"x", "png")]}], max_tokens=5
        )
    )
