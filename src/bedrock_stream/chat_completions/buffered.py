"""A :class:`~bedrock_stream.bedrock.assembly.Reply` → a ``chat.completion`` object."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bedrock_stream.bedrock.events import Usage

from .stream import FINISH_REASONS, completion_id, usage_object

if TYPE_CHECKING:
    from bedrock_stream.bedrock.assembly import Reply

__all__ = ["completion"]


def completion(reply: Reply, model: str, *, created: int, id: str | None = None) -> dict[str, Any]:
    """Return the ``chat.completion`` of ``reply``: text, ``reasoning_content``, tool calls.

    Tool call arguments are JSON strings, as OpenAI sends them. A server tool's call
    (Bedrock ran it) is not the client's to run, and is left out.
    """
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.reasoning_text:
        message["reasoning_content"] = reply.reasoning_text
    calls = [call for call in reply.tool_calls if call.type is None]  # not the server's
    if calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.input)},
            }
            for call in calls
        ]
    finish = FINISH_REASONS[reply.stop.reason] if reply.stop is not None else "stop"
    return {
        "id": id or completion_id(),
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": usage_object(reply.usage or Usage(0, 0)),
    }
