"""A Chat Completions request → :class:`ChatCompletionRequest`: messages and Bedrock options.

The options are :class:`~bedrock_stream.bedrock.request_options.RequestOptions`, what
``stream_events(messages, model_id=..., **options)`` takes. ``user`` goes to
``request_metadata`` as ``{"user": ...}`` (Bedrock's invocation log filter).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from .errors import invalid_request
from .messages import to_converse
from .refused import check_refused

if TYPE_CHECKING:
    from bedrock_stream.bedrock.request_options import RequestOptions

__all__ = ["ChatCompletionRequest", "parse_request"]

_EFFORTS = ("low", "medium", "high")


@dataclass(frozen=True)
class ChatCompletionRequest:
    """A parsed request: Converse ``messages``, Bedrock ``options``, and its own fields."""

    model: str
    messages: list[dict[str, Any]]
    options: RequestOptions
    stream: bool = False
    include_usage: bool = False
    user: str | None = None


def _number(value: Any, param: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise invalid_request(f"{param} must be a number from {low} to {high}", param)
    return float(value)


def _tokens(value: Any, param: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise invalid_request(f"{param} must be a positive integer", param)
    return value


_METADATA_VALUE = re.compile(r"[a-zA-Z0-9\s:_@$#=/+,\-.]{0,256}")
"""What Bedrock's ``requestMetadata`` takes as a value (the service model's pattern)."""


def _stop(value: Any) -> list[str]:
    stops = [value] if isinstance(value, str) else value
    if (
        not isinstance(stops, list)
        or len(stops) > 4
        or not all(isinstance(s, str) and s for s in stops)
    ):
        raise invalid_request("stop must be a non-empty string or up to 4 of them", "stop")
    return stops


def _tool(entry: Any, param: str) -> dict[str, Any]:
    function = entry.get("function") if isinstance(entry, Mapping) else None
    if not isinstance(function, Mapping) or entry.get("type") != "function":
        raise invalid_request("only function tools are supported", param)
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise invalid_request("a function needs a name", f"{param}.function.name")
    schema = function.get("parameters") or {"type": "object", "properties": {}}
    spec: dict[str, Any] = {"name": name, "inputSchema": {"json": schema}}
    if isinstance(function.get("description"), str):
        spec["description"] = function["description"]
    return {"toolSpec": spec}


def _tool_choice(value: Any) -> Any:
    named = {"auto": "auto", "required": "any"}
    if isinstance(value, str) and value in named:
        return named[value]
    function = value.get("function") if isinstance(value, Mapping) else None
    if isinstance(function, Mapping) and isinstance(function.get("name"), str):
        return {"name": function["name"]}
    raise invalid_request("tool_choice must be auto, none, required or a function", "tool_choice")


def _put_tools(
    body: Mapping[str, Any], options: dict[str, Any], messages: list[dict[str, Any]]
) -> None:
    tools = body.get("tools")
    choice = body.get("tool_choice")
    if choice == "none":  # the model may not call tools: send none, which Converse then needs
        if any("toolUse" in b or "toolResult" in b for m in messages for b in m["content"]):
            raise invalid_request(
                "tool_choice none is not supported with tool calls in the messages: "
                "Bedrock needs the tools then, and has no choice of none",
                "tool_choice",
                "unsupported_parameter",
            )
        return
    if tools is not None:
        if not isinstance(tools, list):
            raise invalid_request("tools must be an array", "tools")
        options["tools"] = [_tool(t, f"tools[{i}]") for i, t in enumerate(tools)] or None
    if choice is not None:
        if not options.get("tools"):
            raise invalid_request("tool_choice needs tools", "tool_choice")
        options["tool_choice"] = _tool_choice(choice)


_OPTIONS: dict[str, Callable[[Any], tuple[str, Any]]] = {
    "temperature": lambda v: ("temperature", _number(v, "temperature", 0, 2)),
    "top_p": lambda v: ("top_p", _number(v, "top_p", 0, 1)),
    "max_tokens": lambda v: ("max_tokens", _tokens(v, "max_tokens")),
    "max_completion_tokens": lambda v: ("max_tokens", _tokens(v, "max_completion_tokens")),
    "stop": lambda v: ("stop_sequences", _stop(v)),
}
"""Request field → (option, value); a null field is left out."""


def _reasoning(value: Any) -> dict[str, Any]:
    if value not in _EFFORTS:
        raise invalid_request("reasoning_effort must be low, medium or high", "reasoning_effort")
    return {"effort": value}


def parse_request(body: bytes | str | Mapping[str, Any]) -> ChatCompletionRequest:
    """Parse a Chat Completions request body.

    Raises:
        HTTPError: 400 in OpenAI's error shape: bad JSON, a bad field, an unknown field, or
            a field we cannot honour set to a value other than its default.
    """
    if not isinstance(body, Mapping):
        try:
            body = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise invalid_request("the request body is not JSON") from None
    if not isinstance(body, Mapping):
        raise invalid_request("the request body must be a JSON object")
    check_refused(body)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise invalid_request("model must be a non-empty string", "model")
    system, messages = to_converse(body.get("messages"))
    options: dict[str, Any] = {}
    for name, option in _OPTIONS.items():
        if body.get(name) is not None:
            key, value = option(body[name])
            options[key] = value
    if system:
        options["system"] = system
    _put_tools(body, options, messages)
    if body.get("reasoning_effort") is not None:
        options["reasoning"] = _reasoning(body["reasoning_effort"])
    user = body.get("user")
    if user is not None:
        if not isinstance(user, str) or not _METADATA_VALUE.fullmatch(user):
            raise invalid_request(
                "user must be at most 256 letters, digits, spaces or :_@$#=/+,-. characters"
                " (Bedrock's request metadata)",
                "user",
            )
        options["request_metadata"] = {"user": user}
    stream = body.get("stream") or False
    if not isinstance(stream, bool):
        raise invalid_request("stream must be a boolean", "stream")
    stream_options = body.get("stream_options") or {}
    if not isinstance(stream_options, Mapping):
        raise invalid_request("stream_options must be an object", "stream_options")
    include_usage = stream_options.get("include_usage") or False
    if not isinstance(include_usage, bool):
        raise invalid_request("must be a boolean", "stream_options.include_usage")
    return ChatCompletionRequest(
        model=model,
        messages=messages,
        options=cast("RequestOptions", options),
        stream=stream,
        include_usage=include_usage,
        user=user,
    )
