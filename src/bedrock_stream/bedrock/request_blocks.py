"""The conversation a request carries: messages and content blocks, in Converse's shape.

The TypedDicts spell the Converse API's own keys (``toolUse``, ``reasoningContent`` ...), so a
message a Converse response returned can be sent back as it is. The small constructors build
the common blocks; any other Converse block (``video``, ``audio``, ``guardContent``,
``searchResult`` ...) is accepted as a plain mapping and passed through to Converse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypedDict

if TYPE_CHECKING:  # the annotations stay strings: no import at run time
    from typing_extensions import NotRequired

__all__ = [
    "CachePointBlock",
    "ContentBlock",
    "DocumentBlock",
    "DocumentFormat",
    "ImageBlock",
    "ImageFormat",
    "Message",
    "Messages",
    "ReasoningBlock",
    "SystemBlock",
    "TextBlock",
    "ToolResultBlock",
    "ToolUseBlock",
    "block_kind",
    "cache_point",
    "document_block",
    "image_block",
    "reasoning_block",
    "redacted_reasoning_block",
    "text_block",
    "to_messages",
    "tool_result_block",
    "tool_use_block",
]

ImageFormat = Literal["png", "jpeg", "gif", "webp"]
DocumentFormat = Literal["pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"]


class TextBlock(TypedDict):
    """``{"text": ...}``."""

    text: str


class _Source(TypedDict, total=False):
    bytes: bytes
    text: str
    s3Location: Mapping[str, str]


class _Image(TypedDict):
    format: ImageFormat
    source: _Source


class ImageBlock(TypedDict):
    """``{"image": {"format": "png", "source": {"bytes": b"..."}}}``."""

    image: _Image


class _Document(TypedDict):
    format: DocumentFormat
    name: str
    source: _Source
    context: NotRequired[str]
    citations: NotRequired[Mapping[str, bool]]


class DocumentBlock(TypedDict):
    """``{"document": {"format": "pdf", "name": ..., "source": {"bytes": b"..."}}}``."""

    document: _Document


class _ToolUse(TypedDict):
    toolUseId: str
    name: str
    input: Any


class ToolUseBlock(TypedDict):
    """An assistant's tool call, sent back in the history: ``{"toolUse": {...}}``."""

    toolUse: _ToolUse


class _ToolResult(TypedDict):
    toolUseId: str
    content: Sequence[Mapping[str, Any]]
    status: NotRequired[Literal["success", "error"]]


class ToolResultBlock(TypedDict):
    """A tool's answer, in a user message: ``{"toolResult": {...}}``."""

    toolResult: _ToolResult


class _ReasoningText(TypedDict):
    text: str
    signature: NotRequired[str]


class _Reasoning(TypedDict, total=False):
    reasoningText: _ReasoningText
    redactedContent: bytes


class ReasoningBlock(TypedDict):
    """An assistant's reasoning, echoed back with its signature: ``{"reasoningContent": ...}``."""

    reasoningContent: _Reasoning


class _CachePoint(TypedDict):
    type: Literal["default"]
    ttl: NotRequired[Literal["5m", "1h"]]


class CachePointBlock(TypedDict):
    """``{"cachePoint": {"type": "default"}}``: cache the prompt up to here."""

    cachePoint: _CachePoint


ContentBlock = (
    TextBlock
    | ImageBlock
    | DocumentBlock
    | ToolUseBlock
    | ToolResultBlock
    | ReasoningBlock
    | CachePointBlock
    | Mapping[str, Any]
)
"""One content block of a message; a plain mapping for the Converse blocks not typed here."""

SystemBlock = TextBlock | CachePointBlock | Mapping[str, Any]
"""One block of the system prompt: text, a cache point, or another Converse system block."""


class Message(TypedDict):
    """One turn: ``{"role": "user" | "assistant", "content": "text" | [block, ...]}``."""

    role: Literal["user", "assistant"]
    content: str | Sequence[ContentBlock]


Messages = Sequence[Mapping[str, Any]]
"""A conversation: :class:`Message` mappings, oldest first (Converse shape)."""


def text_block(text: str) -> TextBlock:
    """Return a text block."""
    return {"text": text}


def image_block(data: bytes, format: ImageFormat) -> ImageBlock:
    """Return an image block of raw ``data`` (boto3 base64-encodes it for Converse)."""
    return {"image": {"format": format, "source": {"bytes": data}}}


def document_block(
    data: bytes | str,
    format: DocumentFormat,
    name: str,
    *,
    context: str | None = None,
    citations: bool = False,
) -> DocumentBlock:
    """Return a document block: ``data`` as bytes, or as text (``source.text``).

    ``name`` is what the model sees the document as; ``citations`` asks for citations of it.
    """
    source: _Source = {"text": data} if isinstance(data, str) else {"bytes": data}
    document: _Document = {"format": format, "name": name, "source": source}
    if context is not None:
        document["context"] = context
    if citations:
        document["citations"] = {"enabled": True}
    return {"document": document}


def tool_use_block(tool_use_id: str, name: str, input: Any) -> ToolUseBlock:
    """Return an assistant's tool call with its JSON ``input``."""
    return {"toolUse": {"toolUseId": tool_use_id, "name": name, "input": input}}


def tool_result_block(
    tool_use_id: str,
    content: str | Sequence[Mapping[str, Any]],
    *,
    status: Literal["success", "error"] | None = None,
) -> ToolResultBlock:
    """Return a tool's result: text, or a list of ``{"text"}``/``{"json"}``/... blocks."""
    blocks = [{"text": content}] if isinstance(content, str) else list(content)
    result: _ToolResult = {"toolUseId": tool_use_id, "content": blocks}
    if status is not None:
        result["status"] = status
    return {"toolResult": result}


def reasoning_block(text: str, signature: str | None = None) -> ReasoningBlock:
    """Return an assistant's reasoning text, with the signature the model sent with it."""
    reasoning: _ReasoningText = {"text": text}
    if signature is not None:
        reasoning["signature"] = signature
    return {"reasoningContent": {"reasoningText": reasoning}}


def redacted_reasoning_block(data: bytes) -> ReasoningBlock:
    """Return an assistant's redacted (encrypted) reasoning, echoed back as it came."""
    return {"reasoningContent": {"redactedContent": data}}


def cache_point(ttl: Literal["5m", "1h"] | None = None) -> CachePointBlock:
    """Return a cache point (in messages, system or tools); ``ttl`` only when given."""
    point: _CachePoint = {"type": "default"}
    if ttl is not None:
        point["ttl"] = ttl
    return {"cachePoint": point}


def block_kind(block: Mapping[str, Any]) -> str:
    """Return a block's kind, its one key (``text``, ``toolUse`` ...)."""
    if len(block) != 1:
        raise ValueError(f"a content block has exactly one key, not {sorted(block)}")
    return next(iter(block))


def to_messages(prompt_or_messages: str | Messages) -> list[dict[str, Any]]:
    """Normalize a prompt or messages to Converse messages (content as a block list).

    A str is one user message; a message's str content is one text block.
    """
    if isinstance(prompt_or_messages, str):
        return [{"role": "user", "content": [{"text": prompt_or_messages}]}]
    out = []
    for message in prompt_or_messages:
        content = message["content"]
        if isinstance(content, str):
            content = [{"text": content}]
        out.append({"role": message["role"], "content": list(content)})
    return out
