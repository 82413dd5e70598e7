"""A whole :class:`~bedrock_stream.bedrock.assembly.Reply` (a buffered call's) as events.

A buffered model call (``complete_reply``) has no events to stream; :func:`reply_events`
replays its message block by block, then its citations and its stop, so the same
encoder serves buffered and streamed calls, and both kinds can be steps of one UI message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..bedrock.events import (
    BlockStop,
    Event,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    ToolResultDelta,
    ToolResultStart,
)
from ..bedrock.request_blocks import block_kind
from .encoder import encode

if TYPE_CHECKING:
    from ..bedrock.assembly import Reply

__all__ = ["encode_reply", "reply_events"]


def _text(block: Mapping[str, Any], index: int) -> list[Event]:
    return [TextDelta(block["text"], index=index)]


def _reasoning(block: Mapping[str, Any], index: int) -> list[Event]:
    content = block["reasoningContent"]
    if "redactedContent" in content:
        return [ReasoningDelta(redacted=content["redactedContent"], index=index)]
    text = content.get("reasoningText", {})
    return [ReasoningDelta(text.get("text", ""), signature=text.get("signature"), index=index)]


def _tool_use(block: Mapping[str, Any], index: int) -> list[Event]:
    use = block["toolUse"]
    return [ToolCall(use["toolUseId"], use["name"], use["input"], index, use.get("type"))]


def _tool_result(block: Mapping[str, Any], index: int) -> list[Event]:
    result = block["toolResult"]
    start = ToolResultStart(result["toolUseId"], index, result.get("type"), result.get("status"))
    return [start, ToolResultDelta(tuple(result.get("content", ())), index)]


_BLOCKS: dict[str, Callable[[Mapping[str, Any], int], list[Event]]] = {
    "text": _text,
    "reasoningContent": _reasoning,
    "toolUse": _tool_use,
    "toolResult": _tool_result,
}
"""The block kinds a Reply's message holds (see ``assembly``)."""


def reply_events(reply: Reply) -> Iterator[Event]:
    """Yield events that replay ``reply``: each block of its message, its citations, its stop.

    The citations come after the blocks: a message's block positions are not the wire's
    block indices that citations carry (blocks with nothing to echo are left out of it).
    """
    for index, block in enumerate(reply.message.get("content", ())):
        yield from _BLOCKS[block_kind(block)](block, index)
        yield BlockStop(index)
    yield from reply.citations
    if reply.stop is not None:
        yield reply.stop


def encode_reply(reply: Reply, *, message_id: str | None = None) -> bytes:
    """Return the whole UI message stream of one buffered reply, ``[DONE]`` included."""
    return b"".join(encode(reply_events(reply), message_id=message_id))
