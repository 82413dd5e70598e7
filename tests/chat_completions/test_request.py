"""Chat Completions requests → Converse requests botocore accepts, and OpenAI-shaped 400s."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import botocore.session
import pytest
from botocore.validate import validate_parameters

from bedrock_stream.bedrock.requests import build_converse_request
from bedrock_stream.chat_completions import parse_request
from bedrock_stream.errors import HTTPError

INPUT = botocore.session.get_session().get_service_model("bedrock-runtime")
SHAPE = INPUT.operation_model("ConverseStream").input_shape
MESSAGES = [{"role": "user", "content": "x"}]
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()

FULL = {
    "model": "anthropic.claude-3-haiku-20240307-v1:0",
    "messages": [
        {"role": "system", "content": "be brief"},
        {"role": "developer", "content": [{"type": "text", "text": "and kind"}]},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what time?"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "clock", "arguments": "{}"}},
                {"id": "b", "type": "function", "function": {"name": "clock", "arguments": "{}"}},
            ],
        },
        {"role": "tool", "tool_call_id": "a", "content": "12:00"},
        {"role": "tool", "tool_call_id": "b", "content": [{"type": "text", "text": "12:01"}]},
    ],
    "max_completion_tokens": 100,
    "temperature": 0.5,
    "top_p": 0.9,
    "stop": "END",
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "clock",
                "description": "the time",
                "parameters": {"type": "object", "properties": {}},
            },
        }
    ],
    "tool_choice": {"type": "function", "function": {"name": "clock"}},
    "stream": True,
    "stream_options": {"include_usage": True},
    "user": "u1",
    "n": 1,
    "presence_penalty": 0,
    "frequency_penalty": 0.0,
    "logprobs": False,
}


def test_every_mapped_field_builds_a_request_botocore_accepts() -> None:
    request = parse_request(json.dumps(FULL))
    assert request.stream and request.include_usage and request.user == "u1"
    roles = [m["role"] for m in request.messages]
    assert roles == ["user", "assistant", "user"]
    assert [list(b) for b in request.messages[2]["content"]] == [["toolResult"], ["toolResult"]]
    assert request.options["system"] == [{"text": "be brief"}, {"text": "and kind"}]
    assert request.options["tool_choice"] == {"name": "clock"}
    assert request.options["stop_sequences"] == ["END"]
    built = build_converse_request(request.model, request.messages, **request.options)
    validate_parameters(built, SHAPE)
    assert built["requestMetadata"] == {"user": "u1"}


def test_reasoning_effort_maps_to_the_reasoning_option() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "reasoning_effort": "low"}
    assert parse_request(body).options["reasoning"] == {"effort": "low"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("n", 2),
        ("logprobs", True),
        ("presence_penalty", 0.5),
        ("frequency_penalty", -1),
        ("logit_bias", {"1": 2}),
        ("seed", 1),
        ("response_format", {"type": "json_object"}),
        ("parallel_tool_calls", False),
        ("no_such_field", 1),
        ("n", True),
    ],
)
def test_what_we_cannot_honour_is_a_400(field: str, value: object) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], field: value}
    with pytest.raises(HTTPError) as caught:
        parse_request(body)
    assert caught.value.status_code == 400
    assert caught.value.body is not None
    error = caught.value.body["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == field


def test_http_image_urls_are_refused() -> None:
    part = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    body = {"model": "m", "messages": [{"role": "user", "content": [part]}]}
    with pytest.raises(HTTPError) as caught:
        parse_request(body)
    assert caught.value.status_code == 400


@pytest.mark.parametrize("body", [b"{", b"[]", {"model": "m"}, {"messages": []}])
def test_bad_bodies_are_400(body: object) -> None:
    with pytest.raises(HTTPError) as caught:
        parse_request(body)  # type: ignore[arg-type]
    assert caught.value.status_code == 400


def test_importing_the_package_imports_no_botocore() -> None:
    code = "import sys, bedrock_stream.chat_completions; print('botocore' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_an_empty_system_message_sends_no_system_block() -> None:
    body = {"model": "m", "messages": [{"role": "system", "content": ""}, *MESSAGES]}
    request = parse_request(body)
    assert "system" not in request.options
    built = build_converse_request(
        request.model, request.messages, max_tokens=10, **request.options
    )
    validate_parameters(built, SHAPE)


def test_tool_choice_none_with_tool_calls_in_the_history_is_a_400() -> None:
    """Converse needs toolConfig wherever tool blocks are, and its toolChoice has no none."""
    history = [message for message in FULL["messages"] if message["role"] != "system"]
    body = {**FULL, "messages": history, "tool_choice": "none"}
    with pytest.raises(HTTPError) as caught:
        parse_request(body)
    assert caught.value.status_code == 400 and caught.value.body is not None
    assert caught.value.body["error"]["param"] == "tool_choice"
    alone = {**body, "messages": MESSAGES}
    assert "tools" not in parse_request(alone).options  # no tool blocks: no tools sent


USER = [{"role": "user", "content": "x"}]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tools", ["x"]),
        ("tools", [1]),
        ("stop", ""),
        ("stop", ["a", ""]),
        ("stop", ["a", "b", "c", "d", "e"]),
        ("user", "x" * 257),
        ("user", "tab\tok but not <this>"),
    ],
)
def test_values_botocore_or_bedrock_would_refuse_are_a_400_naming_the_field(
    field: str, value: object
) -> None:
    with pytest.raises(HTTPError) as caught:
        parse_request({"model": "m", "messages": USER, field: value})
    assert caught.value.status_code == 400 and caught.value.body is not None
    assert caught.value.body["error"]["param"].split("[")[0] == field


def test_blank_assistant_text_before_tool_calls_is_left_out() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    history = [
        *USER,
        {"role": "assistant", "content": "\n\n", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "done"},
    ]
    tools = [{"type": "function", "function": {"name": "f"}}]
    request = parse_request({"model": "m", "messages": history, "tools": tools})
    assert request.messages[1]["content"] == [
        {"toolUse": {"toolUseId": "c1", "name": "f", "input": {}}}
    ]
    built = build_converse_request(
        request.model, request.messages, max_tokens=10, **request.options
    )
    validate_parameters(built, SHAPE)
