"""Hypothesis strategies for requests: content blocks, conversations and options."""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import botocore.session
from botocore.model import ServiceModel
from hypothesis import strategies as st

from bedrock_stream.bedrock.request_blocks import (
    cache_point,
    document_block,
    image_block,
    reasoning_block,
    redacted_reasoning_block,
    text_block,
    tool_result_block,
    tool_use_block,
)
from bedrock_stream.bedrock.request_options import named_tool, tool

SERVICE_MODEL = botocore.session.get_session().get_service_model("bedrock-runtime")
# botocore 1.34.116's bedrock-runtime model: the first with Converse (tests/data/botocore-models).
OLD_JSON = json.loads(
    (Path(__file__).parents[1] / "data/botocore-models/bedrock-runtime-1.34.116.json").read_text()
)
OLD_SERVICE_MODEL = ServiceModel(OLD_JSON, "bedrock-runtime")

# A model id of each family that reasons, with the reasoning setting its format takes.
REASONING_MODELS: dict[str, tuple[str, dict[str, Any]]] = {
    "anthropic": ("us.anthropic.claude-sonnet-4-20250514-v1:0", {"budget_tokens": 2048}),
    "amazon-nova": ("us.amazon.nova-2-lite-v1:0", {"effort": "medium"}),
    "openai": ("openai.gpt-oss-120b-1:0", {"effort": "low"}),
    "deepseek": ("us.deepseek.r1-v1:0", {}),
}

names = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
texts = st.text(min_size=1, max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
    max_leaves=6,
)
schemas = st.fixed_dictionaries(
    {"type": st.just("object"), "properties": st.dictionaries(names, st.just({"type": "string"}))}
)
ttls = st.sampled_from([None, "5m", "1h"])

text_blocks = st.builds(text_block, texts)
image_blocks = st.builds(
    image_block, st.binary(min_size=1, max_size=8), st.sampled_from(["png", "jpeg", "gif", "webp"])
)
pdf_blocks = st.builds(document_block, st.binary(min_size=1, max_size=8), st.just("pdf"), names)
text_documents = st.builds(document_block, texts, st.just("txt"), names)
tool_uses = st.builds(tool_use_block, names, names, st.dictionaries(names, json_values, max_size=3))
result_parts = st.lists(
    st.builds(text_block, texts)
    | st.builds(lambda v: {"json": v}, st.dictionaries(names, json_values, max_size=2)),
    min_size=1,
    max_size=3,
)
tool_results = st.builds(
    tool_result_block,
    names,
    texts | result_parts,
    status=st.sampled_from([None, "success", "error"]),
)
# Redacted reasoning is opaque text the model sent (Anthropic's ``data``), kept as its bytes.
opaque = st.text(alphabet=string.ascii_letters + string.digits + "+/=", min_size=1, max_size=12)
reasoning_blocks = st.builds(reasoning_block, texts, st.none() | texts) | st.builds(
    redacted_reasoning_block, opaque.map(str.encode)
)
cache_points = st.builds(cache_point, ttls)

# Converse blocks without a constructor here, passed through as plain mappings.
video_blocks = st.builds(
    lambda data: {"video": {"format": "mp4", "source": {"bytes": data}}}, st.binary(min_size=1)
)
guard_blocks = st.builds(lambda text: {"guardContent": {"text": {"text": text}}}, texts)

# Blocks by the role that sends them in a conversation.
USER_BLOCKS = [text_blocks, image_blocks, pdf_blocks, text_documents, tool_results]
CONVERSE_USER_BLOCKS = [*USER_BLOCKS, video_blocks, guard_blocks]
ASSISTANT_BLOCKS = [text_blocks, tool_uses, reasoning_blocks]


def conversations(
    user: list[st.SearchStrategy[Any]] = USER_BLOCKS,
    assistant: list[st.SearchStrategy[Any]] = ASSISTANT_BLOCKS,
    cache: bool = True,
) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Alternating user/assistant turns, str content or block lists, cache points after blocks."""

    def turn(role: str, kinds: list[st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
        block = st.one_of(*kinds)
        with_cache = st.lists(block, min_size=1, max_size=4).flatmap(
            lambda blocks: st.lists(
                st.booleans(), min_size=len(blocks), max_size=len(blocks)
            ).flatmap(lambda marks: cached(blocks, marks))
        )
        content = texts | (with_cache if cache else st.lists(block, min_size=1, max_size=4))
        return st.builds(lambda c: {"role": role, "content": c}, content)

    def cached(blocks: list[Any], marks: list[bool]) -> st.SearchStrategy[list[Any]]:
        out: list[Any] = []
        for block, mark in zip(blocks, marks, strict=False):
            out.append(block)
            if mark:
                out.append(cache_point())
        return st.just(out)

    def alternate(n: int) -> st.SearchStrategy[list[dict[str, Any]]]:
        return st.tuples(
            *(
                turn("user" if i % 2 == 0 else "assistant", user if i % 2 == 0 else assistant)
                for i in range(n)
            )
        ).map(list)

    return st.integers(min_value=1, max_value=5).flatmap(alternate)


def tool_lists(cache: bool = True) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Tools with distinct names, with cache points between them when ``cache``."""
    entry = st.builds(tool, names, schemas, st.none() | texts)
    tools = st.lists(entry, min_size=1, max_size=4, unique_by=lambda t: t["toolSpec"]["name"])
    if not cache:
        return tools
    return tools.flatmap(lambda ts: st.booleans().map(lambda c: [*ts, cache_point()] if c else ts))


def tool_choices(tools: list[dict[str, Any]]) -> st.SearchStrategy[Any]:
    """``auto``, ``any``, or one of ``tools`` by name."""
    named = [named_tool(t["toolSpec"]["name"]) for t in tools if "toolSpec" in t]
    return st.sampled_from(["auto", "any", *named])


systems = texts | st.lists(text_blocks | cache_points, min_size=1, max_size=3).filter(
    lambda blocks: "text" in blocks[0]
)
sampling = st.fixed_dictionaries(
    {},
    optional={
        "temperature": st.floats(min_value=0, max_value=1),
        "top_p": st.floats(min_value=0, max_value=1),
        "stop_sequences": st.lists(texts, max_size=3),
    },
)
guardrails = st.fixed_dictionaries(
    {"guardrailIdentifier": names, "guardrailVersion": st.sampled_from(["1", "DRAFT"])},
    optional={
        "trace": st.sampled_from(["enabled", "disabled", "enabled_full"]),
        "streamProcessingMode": st.sampled_from(["sync", "async"]),
    },
)
call_options = st.fixed_dictionaries(
    {},
    optional={
        "guardrail_config": guardrails,
        "latency": st.sampled_from(["standard", "optimized"]),
        "service_tier": st.sampled_from(["priority", "default", "flex", "reserved"]),
        "request_metadata": st.dictionaries(names, names, min_size=1, max_size=3),
    },
)
