"""Prompt caching on the emulator: cache points, and the emulator-wide cache they write.

A request's prefix runs, in Bedrock's order, through its tools, its system blocks and its
messages up to its last cache point (Converse ``cachePoint``; Anthropic ``cache_control``
marks the end of the block it is on). Its key is a SHA-256 of the model id and that prefix.
The first request with a prefix writes it (``cacheWriteInputTokens``); a request with the
same key before it expires reads it (``cacheReadInputTokens``) and renews its time to live:
``5m`` unless the cache point says ``1h``. The prefix's tokens are those of its text blocks;
``inputTokens`` then counts only the tokens after the cache point. There is no minimum
cacheable length here, unlike Bedrock's per-model minimums.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass

from .conversation import Block, Conversation, enum_value
from .model import count_tokens

__all__ = ["TTL_SECONDS", "CachePoint", "PromptCache", "cache_point"]

TTL_SECONDS = {"5m": 300, "1h": 3600}
"""``CacheTTL`` of botocore's ``bedrock-runtime`` service model, in seconds."""


@dataclass(frozen=True)
class CachePoint:
    """A request's cacheable prefix: its key, its tokens and its time to live."""

    key: str
    tokens: int
    ttl: str = "5m"


def _identity(block: Block) -> list[str]:
    return [block.kind, block.text, block.ident, block.name, block.signature]


def cache_point(model_id: str, conversation: Conversation) -> CachePoint | None:
    """Return the prefix up to the request's last cache point (None: no cache point)."""
    parts: list[list[str]] = []
    texts: list[str] = []
    point: CachePoint | None = None

    def mark(ttl: str) -> CachePoint:
        enum_value(ttl, "cachePoint.ttl", tuple(TTL_SECONDS))
        digest = hashlib.sha256(json.dumps([model_id, parts]).encode()).hexdigest()
        return CachePoint(digest, count_tokens("\n".join(texts)), ttl)

    for tool in conversation.tools:
        parts.append([tool.name, tool.description, json.dumps(tool.schema, sort_keys=True)])
        if tool.cache_ttl is not None:
            point = mark(tool.cache_ttl)
    blocks = [*conversation.system, *(b for m in conversation.messages for b in m.blocks)]
    for block in blocks:
        if block.kind == "cache_point":
            point = mark(block.ttl)
            continue
        parts.append(_identity(block))
        if block.kind == "text":
            texts.append(block.text)
    return point


class PromptCache:
    """The emulator-wide prompt cache: prefix keys and when they expire; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._expiry: dict[str, float] = {}

    def use(self, point: CachePoint, now: float) -> tuple[int, int]:
        """Read or write ``point``'s prefix at ``now``: ``(read tokens, write tokens)``."""
        with self._lock:
            self._expiry = {k: t for k, t in self._expiry.items() if t > now}
            hit = point.key in self._expiry
            self._expiry[point.key] = now + TTL_SECONDS[point.ttl]
        return (point.tokens, 0) if hit else (0, point.tokens)

    def clear(self) -> None:
        """Forget every prefix."""
        with self._lock:
            self._expiry.clear()
