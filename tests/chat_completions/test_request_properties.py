"""Property: any valid Chat Completions request parses to a Converse request botocore accepts."""

from __future__ import annotations

import base64
import itertools
import json
from typing import Any

import botocore.session
from botocore.validate import validate_parameters
from hypothesis import given
from hypothesis import strategies as st

from bedrock_stream.bedrock.requests import build_converse_request
from bedrock_stream.chat_completions import parse_request
from bedrock_stream.chat_completions.refused import REFUSED

MODEL = botocore.session.get_session().get_service_model("bedrock-runtime")
SHAPES = {
    stream: MODEL.operation_model(op).input_shape
    for stream, op in [
        (True, "ConverseStream"),
        (False, "Converse"),
    ]
}
MODELS = [
    "us.anthropic.claude-sonnet-4-20250514-v1:0",
    "us.amazon.nova-2-lite-v1:0",
    "openai.gpt-oss-120b-1:0",
]
MIME = ["image/png", "image/jpeg", "image/gif", "image/webp"]

ids = st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True)
names = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,30}", fullmatch=True)
texts = st.text(max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
text_part = st.builds(lambda t: {"type": "text", "text": t}, texts)
image_part = st.builds(
    lambda mime, raw: {
        "type": "image_url",
        "image_url": {"url": f"data:{mime};base64,{base64.b64encode(raw).decode()}"},
    },
    st.sampled_from(MIME),
    st.binary(min_size=1, max_size=16),
)


def text_content(allow_none: bool = False) -> st.SearchStrategy[Any]:
    """A string, an array of text parts, or (where allowed) null."""
    choices = texts | st.lists(text_part, max_size=3)
    return choices | st.none() if allow_none else choices


user_content = texts | st.lists(text_part | image_part, min_size=1, max_size=3)
system_message = st.builds(
    lambda role, content: {"role": role, "content": content},
    st.sampled_from(["system", "developer"]),
    text_content(),
)
tool_call = st.builds(
    lambda id, name, args: {
        "id": id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(args)},
    },
    ids,
    names,
    st.dictionaries(st.text(max_size=5), json_values, max_size=3),
)


@st.composite
def exchange(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A user turn, maybe an assistant turn, and a tool message for each of its calls."""
    out = [{"role": "user", "content": draw(user_content)}]
    if draw(st.booleans()):
        calls = draw(st.lists(tool_call, max_size=3, unique_by=lambda c: c["id"]))
        content = draw(text_content(allow_none=bool(calls)).filter(lambda c: calls or _has_text(c)))
        assistant: dict[str, Any] = {"role": "assistant", "content": content}
        if calls or draw(st.booleans()):
            assistant["tool_calls"] = calls
        out.append(assistant)
        out += [
            {"role": "tool", "tool_call_id": c["id"], "content": draw(text_content())}
            for c in calls
        ]
    return out


def _has_text(content: Any) -> bool:
    if isinstance(content, str):
        return bool(content)
    return isinstance(content, list) and any(p["text"] for p in content)


@st.composite
def conversation(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Exchanges, with system and developer messages anywhere."""
    messages: list[dict[str, Any]] = []
    for turns in draw(st.lists(exchange(), min_size=1, max_size=3)):
        messages += draw(st.lists(system_message, max_size=1))
        messages += turns
    return messages


function_tool = st.builds(
    lambda name, description, properties: {
        "type": "function",
        "function": {
            "name": name,
            **({"description": description} if description is not None else {}),
            **(
                {"parameters": {"type": "object", "properties": properties}}
                if properties is not None
                else {}
            ),
        },
    },
    names,
    st.none() | st.text(min_size=1, max_size=20),
    st.none() | st.dictionaries(names, st.just({"type": "string"}), max_size=2),
)

OPTIONS: dict[str, st.SearchStrategy[Any]] = {
    "temperature": st.none() | st.floats(0, 2) | st.integers(0, 2),
    "top_p": st.none() | st.floats(0, 1),
    "max_tokens": st.none() | st.integers(1, 100_000),
    "max_completion_tokens": st.none() | st.integers(1, 100_000),
    "stop": st.none()
    | st.text(min_size=1, max_size=5)
    | st.lists(st.text(min_size=1, max_size=5), max_size=4),
    "reasoning_effort": st.none() | st.sampled_from(["low", "medium", "high"]),
    "user": st.none() | st.from_regex(r"[a-zA-Z0-9 :_@$#=/+,.-]{1,20}", fullmatch=True),
    "stream": st.none() | st.booleans(),
    "stream_options": st.none()
    | st.fixed_dictionaries({}, optional={"include_usage": st.booleans()}),
}
DEFAULTS = {name: st.sampled_from(values) for name, values in REFUSED.items()}
"""The fields we cannot honour, each at one of the values that leave it unused."""


@st.composite
def request(draw: st.DrawFn) -> dict[str, Any]:
    model = draw(st.sampled_from(MODELS))
    body: dict[str, Any] = {"model": model}
    body["messages"] = messages = draw(conversation())
    for name, values in {**OPTIONS, **DEFAULTS}.items():
        if draw(st.booleans()):
            body[name] = draw(values)
    if "anthropic" in model:  # Claude reasons by a budget: an effort is refused (tested apart)
        body.pop("reasoning_effort", None)
    tools = draw(st.lists(function_tool, max_size=3, unique_by=lambda t: t["function"]["name"]))
    used = any(m.get("tool_calls") or m["role"] == "tool" for m in messages)
    if tools or used:  # Converse wants toolConfig wherever tool blocks are
        tools = tools or [{"type": "function", "function": {"name": "t"}}]
        body["tools"] = tools
        names_ = [t["function"]["name"] for t in tools]
        named = ["auto", "required"] if used else ["auto", "required", "none"]  # none: a 400
        choices = st.sampled_from(named) | st.builds(
            lambda n: {"type": "function", "function": {"name": n}}, st.sampled_from(names_)
        )
        if draw(st.booleans()):
            body["tool_choice"] = draw(choices)
    return body


@given(request(), st.booleans())
def test_any_valid_request_builds_one_botocore_accepts(body: dict[str, Any], stream: bool) -> None:
    parsed = parse_request(json.dumps(body))
    assert parsed.model == body["model"]
    assert parsed.stream == bool(body.get("stream"))
    roles = [m["role"] for m in parsed.messages]
    assert roles[0] == "user" and all(a != b for a, b in itertools.pairwise(roles))
    blocks = [b for m in parsed.messages for b in m["content"]]
    sent = body["messages"]
    assert sum("toolUse" in b for b in blocks) == sum(len(m.get("tool_calls") or []) for m in sent)
    assert sum("toolResult" in b for b in blocks) == sum(m["role"] == "tool" for m in sent)
    system = [m for m in sent if m["role"] in ("system", "developer") and _has_text(m["content"])]
    assert len(parsed.options.get("system") or []) == len(system)
    sends_tools = bool(body.get("tools")) and body.get("tool_choice") != "none"
    assert bool(parsed.options.get("tools")) == sends_tools
    options = {"max_tokens": 1024, **parsed.options}  # the client's default, as stream_events
    built = build_converse_request(parsed.model, parsed.messages, stream=stream, **options)
    validate_parameters(built, SHAPES[stream])


@given(st.fixed_dictionaries({}, optional=DEFAULTS))
def test_the_defaults_of_what_we_cannot_honour_pass(defaults: dict[str, Any]) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], **defaults}
    assert parse_request(body).options == {}
