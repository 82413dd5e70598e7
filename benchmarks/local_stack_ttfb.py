"""Time to first byte through the local stack, against calling the handler in-process.

The handler (tests/stack/app, action ``count``) yields its first line at once, so the
figures are the stack's own cost: API Gateway emulator -> local Lambda service -> the
function's process and its streaming runtime -> back, over loopback HTTP. Measured:

* in-process: ``invoke_streaming`` from the call to the first write reaching the sink;
* idle: POST to the streaming REST API, request sent -> first body byte, one at a time;
* loaded: the same while 50 other streams run, one line every ``--interval`` seconds each
  (default 50 ms, a model's token pace; 10 ms is a heavier test).

The stack (``bedrock-stream local``) and the load generator run in their own processes,
so neither the probe nor the load shares the stack's interpreter lock. While the loaded
probes run, the stack's memory is sampled from /proc: peak RSS of the stack process (API
Gateway, Lambda service and Bedrock emulators) and peak PSS of the stack with its function
processes (shared pages split between them, so the interpreter's pages count once).

Each figure is p50 and p99 over ``--requests`` calls, repeated ``--reps`` times (median of
the repetitions, min-max). Writes benchmarks/results/local_stack_ttfb.json.

    .venv/bin/python benchmarks/local_stack_ttfb.py --reps 9
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
APP = HERE.parent / "tests" / "stack" / "app"
RESULTS = HERE / "results"

sys.path.insert(0, str(APP / "src"))

from app import handler  # noqa: E402
from stack_harness import StackProcess, snapshot  # noqa: E402

from bedrock_stream.sink import attach_sink, detach_sink  # noqa: E402
from bedrock_stream.testing import MemorySink  # noqa: E402

EVENT = {"httpMethod": "POST", "requestContext": {}, "headers": {}}


def in_process_ttfb() -> float:
    body = json.dumps({"action": "count", "n": 1, "tag": "t"})
    sink = MemorySink()
    token = attach_sink(sink)
    try:
        started = time.monotonic()
        handler({**EVENT, "body": body}, None)
    finally:
        detach_sink(token)
    return sink.writes[0].at - started


def http_ttfb(url: str, document: dict[str, object]) -> float:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=60)
    try:
        body = json.dumps(document)
        started = time.monotonic()
        connection.request(
            "POST", parts.path, body=body, headers={"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        response.read1(1)
        first = time.monotonic() - started
        response.read()
        return first
    finally:
        connection.close()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


LOAD = """
import sys, threading
sys.path.insert(0, {here!r})
from local_stack_ttfb import http_ttfb
def run():
    while True:
        http_ttfb({url!r}, {{"action": "pace", "n": 100, "interval": {interval}}})
for _ in range({count}):
    threading.Thread(target=run, daemon=True).start()
threading.Event().wait()
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--load", type=int, default=50, help="concurrent background streams")
    parser.add_argument(
        "--interval", type=float, default=0.05, help="seconds between a background stream's lines"
    )
    args = parser.parse_args()
    rows = []
    log = RESULTS / "local_stack_ttfb.stack.log"
    with StackProcess(APP / "template.yaml", speed=0, concurrency=args.load + 4, log=log) as stack:
        url = stack.route("StreamApi", "/run")
        probe = {"action": "count", "n": 1, "tag": "t"}
        for _ in range(20):  # warm the processes the probes use
            http_ttfb(url, probe)
        for rep in range(args.reps):
            local = [in_process_ttfb() for _ in range(args.requests)]
            idle = [http_ttfb(url, probe) for _ in range(args.requests)]
            code = LOAD.format(here=str(HERE), url=url, count=args.load, interval=args.interval)
            load = subprocess.Popen([sys.executable, "-c", code])
            time.sleep(2.0)  # let the load reach its steady state
            loaded = [http_ttfb(url, probe) for _ in range(args.requests)]
            memory = snapshot(stack.pid, pss=True)
            load.kill()
            load.wait()
            row = {
                "in_process_p50_ms": pct(local, 0.5) * 1e3,
                "in_process_p99_ms": pct(local, 0.99) * 1e3,
                "idle_p50_ms": pct(idle, 0.5) * 1e3,
                "idle_p99_ms": pct(idle, 0.99) * 1e3,
                "loaded_p50_ms": pct(loaded, 0.5) * 1e3,
                "loaded_p99_ms": pct(loaded, 0.99) * 1e3,
            }
            row["idle_overhead_p50_ms"] = row["idle_p50_ms"] - row["in_process_p50_ms"]
            row["loaded_overhead_p50_ms"] = row["loaded_p50_ms"] - row["in_process_p50_ms"]
            row["loaded_stack_rss_mib"] = memory["rss_mib"]
            row["loaded_tree_pss_mib"] = memory["tree_pss_mib"]
            row["loaded_tree_rss_mib"] = memory["tree_rss_mib"]
            row["loaded_functions"] = memory["children"]
            rows.append(row)
            print(f"rep {rep + 1}/{args.reps}: " + json.dumps(row), file=sys.stderr, flush=True)
    RESULTS.mkdir(exist_ok=True)
    result = {"load": args.load, "interval": args.interval, "rows": rows}
    (RESULTS / "local_stack_ttfb.json").write_text(json.dumps(result, indent=1))
    print("| metric | median | min-max |\n|---|---|---|")
    for key in rows[0]:
        values = [row[key] for row in rows]
        print(f"| {key} | {statistics.median(values):.3f} | {min(values):.3f}-{max(values):.3f} |")


if __name__ == "__main__":
    main()
