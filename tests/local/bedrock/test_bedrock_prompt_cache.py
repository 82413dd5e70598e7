"""Prompt caching on the emulator: the first request writes a prefix, the same one reads it."""

from __future__ import annotations

import json
from typing import Any

from bedrock_stream.local.bedrock import BedrockEmulator
from bedrock_stream.local.bedrock.model import count_tokens

CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
SYSTEM = "You answer questions about the sea, briefly and with care, in plain words."


def request(question: str, ttl: str | None = None) -> dict[str, Any]:
    point: dict[str, Any] = {"type": "default", **({"ttl": ttl} if ttl else {})}
    return {
        "modelId": CLAUDE,
        "system": [{"text": SYSTEM}, {"cachePoint": point}],
        "messages": [{"role": "user", "content": [{"text": question}]}],
    }


def test_write_then_read(client: Any, emulator: BedrockEmulator) -> None:
    emulator.prompt_cache.clear()
    prefix = count_tokens(SYSTEM)
    first = client.converse(**request("Why is the sea salty?"))["usage"]
    assert (first["cacheWriteInputTokens"], first["cacheReadInputTokens"]) == (prefix, 0)
    events = list(client.converse_stream(**request("Why are waves round?"))["stream"])
    usage = events[-1]["metadata"]["usage"]
    assert (usage["cacheWriteInputTokens"], usage["cacheReadInputTokens"]) == (0, prefix)
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"] + prefix
    assert usage["inputTokens"] == count_tokens(SYSTEM + "\nWhy are waves round?") - prefix
    # a different model is a different prefix; so is a different ttl's first use
    assert (
        client.converse(
            **{**request("x"), "modelId": "us.anthropic.claude-opus-4-1-20250805-v1:0"}
        )["usage"]["cacheWriteInputTokens"]
        == prefix
    )
    plain = client.converse(modelId=CLAUDE, messages=[{"role": "user", "content": [{"text": "x"}]}])
    assert "cacheReadInputTokens" not in plain["usage"]


def test_ttl_expires(emulator: BedrockEmulator) -> None:
    from bedrock_stream.local.bedrock.prompt_cache import CachePoint, PromptCache

    cache = PromptCache()
    point = CachePoint("k", 10, "5m")
    assert cache.use(point, 0.0) == (0, 10)
    assert cache.use(point, 299.0) == (10, 0)  # read, and renewed
    assert cache.use(point, 598.0) == (10, 0)
    assert cache.use(point, 899.0) == (0, 10)  # expired
    assert cache.use(CachePoint("h", 5, "1h"), 0.0) == (0, 5)
    assert cache.use(CachePoint("h", 5, "1h"), 3599.0) == (5, 0)


def test_invoke_headers_and_metrics(client: Any, emulator: BedrockEmulator) -> None:
    emulator.prompt_cache.clear()
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 200,
        "system": [{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}],
        "messages": [{"role": "user", "content": "Why is the sea salty?"}],
    }
    prefix = count_tokens(SYSTEM)
    first = client.invoke_model(modelId=CLAUDE, body=json.dumps(body))
    headers = first["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-bedrock-cache-write-input-token-count"] == str(prefix)
    usage = json.loads(first["body"].read())["usage"]
    assert (usage["cache_creation_input_tokens"], usage["cache_read_input_tokens"]) == (prefix, 0)
    stream = client.invoke_model_with_response_stream(modelId=CLAUDE, body=json.dumps(body))
    chunks = [json.loads(e["chunk"]["bytes"]) for e in stream["body"]]
    assert chunks[0]["message"]["usage"]["cache_read_input_tokens"] == prefix
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert (metrics["cacheReadInputTokenCount"], metrics["cacheWriteInputTokenCount"]) == (
        prefix,
        0,
    )
