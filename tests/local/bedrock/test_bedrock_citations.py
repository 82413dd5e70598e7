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
