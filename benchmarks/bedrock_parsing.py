"""Parsing cost per chunk: bedrock-stream vs langchain-aws and LiteLLM, on the same recordings.

Run: PYTHONPATH=src python benchmarks/bedrock_parsing.py [--runs 11]
Writes benchmarks/results/bedrock_parsing.json.

Input: the recorded streams in tests/data/bedrock-recordings (InvokeModelWithResponseStream
chunks and ConverseStream events), decoded once up front to what boto3 yields per event
(``{"chunk": {"bytes": ...}}`` or the event dict), so every library parses the same objects.
Each library's per-chunk entry point: ours ``ChunkParser.feed(json.loads(bytes))`` /
``converse_events``; langchain-aws ``LLMInputOutputAdapter.prepare_output_stream`` /
``_parse_stream_event``; LiteLLM ``AWSEventStreamDecoder._chunk_parser(json.loads(bytes))`` /
``converse_chunk_parser``. Only recordings every library parses without raising are timed.
The ``+ assembly`` row is ours with every event also folded by ``ReplyAssembler``, as
``stream_events`` does (tool calls, aggregates): the per-event cost of the richer stream.
The comparison libraries belong to the ``bench`` extra, never to runtime dependencies.
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT / "src"))
RECORDINGS = ROOT / "tests" / "data" / "bedrock-recordings"

from bedrock_stream.bedrock import (  # noqa: E402
    ChunkParser,
    ReplyAssembler,
    converse_events,
    resolve_family,
)

LC_PROVIDER = {
    "anthropic": "anthropic",
    "amazon-titan-text": "amazon",
    "meta-llama": "meta",
    "mistral": "mistral",
    "cohere-command": "cohere",
    "openai": "openai",
}


def load() -> tuple[list[tuple[str, str, list[Any]]], list[list[dict[str, Any]]]]:
    invoke: list[tuple[str, str, list[Any]]] = []
    converse: list[list[dict[str, Any]]] = []
    for entry in json.loads((RECORDINGS / "index.json").read_text()):
        fixture = json.loads((RECORDINGS / entry["file"]).read_text())
        frames = fixture["frames"]
        if not frames or any(f["headers"].get(":message-type") != "event" for f in frames):
            continue
        if fixture["operation"] == "InvokeModelWithResponseStream":
            events = [
                {"chunk": {"bytes": base64.b64decode(f["payload_json"]["bytes"])}} for f in frames
            ]
            invoke.append((fixture["model_id"], fixture["payload_format"], events))
        else:
            converse.append([{f["headers"][":event-type"]: f["payload_json"]} for f in frames])
    return invoke, converse


def ours_invoke(model_id: str, fmt: str, events: list[Any]) -> None:
    parser = ChunkParser(resolve_family(model_id))
    for event in events:
        parser.feed(json.loads(event["chunk"]["bytes"]))


def ours_converse(events: list[dict[str, Any]]) -> None:
    for event in events:
        converse_events(event)


def folded_invoke(model_id: str, fmt: str, events: list[Any]) -> None:
    parser, assembler = ChunkParser(resolve_family(model_id)), ReplyAssembler()
    for event in events:
        for typed in parser.feed(json.loads(event["chunk"]["bytes"])):
            assembler.feed(typed)


def folded_converse(events: list[dict[str, Any]]) -> None:
    assembler = ReplyAssembler()
    for event in events:
        for typed in converse_events(event):
            assembler.feed(typed)


def comparison_libraries() -> dict[str, tuple[Callable[..., None], Callable[..., None]]] | None:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    try:
        from langchain_aws.chat_models.bedrock_converse import _parse_stream_event
        from langchain_aws.llms.bedrock import LLMInputOutputAdapter
        from litellm.llms.bedrock.chat.invoke_handler import AWSEventStreamDecoder
    except ImportError as exc:
        print(f"langchain-aws and litellm are needed for the comparison ({exc}).")
        print("Install them with: pip install langchain-aws litellm  (the 'bench' extra).")
        return None

    def lc_invoke(model_id: str, fmt: str, events: list[Any]) -> None:
        family = resolve_family(model_id)
        provider = LC_PROVIDER[family]
        messages_api = fmt == "anthropic-messages"
        stream = LLMInputOutputAdapter.prepare_output_stream(
            provider, {"body": events}, messages_api=messages_api
        )
        for _ in stream:
            pass

    def lc_converse(events: list[dict[str, Any]]) -> None:
        for event in events:
            _parse_stream_event(event)

    def litellm_invoke(model_id: str, fmt: str, events: list[Any]) -> None:
        decoder = AWSEventStreamDecoder(model=model_id)
        for event in events:
            decoder._chunk_parser(json.loads(event["chunk"]["bytes"]))

    def litellm_converse(events: list[dict[str, Any]]) -> None:
        decoder = AWSEventStreamDecoder(model="anthropic.claude-3-haiku-20240307-v1:0")
        for event in events:
            decoder.converse_chunk_parser(next(iter(event.values())))

    return {
        "langchain-aws": (lc_invoke, lc_converse),
        "LiteLLM": (litellm_invoke, litellm_converse),
    }


def measure(fn: Callable[[list[Any]], None], items: list[Any], runs: int) -> list[float]:
    """Wall time of ``fn(copy)`` per run; langchain-aws mutates events, so each run gets a copy."""
    fn(copy.deepcopy(items))  # warm up
    times = []
    for _ in range(runs):
        data = copy.deepcopy(items)
        start = time.perf_counter()
        fn(data)
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    invoke, converse = load()
    libraries: dict[str, tuple[Callable[..., None], Callable[..., None]]] = {
        "bedrock-stream": (ours_invoke, ours_converse),
        "  + assembly": (folded_invoke, folded_converse),
    }
    others = comparison_libraries()
    if others:
        libraries.update(others)

    def works(fn: Callable[..., None], *a: Any) -> bool:
        try:
            fn(*copy.deepcopy(a))
        except Exception:
            return False
        return True

    report: dict[str, Any] = {"runs": args.runs}
    for api, corpus in (("InvokeModelWithResponseStream", invoke), ("ConverseStream", converse)):
        slot = 0 if api.startswith("Invoke") else 1
        chosen = [
            item
            for item in corpus
            if all(
                works(fns[slot], *(item if slot == 0 else (item,))) for fns in libraries.values()
            )
        ]
        chunks = sum(len(item[2] if slot == 0 else item) for item in chosen)
        print(
            f"\n{api}: {len(chosen)}/{len(corpus)} recordings, {chunks} chunks, "
            f"median of {args.runs} runs"
        )
        print(f"{'library':16} {'us/chunk':>9} {'min':>8} {'max':>8} {'ratio':>7}")
        figures = report[api] = {"recordings": len(chosen), "chunks": chunks, "libraries": {}}
        base = None
        for name, fns in libraries.items():
            fn = fns[slot]

            def run(items: list[Any], fn: Callable[..., None] = fn, slot: int = slot) -> None:
                for item in items:
                    fn(*(item if slot == 0 else (item,)))

            per_chunk = [t / chunks * 1e6 for t in measure(run, chosen, args.runs)]
            median = statistics.median(per_chunk)
            base = base or median
            figures["libraries"][name] = {
                "us_per_chunk": median,
                "min": min(per_chunk),
                "max": max(per_chunk),
                "ratio_to_ours": median / base,
            }
            print(
                f"{name:16} {median:9.2f} {min(per_chunk):8.2f} {max(per_chunk):8.2f} "
                f"{median / base:6.1f}x"
            )
    if not others:
        print("\nOnly bedrock-stream was measured.")
    out = ROOT / "benchmarks" / "results" / "bedrock_parsing.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
