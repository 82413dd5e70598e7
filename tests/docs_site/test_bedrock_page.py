"""The model family table of docs/bedrock.md stays true to the code and to the recordings.

Each row is checked against the family registry (names, model id prefixes), against the
real recordings it counts and names (each one parsed here, its text compared with the
recorded one), and against the events the parser actually produces; "emulator only"
rows are streamed through the local Bedrock emulator, and "documented only" features are
those that only the documented examples in tests/data/bedrock-documented produce.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest

from bedrock_stream.bedrock import events
from bedrock_stream.bedrock import families as registry
from bedrock_stream.bedrock.converse import converse_events
from bedrock_stream.bedrock.parsers import ChunkParser, parse_invoke_response
from bedrock_stream.bedrock.requests import build_invoke_body

ROOT = Path(__file__).parents[2]
PAGE = ROOT / "docs" / "bedrock.md"
RECORDINGS = ROOT / "tests" / "data" / "bedrock-recordings"
INDEX: list[dict[str, Any]] = json.loads((RECORDINGS / "index.json").read_text())
DOCUMENTED_EXAMPLES = [
    json.loads(path.read_text())
    for path in sorted((ROOT / "tests" / "data" / "bedrock-documented").glob("*.json"))
]

FEATURE = {
    events.MessageStart: "message start",
    events.BlockStart: "blocks",
    events.BlockStop: "blocks",
    events.TextDelta: "text",
    events.ToolUseStart: "tool use",
    events.ToolInputDelta: "tool use",
    events.ReasoningDelta: "reasoning",
    events.Citation: "citations",
    events.ToolResultStart: "server tool results",
    events.ToolResultDelta: "server tool results",
    events.Stop: "stop",
    events.Usage: "usage",
    events.Metrics: "metrics",
    events.Trace: "trace",
    events.PerformanceConfig: "service tier",
    events.ServiceTier: "service tier",
    events.RawEvent: "raw events",
}

# A model of each family the emulator serves.
EMULATED_MODEL = {
    "ai21-jamba": "ai21.jamba-1-5-mini-v1:0",
    "deepseek": "deepseek.r1-v1:0",
}


def table() -> dict[str, dict[str, str]]:
    """The rows of the family table, by family."""
    text = PAGE.read_text()
    section = text[text.index("## Model families") :]
    section = section[: section.index("\n## ", 1)]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    out = {}
    for row in rows:
        family, prefixes, carries, parsed, documented, recordings = (
            c.strip() for c in row.strip("|").split(" | ")
        )
        out[family.strip("`")] = {
            "prefixes": prefixes,
            "carries": carries,
            "parsed": parsed,
            "documented": documented,
            "recordings": recordings,
        }
    return out


def recorded(family: str, operation: str) -> list[str]:
    """Recordings of `family` for `operation` that hold an answer (HTTP 200)."""
    names = []
    for entry in INDEX:
        if entry["operation"] != operation or entry["http_status"] != 200:
            continue
        try:
            found = registry.resolve_family(entry["model_id"])
        except registry.UnknownModelError:
            continue
        if found == family:
            names.append(entry["file"])
    return names


def features(produced: list[events.Event]) -> set[str]:
    return {FEATURE[type(event)] for event in produced}


def parse_recording(family: str, name: str) -> list[events.Event]:
    """Parse one recording as the library does, and check its text against the recorded text."""
    fixture = json.loads((RECORDINGS / name).read_text())
    if fixture["frames"]:
        parser = ChunkParser(family)  # type: ignore[arg-type]
        produced = []
        for frame in fixture["frames"]:
            if frame.get("inner_chunk_json") is not None:
                produced += parser.feed(frame["inner_chunk_json"])
    else:
        body = json.loads(base64.b64decode(fixture["body_base64"]))
        produced = parse_invoke_response(family, body, fixture["response_headers"])  # type: ignore[arg-type]
    text = "".join(e.text for e in produced if isinstance(e, events.TextDelta))
    assert text == fixture["expected_text"], name
    return produced


def features_in(cell: str) -> set[str]:
    return set() if cell == "—" else {part.strip() for part in cell.split(",")}


def claimed(row: dict[str, str]) -> set[str]:
    return features_in(row["parsed"]) | features_in(row["documented"])


def documented(family: str) -> set[str]:
    """Features the family's documented examples produce, parsed as the library does."""
    produced: list[events.Event] = []
    for example in DOCUMENTED_EXAMPLES:
        if example["family"] != family:
            continue
        if "chunks" in example:
            parser = ChunkParser(family)  # type: ignore[arg-type]
            produced += [e for chunk in example["chunks"] for e in parser.feed(chunk)]
        else:
            produced += parse_invoke_response(family, example["body"], {})  # type: ignore[arg-type]
    return features(produced)


ROWS = table()


def test_the_table_lists_exactly_the_code_families() -> None:
    assert list(ROWS) == list(registry.FAMILIES)


@pytest.mark.parametrize("family", registry.FAMILIES)
def test_model_id_prefixes_are_the_registry_s(family: str) -> None:
    shown = re.findall(r"`([^`]+)`", ROWS[family]["prefixes"])
    assert shown == [prefix for prefix, f in registry._PREFIXES if f == family]
    for prefix in shown:
        assert registry.resolve_family(f"us.{prefix}model-v1:0") == family


@pytest.mark.parametrize("family", registry.FAMILIES)
def test_recording_claims_name_real_parsed_recordings(family: str) -> None:
    cell = ROWS[family]["recordings"]
    streams = recorded(family, "InvokeModelWithResponseStream")
    buffered = recorded(family, "InvokeModel")
    if cell.startswith("emulator only"):
        assert streams == [] and buffered == []
        assert family in EMULATED_MODEL
        return
    counts = re.match(r"(\d+) streams?(?: \+ (\d+) buffered)?", cell)
    assert counts, cell
    assert int(counts[1]) == len(streams)
    assert int(counts[2] or 0) == len(buffered)
    named = re.findall(r"`([^`]+\.json)`", cell)
    assert named, f"{family}: name at least one recording"
    for name in named:
        assert name in streams + buffered, f"{name} is not a {family} recording"
    seen: set[str] = set()
    for name in streams + buffered:  # every counted recording parses to its recorded text
        seen |= features(parse_recording(family, name))
    assert seen <= claimed(ROWS[family]), f"{family}: parsed {seen}"
    if "tool use" in cell:
        assert all("tool use" in features(parse_recording(family, n)) for n in named)


@pytest.mark.parametrize("family", registry.FAMILIES)
def test_every_parsed_feature_is_produced_by_the_parser(
    emulated: dict[str, set[str]], family: str
) -> None:
    produced: set[str] = set()
    for name in recorded(family, "InvokeModelWithResponseStream") + recorded(family, "InvokeModel"):
        produced |= features(parse_recording(family, name))
    produced |= emulated.get(family, set())
    assert features_in(ROWS[family]["parsed"]) <= produced, family
    only_documented = features_in(ROWS[family]["documented"])
    assert only_documented <= documented(family), family
    assert not only_documented & produced, f"{family}: recorded, not documented only"
    assert documented(family) <= claimed(ROWS[family]), family


@pytest.fixture(scope="module")
def emulated() -> dict[str, set[str]]:
    """Stream each "emulator only" family through the local Bedrock emulator."""
    from bedrock_stream.local.bedrock.server import BedrockEmulator

    produced_by: dict[str, set[str]] = {}
    with BedrockEmulator(speed=0.0) as emulator:
        client = boto3.client(
            "bedrock-runtime",
            endpoint_url=emulator.url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        try:
            for family, model_id in EMULATED_MODEL.items():
                body = build_invoke_body(family, "Tell me about rivers", max_tokens=64)  # type: ignore[arg-type]
                response = client.invoke_model_with_response_stream(
                    modelId=model_id, body=json.dumps(body)
                )
                parser = ChunkParser(family)  # type: ignore[arg-type]
                produced = []
                for event in response["body"]:
                    produced += parser.feed(json.loads(event["chunk"]["bytes"]))
                text = "".join(e.text for e in produced if isinstance(e, events.TextDelta))
                assert text and emulator.requests[-1].text.endswith(text), family
                produced_by[family] = features(produced)
        finally:
            client.close()
    return produced_by


@pytest.mark.parametrize("family", sorted(EMULATED_MODEL))
def test_emulator_only_families_stream_through_the_emulator(
    emulated: dict[str, set[str]], family: str
) -> None:
    assert {"text", "stop", "usage"} <= emulated[family] <= claimed(ROWS[family])


def test_converse_stream_count_and_total() -> None:
    page = " ".join(PAGE.read_text().split())
    converse = [e for e in INDEX if e["operation"] == "ConverseStream" and e["http_status"] == 200]
    families = {registry.resolve_family(e["model_id"]) for e in converse}
    words = {8: "eight"}
    assert f"against {len(converse)} recorded streams of {words[len(families)]} families" in page
    assert f"The tests replay {len(INDEX)} responses" in page


def test_the_page_gives_converse_no_first_byte_latency() -> None:
    """Converse's metrics are ``latencyMs`` alone (botocore's model), as the page says."""
    service = botocore.session.get_session().get_service_model("bedrock-runtime")
    for name in ("ConverseStreamMetrics", "ConverseMetrics"):
        assert list(service.shape_for(name).members) == ["latencyMs"], name
    metadata = {
        "metadata": {"usage": {"inputTokens": 1, "outputTokens": 2}, "metrics": {"latencyMs": 7}}
    }
    assert events.Metrics(invocation_latency_ms=7) in converse_events(metadata)

    page = " ".join(PAGE.read_text().split())
    summary = page.split("`stream.metrics`", 1)[1].split("`stream.tool_uses`", 1)[0]
    assert 'the first-byte latency only with `api="invoke"`' in summary, summary
    assert "Converse reports no first-byte latency: `metrics` holds `latencyMs` alone" in page
