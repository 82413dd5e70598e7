"""Citations on the emulator through real boto3 clients: a document quoted with its place."""

from __future__ import annotations

from typing import Any

CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
TEXT = "  Tides follow the moon. They rise twice a day."


def request(cited: bool = True) -> dict[str, Any]:
    document = {"format": "txt", "name": "Tides", "source": {"text": TEXT}}
    if cited:
        document["citations"] = {"enabled": True}
    content = [{"document": document}, {"text": "What moves the tides?"}]
    return {"modelId": CLAUDE, "messages": [{"role": "user", "content": content}]}


CITATION = {
    "title": "Tides",
    "sourceContent": [{"text": "Tides follow the moon."}],
    "location": {"documentChar": {"documentIndex": 0, "start": 2, "end": 24}},
}


def test_converse_stream_citation_delta(client: Any) -> None:
    events = list(client.converse_stream(**request())["stream"])
    deltas = [e["contentBlockDelta"]["delta"] for e in events if "contentBlockDelta" in e]
    cited = [i for i, d in enumerate(deltas) if "citation" in d]
    assert len(cited) == 1
    assert deltas[cited[0]]["citation"] == CITATION
    before = "".join(d.get("text", "") for d in deltas[: cited[0]])
    assert before == "The document Tides says: Tides follow the moon."
    assert TEXT[2:24] == "Tides follow the moon."


def test_converse_citations_content(client: Any) -> None:
    content = client.converse(**request())["output"]["message"]["content"]
    assert content[0]["citationsContent"] == {
        "content": [{"text": "The document Tides says: Tides follow the moon."}],
        "citations": [CITATION],
    }
    assert content[1]["text"].startswith("\n\n")
    plain = client.converse(**request(cited=False))["output"]["message"]["content"]
    assert list(plain[0]) == ["text"]


def test_anthropic_invoke_citations(client: Any) -> None:
    import json

    document = {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": TEXT},
        "title": "Tides",
        "citations": {"enabled": True},
    }
    body = json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 200,
            "messages": [
                {"role": "user", "content": [document, {"type": "text", "text": "Why tides?"}]}
            ],
        }
    )
    citation = {
        "type": "char_location",
        "cited_text": "Tides follow the moon.",
        "document_index": 0,
        "document_title": "Tides",
        "start_char_index": 2,
        "end_char_index": 24,
    }
    message = json.loads(client.invoke_model(modelId=CLAUDE, body=body)["body"].read())
    first, rest = message["content"]
    assert first == {
        "type": "text",
        "text": "The document Tides says: Tides follow the moon.",
        "citations": [citation],
    }
    assert rest["type"] == "text" and rest["text"].startswith("\n\n")
    stream = client.invoke_model_with_response_stream(modelId=CLAUDE, body=body)
    chunks = [json.loads(e["chunk"]["bytes"]) for e in stream["body"]]
    assert chunks[1]["content_block"] == {"type": "text", "text": "", "citations": []}
    deltas = [c["delta"] for c in chunks if c["type"] == "content_block_delta" and c["index"] == 0]
    assert deltas[-1] == {"type": "citations_delta", "citation": citation}
    assert "".join(d.get("text", "") for d in deltas) == first["text"]
