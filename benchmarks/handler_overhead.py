"""Per-chunk cost of @streaming_handler, from the generator to the sink.

    python benchmarks/handler_overhead.py [--chunks 100000] [--runs 9]

Streams N chunks of 16 bytes through a decorated handler into a sink that only counts,
sync and async, and compares with a bare loop over the same generator (the floor).
Reports the median of the runs with min-max, as chunks per second and microseconds per chunk.
Writes benchmarks/results/handler_overhead.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

from bedrock_stream import streaming_handler
from bedrock_stream.sink import attach_sink, detach_sink

EVENT = {"httpMethod": "POST", "requestContext": {}, "headers": {}}
CHUNK = b"0123456789abcdef"


class CountingSink:
    def __init__(self) -> None:
        self.count = 0

    def start(self, content_type: str) -> None:
        pass

    def write(self, *chunks: bytes) -> None:
        self.count += len(chunks)


def measure(run: Callable[[], int], runs: int) -> list[float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    n = args.chunks

    def chunks(event: Any, context: Any) -> Iterator[bytes]:
        for _ in range(n):
            yield CHUNK

    async def async_chunks(event: Any, context: Any) -> AsyncIterator[bytes]:
        for _ in range(n):
            yield CHUNK

    def bare() -> int:
        sink = CountingSink()
        for chunk in chunks(None, None):
            sink.write(chunk)
        return sink.count

    def decorated(handler: Callable[[Any, Any], Any]) -> Callable[[], int]:
        def run() -> int:
            sink = CountingSink()
            token = attach_sink(sink)
            try:
                handler(EVENT, None)
            finally:
                detach_sink(token)
            assert sink.count == n + 1, sink.count  # the prelude travels with chunk 1
            return sink.count

        return run

    cases = {
        "bare loop (floor)": bare,
        "@streaming_handler, sync generator": decorated(streaming_handler(chunks)),
        "@streaming_handler, async generator": decorated(streaming_handler(async_chunks)),
    }
    results = {}
    for name, run in cases.items():
        run()  # warm up
        seconds = measure(run, args.runs)
        median = statistics.median(seconds)
        results[name] = {
            "chunks_per_second": n / median,
            "us_per_chunk": median / n * 1e6,
            "min_s": min(seconds),
            "median_s": median,
            "max_s": max(seconds),
        }
        print(
            f"{name:40s} {n / median:12,.0f} chunks/s  {median / n * 1e6:6.2f} us/chunk "
            f"(median of {args.runs}: {min(seconds):.3f}-{max(seconds):.3f} s)"
        )
    out = Path(__file__).parent / "results" / "handler_overhead.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"chunks": n, "runs": args.runs, "results": results}, indent=2))


if __name__ == "__main__":
    main()
