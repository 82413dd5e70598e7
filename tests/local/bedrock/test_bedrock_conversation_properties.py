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
