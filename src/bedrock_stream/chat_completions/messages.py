"""Chat Completions ``messages`` → a Converse conversation (system blocks and turns).

``system`` and ``developer`` messages become system blocks (an empty one none: Converse
takes no empty system text); ``user`` text and image parts
(``data:`` URLs only: Bedrock takes the image's bytes) become text and image blocks;
``assistant`` content and ``tool_calls`` become text and ``toolUse`` blocks; ``tool``
messages become ``toolResult`` blocks of one user turn (consecutive ones merged). Turns of
the same role in a row are merged, as Converse wants roles to alternate.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .errors import invalid_request

__all__ = ["to_converse"]

_IMAGE_FORMATS = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
}


def _text(content: Any, param: str) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for i, part in enumerate(content):
            if not isinstance(part, Mapping) or part.get("type") != "text":
                raise invalid_request("only text parts are allowed here", f"{param}[{i}]")
            parts.append(_string(part.get("text"), f"{param}[{i}].text"))
        return "".join(parts)
    raise invalid_request("content must be a string or an array of parts", param)


def _string(value: Any, param: str) -> str:
    if not isinstance(value, str):
        raise invalid_request("must be a string", param)
    return value


def _image(part: Mapping[str, Any], param: str) -> dict[str, Any]:
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, Mapping) else None
    if not isinstance(url, str):
        raise invalid_request("image_url.url must be a string", f"{param}.image_url.url")
    if not url.startswith("data:"):
        raise invalid_request(
            "only data: URLs are accepted for images (Bedrock takes the image's bytes)",
            f"{param}.image_url.url",
            "invalid_image_url",
        )
    header, _, data = url[5:].partition(",")
    mime, _, encoding = header.partition(";")
    fmt = _IMAGE_FORMATS.get(mime.lower())
    if fmt is None or encoding != "base64":
        raise invalid_request(
            "an image data URL must be base64 png, jpeg, gif or webp", f"{param}.image_url.url"
        )
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise invalid_request(
            "the image data URL is not base64", f"{param}.image_url.url"
        ) from None
    return {"image": {"format": fmt, "source": {"bytes": raw}}}


def _user_blocks(content: Any, param: str) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"text": content}]
    if not isinstance(content, list):
        raise invalid_request("content must be a string or an array of parts", param)
    blocks: list[dict[str, Any]] = []
    for i, part in enumerate(content):
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind == "text":
            blocks.append({"text": _string(part.get("text"), f"{param}[{i}].text")})
        elif kind == "image_url":
            blocks.append(_image(part, f"{param}[{i}]"))
        else:
            raise invalid_request(f"content part type {kind!r} is not supported", f"{param}[{i}]")
    return blocks


def _tool_use(call: Any, param: str) -> dict[str, Any]:
    function = call.get("function") if isinstance(call, Mapping) else None
    if not isinstance(function, Mapping) or call.get("type", "function") != "function":
        raise invalid_request("a tool call must be a function call", param)
    arguments = function.get("arguments") or "{}"
    try:
        value = json.loads(_string(arguments, f"{param}.function.arguments"))
    except json.JSONDecodeError:
        raise invalid_request(
            "tool call arguments must be JSON", f"{param}.function.arguments"
        ) from None
    return {
        "toolUse": {
            "toolUseId": _string(call.get("id"), f"{param}.id"),
            "name": _string(function.get("name"), f"{param}.function.name"),
            "input": value,
        }
    }


Turn = tuple[str, list[dict[str, Any]]]


def _system(message: Mapping[str, Any], param: str) -> Turn:
    text = _text(message.get("content"), f"{param}.content")
    return "system", [{"text": text}] if text else []  # a system block's text is never empty


def _user(message: Mapping[str, Any], param: str) -> Turn:
    return "user", _user_blocks(message.get("content"), f"{param}.content")


def _assistant(message: Mapping[str, Any], param: str) -> Turn:
    text = _text(message.get("content"), f"{param}.content")
    # Blank text (the "\n\n" some models write before a tool call) Converse refuses: left out.
    blocks: list[dict[str, Any]] = [{"text": text}] if text.strip() else []
    calls = message.get("tool_calls") or []
    if not isinstance(calls, list):
        raise invalid_request("tool_calls must be an array", f"{param}.tool_calls")
    blocks += [_tool_use(c, f"{param}.tool_calls[{i}]") for i, c in enumerate(calls)]
    if not blocks:
        raise invalid_request("an assistant message needs content or tool_calls", param)
    return "assistant", blocks


def _tool(message: Mapping[str, Any], param: str) -> Turn:
    result = {
        "toolUseId": _string(message.get("tool_call_id"), f"{param}.tool_call_id"),
        "content": [{"text": _text(message.get("content"), f"{param}.content")}],
    }
    return "user", [{"toolResult": result}]


_ROLES: dict[str, Callable[[Mapping[str, Any], str], Turn]] = {
    "system": _system,
    "developer": _system,
    "user": _user,
    "assistant": _assistant,
    "tool": _tool,
}


def to_converse(messages: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return ``(system blocks, Converse messages)`` for Chat Completions ``messages``."""
    if not isinstance(messages, Sequence) or isinstance(messages, str) or not messages:
        raise invalid_request("messages must be a non-empty array", "messages")
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    for i, message in enumerate(messages):
        param = f"messages[{i}]"
        role = message.get("role") if isinstance(message, Mapping) else None
        convert = _ROLES.get(role) if isinstance(role, str) else None
        if convert is None:
            raise invalid_request(f"unknown role {role!r}", f"{param}.role")
        kind, blocks = convert(message, param)
        if kind == "system":
            system += blocks
        elif turns and turns[-1]["role"] == kind:
            turns[-1]["content"] += blocks
        else:
            turns.append({"role": kind, "content": blocks})
    if not turns:
        raise invalid_request("messages need at least one user message", "messages")
    return system, turns
