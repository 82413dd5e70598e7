"""Properties of the emulator's conversation rules, for any input (hypothesis)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_stream.local.bedrock import citations, reasoning, tools
from bedrock_stream.local.bedrock.conversation import Block, Conversation, Message
from bedrock_stream.local.bedrock.family.anthropic import PROFILE
from bedrock_stream.local.bedrock.fault_events import EVENT_KINDS
from bedrock_stream.local.bedrock.faults import parse_fault
from bedrock_stream.local.bedrock.model import tokenize
from bedrock_stream.local.bedrock.schema import ServiceError

jsonschema = pytest.importorskip("jsonschema")

names = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=12)
leaves = st.one_of(
    st.just({"type": "string"}),
    st.just({"type": "integer"}),
    st.just({"type": "number"}),
    st.just({"type": "boolean"}),
    st.lists(names, min_size=1, max_size=4).map(lambda e: {"type": "string", "enum": e}),
)


def objects(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(names, children, max_size=5).flatmap(
        lambda props: (
            st.lists(st.sampled_from(sorted(props)), unique=True).map(
                lambda required: {"type": "object", "properties": props, "required": required}
            )
            if props
            else st.just({"type": "object", "properties": {}})
        )
    )


schemas = st.recursive(
    leaves,
    lambda children: st.one_of(
        children.map(lambda items: {"type": "array", "items": items}), objects(children)
    ),
    max_leaves=8,
)


@settings(max_examples=300)
@given(objects(schemas), st.text(max_size=80))
def test_tool_input_is_valid_for_its_schema(schema: dict[str, Any], text: str) -> None:
    value = tools.tool_input(schema, text)
    jsonschema.validate(value, schema)
    assert tools.tool_input(schema, text) == value  # deterministic
    encoded = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    assert "".join(tokenize(encoded)) == encoded
    pieces = PROFILE.pieces(tokenize(encoded))
    assert "".join(p for p, _, _ in pieces) == encoded


def assistant(block: Block) -> Conversation:
    return Conversation(messages=(Message("user", ()), Message("assistant", (block,), 1)))


@given(st.text(), st.text())
def test_signature_accepts_its_text_only(text: str, other: str) -> None:
    signed = Block("reasoning", text=text, signature=reasoning.signature(text), path="m")
    reasoning.check_echoed(assistant(signed))
    if other != text:
        forged = Block("reasoning", text=other, signature=reasoning.signature(text), path="m")
        with pytest.raises(ServiceError, match="Invalid `signature`"):
            reasoning.check_echoed(assistant(forged))


@given(st.binary(max_size=16))
def test_redacted_data_round_trips(seed: bytes) -> None:
    data = reasoning.redacted_data(seed)
    reasoning.check_echoed(assistant(Block("redacted", signature=data, path="m")))


@given(st.text(min_size=1), st.text(max_size=10))
def test_a_citation_quotes_its_document(text: str, name: str) -> None:
    document = Block("document", text=text, name=name, cited=True)
    cited = citations.cite(Conversation(messages=(Message("user", (document,)),)))
    if not text.strip():
        assert cited is None
        return
    assert cited is not None and cited.quote
    assert text[cited.start : cited.end] == cited.quote
    assert cited.lead.endswith(cited.quote) and len(cited.quote) <= 200


@given(
    st.sampled_from(["exception", "stall", "truncate", "disconnect"]),
    st.sampled_from(EVENT_KINDS),
    st.integers(1, 50),
)
def test_event_specs_parse(kind: str, event: str, nth: int) -> None:
    fault = parse_fault(f"{kind}; event={event}; nth={nth}")
    assert (fault.event, fault.nth) == (event, nth)  # type: ignore[union-attr]


documents = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60).filter(
    str.strip
)


@settings(max_examples=60)
@given(documents, names)
def test_cohere_r_citations_span_the_cited_opening(text: str, title: str) -> None:
    from bedrock_stream.local.bedrock import formats
    from bedrock_stream.local.bedrock.validation import parse_request

    raw = json.dumps({"message": "Why?", "documents": [{"title": title, "snippet": text}]})
    for operation in ("invoke", "invoke-stream"):
        request = parse_request(
            operation, "cohere-command-r", "cohere.command-r-v1:0", raw.encode()
        )
        a = formats.answer(request, now=0.0)
        body, _ = formats.invoke_body(a)
        (cited,) = body["citations"]
        assert body["text"][cited["start"] : cited["end"]] == cited["text"]
        assert cited["document_ids"] == ["doc_0"] and body["documents"][0]["id"] == "doc_0"
        chunks = [c for c, _, _ in formats.invoke_chunks(a)]
        events = [c for c in chunks if c["event_type"] == "citation-generation"]
        assert [e["citations"] for e in events] == [body["citations"]]
        streamed = "".join(c["text"] for c in chunks if c["event_type"] == "text-generation")
        assert streamed == body["text"]


@settings(max_examples=60)
@given(documents, names)
def test_nova_citations_follow_the_cited_opening(text: str, title: str) -> None:
    from bedrock_stream.local.bedrock import formats
    from bedrock_stream.local.bedrock.validation import parse_request

    document = {
        "format": "txt",
        "name": title,
        "source": {"text": text},
        "citations": {"enabled": True},
    }
    content = [{"document": document}, {"text": "Why?"}]
    raw = json.dumps({"messages": [{"role": "user", "content": content}]}).encode()
    request = parse_request("invoke-stream", "amazon-nova", "amazon.nova-pro-v1:0", raw)
    a = formats.answer(request, now=0.0)
    body, _ = formats.invoke_body(a)
    cited, *rest = body["output"]["message"]["content"]
    lead = cited["citationsContent"]["content"][0]["text"]
    assert lead + "".join(b["text"] for b in rest) == a.generation.text
    deltas = [
        c["contentBlockDelta"]["delta"]
        for c, _, _ in formats.invoke_chunks(a)
        if "contentBlockDelta" in c
    ]
    texts = [d.get("text", "") for d in deltas]
    where = next(i for i, d in enumerate(deltas) if "citation" in d)
    assert "".join(texts[:where]) == lead and "".join(texts) == a.generation.text
    assert deltas[where]["citation"] == cited["citationsContent"]["citations"][0]


@settings(max_examples=60)
@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=60))
def test_gpt_oss_streams_the_reasoning_its_body_tags(ask: str) -> None:
    from bedrock_stream.local.bedrock import formats
    from bedrock_stream.local.bedrock.validation import parse_request

    raw = json.dumps({"messages": [{"role": "user", "content": ask}], "reasoning_effort": "low"})
    request = parse_request("invoke-stream", "openai", "openai.gpt-oss-20b-1:0", raw.encode())
    a = formats.answer(request, now=0.0)
    body, _ = formats.invoke_body(a)
    deltas = [c["choices"][0]["delta"] for c, _, _ in formats.invoke_chunks(a) if c["choices"]]
    reasoning = "".join(d.get("reasoning_content", "") for d in deltas)
    text = "".join(d.get("content") or "" for d in deltas)
    assert reasoning and body["choices"][0]["message"]["content"] == (
        f"<reasoning>{reasoning}</reasoning>{text}"
    )
    kinds = [
        "reasoning_content" in d for d in deltas if d.get("reasoning_content") or d.get("content")
    ]
    assert kinds == sorted(kinds, reverse=True)  # all the reasoning, then the text
