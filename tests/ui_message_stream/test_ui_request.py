"""parse_request: the body DefaultChatTransport posts, as Converse messages Bedrock accepts."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from typing import Any

import botocore.session
import pytest
from ai_chat import as_text, run_chats
from botocore.validate import validate_parameters
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_stream.bedrock.requests import build_converse_request
from bedrock_stream.errors import HTTPError
from bedrock_stream.ui_message_stream import encode, parse_request

MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
SHAPE = (
    botocore.session.get_session()
    .get_service_model("bedrock-runtime")
    .operation_model("ConverseStream")
    .input_shape
)
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()


def valid(request: Any) -> None:
    built = build_converse_request(MODEL, request.messages, max_tokens=100, **request.options)
    validate_parameters(built, SHAPE)  # raises ParamValidationError on any error


def user(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"id": "u", "role": "user", "parts": list(parts)}


def assistant(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"id": "a", "role": "assistant", "parts": list(parts)}


def test_what_the_ai_chat_sends_with_a_file_and_extra_fields_parses() -> None:
    files = [
        {
            "type": "file",
            "mediaType": "image/png",
            "filename": "a.png",
            "url": f"data:image/png;base64,{PNG}",
        }
    ]
    (result,) = run_chats(
        [{"stream": as_text(b"".join(encode(["ok"]))), "files": files, "body": {"model": "m1"}}]
    )
    request = parse_request(json.dumps(result["sent"]).encode())
    assert request.body == {"model": "m1"} and request.options == {}
    assert request.messages == [
        {
            "role": "user",
            "content": [
                {"image": {"format": "png", "source": {"bytes": base64.b64decode(PNG)}}},
                {"text": "hi"},
            ],
        }
    ]
    valid(request)


def test_system_documents_redacted_reasoning_and_tool_outcomes() -> None:
    pdf = base64.b64encode(b"%PDF-1.4").decode()
    body = {
        "id": "c",
        "trigger": "regenerate-message",
        "messageId": "a",
        "messages": [
            {"id": "s", "role": "system", "parts": [{"type": "text", "text": "Be brief."}]},
            user(
                {"type": "text", "text": "read this"},
                {
                    "type": "file",
                    "mediaType": "application/pdf",
                    "filename": "Q3 report!.pdf",
                    "url": f"data:application/pdf;base64,{pdf}",
                },
            ),
            assistant(
                {"type": "step-start"},
                {
                    "type": "reasoning",
                    "text": "",
                    "providerMetadata": {"bedrock": {"redactedData": "AAE="}},
                },
                {"type": "reasoning", "text": "no signature: not sent back"},
                {"type": "source-url", "sourceId": "s1", "url": "https://example.com"},
                {"type": "data-progress", "data": 1},
                {
                    "type": "dynamic-tool",
                    "toolName": "calc",
                    "toolCallId": "t1",
                    "state": "output-error",
                    "input": {"x": 1},
                    "errorText": "division by zero",
                },
                {
                    "type": "tool-clock",
                    "toolCallId": "t2",
                    "state": "output-available",
                    "input": {},
                    "output": "12:00",
                },
                {"type": "step-start"},
                {"type": "text", "text": "Done."},
            ),
        ],
    }
    request = parse_request(body)
    assert (request.id, request.trigger, request.message_id) == ("c", "regenerate-message", "a")
    assert request.options == {"system": "Be brief."}
    doc = request.messages[0]["content"][1]["document"]
    assert (doc["format"], doc["name"]) == ("pdf", "Q3 report")
    assert request.messages[1:] == [
        {
            "role": "assistant",
            "content": [
                {"reasoningContent": {"redactedContent": b"\x00\x01"}},
                {"toolUse": {"toolUseId": "t1", "name": "calc", "input": {"x": 1}}},
                {"toolUse": {"toolUseId": "t2", "name": "clock", "input": {}}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "toolResult": {
                        "toolUseId": "t1",
                        "content": [{"text": "division by zero"}],
                        "status": "error",
                    }
                },
                {"toolResult": {"toolUseId": "t2", "content": [{"text": "12:00"}]}},
            ],
        },
        {"role": "assistant", "content": [{"text": "Done."}]},
    ]
    valid(request)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{", "not JSON"),
        (b"[]", "JSON object"),
        ({"messages": []}, "non-empty"),
        ({"messages": [user({"type": "text", "text": "x"})], "trigger": "resume"}, "trigger"),
        ({"messages": [{"role": "tool", "parts": []}]}, "role"),
        ({"messages": [assistant({"type": "text", "text": "x"})]}, "start with a user"),
        (
            {
                "messages": [
                    user({"type": "file", "mediaType": "image/png", "url": "https://x/a.png"})
                ]
            },
            "remote",
        ),
        (
            {
                "messages": [
                    user(
                        {
                            "type": "file",
                            "mediaType": "image/png",
                            "url": "data:image/png;base64,@@",
                        }
                    )
                ]
            },
            "base64",
        ),
        (
            {
                "messages": [
                    user(
                        {
                            "type": "file",
                            "mediaType": "video/mp4",
                            "url": f"data:video/mp4;base64,{PNG}",
                        }
                    )
                ]
            },
            "video/mp4",
        ),
        ({"messages": [user({"type": "x"}), assistant()]}, "'x'"),
        ({"messages": [user({"type": "reasoning", "text": "r"})]}, "assistant"),
        (
            {
                "messages": [
                    user({"type": "text", "text": "q"}),
                    assistant(
                        {
                            "type": "tool-clock",
                            "toolCallId": "t",
                            "state": "input-available",
                            "input": {},
                        }
                    ),
                ]
            },
            "no output",
        ),
        ({"messages": [{"role": "system", "parts": [{"type": "file"}]}]}, "text parts only"),
    ],
)
def test_bad_input_is_a_400_with_a_message(body: Any, words: str) -> None:
    with pytest.raises(HTTPError) as caught:
        parse_request(body)
    assert caught.value.status_code == 400 and words in caught.value.message


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_user_part = st.one_of(
    st.builds(lambda t: {"type": "text", "text": t}, _text),
    st.just({"type": "file", "mediaType": "image/png", "url": f"data:image/png;base64,{PNG}"}),
)
_assistant_part = st.one_of(
    st.just({"type": "step-start"}),
    st.builds(lambda t: {"type": "text", "text": t}, _text),
    st.builds(
        lambda t, s: {
            "type": "reasoning",
            "text": t,
            "providerMetadata": {"bedrock": {"signature": s}},
        },
        _text,
        st.text("abc", min_size=1),
    ),
    st.builds(
        lambda n, i, o: {
            "type": f"tool-{n}",
            "toolCallId": f"id{i}",
            "state": "output-available",
            "input": {"n": i},
            "output": o,
        },
        st.sampled_from(["clock", "calc"]),
        st.integers(0, 99),
        st.one_of(_text, st.dictionaries(st.text("ab", min_size=1), st.integers())),
    ),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(_user_part, max_size=3), st.lists(_assistant_part, max_size=5)),
        min_size=1,
        max_size=3,
    ),
    _text,
)
def test_every_request_that_parses_passes_botocore_validation(turns: Any, last: str) -> None:
    messages: list[Any] = []
    for users, assistants in turns:
        messages += [user({"type": "text", "text": "q"}, *users), assistant(*assistants)]
    messages.append(user({"type": "text", "text": last or "q"}))
    valid(parse_request({"messages": messages}))


def test_importing_the_package_loads_no_botocore() -> None:
    code = "import sys, bedrock_stream.ui_message_stream; print('botocore' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
