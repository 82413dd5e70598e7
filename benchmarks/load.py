"""Load: many concurrent streams through the local stack's streaming REST API, every byte checked.

The app is the reference app (examples/sam-app: API Gateway STREAM route -> the streaming
function -> boto3 ConverseStream -> the Bedrock emulator's built-in model), the path a user
of ``bedrock-stream local`` runs, rather than the test app's ``ask`` action: the same
wire, plus the reference app's system prompt, CORS headers and error mapping, deployed
with ``Authentication=NONE`` (as shipped it admits one request a second per key). The model
runs at ``--speed`` (default 0.1: a Claude-profile answer's first token after 50 ms, then
400 tokens/s), so on two cores the stack, not the model, sets the pace.

Each of ``--streams`` clients (default 200, all in flight at once; the function's
``--concurrency`` is set to match) sends ``--rounds`` requests back to back, each with a
prompt naming a unique tag. The emulator's built-in model makes that tag its topic word, so
the tag appears in the answer. After the run every body is compared, byte for byte, with
the text the emulator recorded for that tag (``GET /_emulator/requests``): one recorded
request per tag, the body equal to its text, and no other stream's tag anywhere in it.

Before the measured repetitions the function is warmed to ``--streams`` processes, ramped
``--ramp`` new processes at a time: the warm-up requests are held at the emulator by a stall
fault (prompt filter ``warmup``) so that each round needs new environments. Starting all of
them in one burst would not fit in Lambda's 10 s init limit on two cores (about 0.5 s of CPU
each for the interpreter, boto3 and the app).

The stack (``bedrock-stream local``) and the load generator run in their own processes; this
process samples the stack's process tree (/proc) every 0.2 s. Reported per repetition:
throughput (body bytes/s and streams/s over the wall time from the start signal to the last
stream's end), TTFB (request sent -> first body byte) and total time p50/p99, errors, peak
RSS of the stack process and of its whole tree (and the tree's PSS, shared pages split,
sampled at the end), peak threads and fds of the stack process. Median and min-max over
``--reps`` (default 3; there is no peer to pair with). Writes benchmarks/results/load.json
(or ``--out``); exits 1 if any stream failed.

    .venv/bin/python benchmarks/load.py             # 200 streams x 3 rounds, 3 reps
    .venv/bin/python benchmarks/load.py --streams 50 --reps 1 --rounds 1
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stack_harness import (
    REFERENCE_APP,
    RESULTS,
    Sampler,
    StackProcess,
    add_fault,
    clear_faults,
    descendants,
    emulator_requests,
    letters,
    pct,
    relative,
    request,
    snapshot,
)

TAG = re.compile(r"zq[a-z]{5}")
"""A stream's tag: letters only, so the built-in model takes it as the answer's topic."""


def prompt(tag: str) -> str:
    return f"Tell me about {tag}"


# -- the load generator (its own process) -----------------------------------------------------


def _one(netloc: str, path: str, tag: str) -> dict[str, Any]:
    row: dict[str, Any] = {"tag": tag, "status": None, "ttfb": None, "total": None}
    row.update(body="", chunked=False, error=None)
    connection = http.client.HTTPConnection(netloc, timeout=120)
    started = time.perf_counter()
    try:
        connection.request(
            "POST",
            path,
            body=json.dumps({"message": prompt(tag)}),
            headers={"Content-Type": "application/json"},
        )
        response = connection.getresponse()
        row["status"] = response.status
        row["chunked"] = response.getheader("Transfer-Encoding") == "chunked"
        first = response.read1(1)
        row["ttfb"] = time.perf_counter() - started
        rest = response.read()
        row["total"] = time.perf_counter() - started
        row["body"] = (first + rest).decode("utf-8")
    except Exception as exc:  # reported, never fatal: the run goes on
        row["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()
    return row


def client(config: dict[str, Any]) -> dict[str, Any]:
    """Run every client's requests at once; return the rows and the wall time."""
    parts = urlsplit(config["url"])
    plan: list[list[str]] = config["plan"]
    results: list[list[dict[str, Any]]] = [[] for _ in plan]
    start = threading.Barrier(len(plan) + 1)

    def run(index: int) -> None:
        start.wait()
        for tag in plan[index]:
            results[index].append(_one(parts.netloc, parts.path, tag))

    workers = [threading.Thread(target=run, args=(i,)) for i in range(len(plan))]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    return {"wall": time.perf_counter() - began, "rows": [r for rows in results for r in rows]}


# -- checking ---------------------------------------------------------------------------------


def verify(rows: list[dict[str, Any]], records: list[dict[str, Any]]) -> Counter[str]:
    """Check every row against the emulator's records; count problems by kind (empty: all good)."""
    by_tag: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        for tag in set(TAG.findall(record.get("text") or "")):
            by_tag.setdefault(tag, []).append(record)
    problems: Counter[str] = Counter()
    for row in rows:
        tag = row["tag"]
        if row["error"] is not None:
            problems["transport error"] += 1
        elif row["status"] != 200:
            problems[f"status {row['status']}"] += 1
        elif not row["chunked"]:
            problems["not streamed (no chunked encoding)"] += 1
        elif len(found := by_tag.get(tag, [])) != 1:
            problems[f"{len(found)} emulator records for one tag"] += 1
        elif found[0]["outcome"] != "ok":
            problems[f"emulator outcome {found[0]['outcome']}"] += 1
        elif row["body"] != found[0]["text"]:
            problems["body differs from the recorded text"] += 1
        elif set(TAG.findall(row["body"])) != {tag}:
            problems["cross-talk: another stream's tag in the body"] += 1
    return problems


# -- the benchmark ----------------------------------------------------------------------------


def warm(stack: StackProcess, url: str, target: int, ramp: int) -> int:
    """Grow the function to ``target`` warm processes, about ``ramp`` new ones per round.

    Each round sends ``ramp`` more requests than there are processes, all at once, and the
    emulator holds each one (a stall fault) so that none frees its process before the last
    has been placed; the hold doubles after a round that grew the pool too little.
    """
    hold = 1.0
    size = 0
    try:
        for round_ in range(target // ramp * 3 + 10):
            before = len(descendants(stack.pid))
            if before >= target:
                return before
            size = min(target, max(size, before) + ramp)
            group = f"warmup{letters(round_, 2)}"
            add_fault(stack.bedrock, f"stall; after=0; seconds={hold}", prompt=group)
            prompts = [f"Tell me about {group}{letters(i, 3)}" for i in range(size)]
            with ThreadPoolExecutor(size) as pool:
                answers = list(
                    pool.map(lambda p: request(url, "POST", {"message": p}, 120), prompts)
                )
            failed = [status for status, _ in answers if status != 200]
            if failed:
                raise RuntimeError(f"warm-up: {len(failed)} requests failed: {failed[:5]}")
            if len(descendants(stack.pid)) - before < min(ramp, target - before) / 2:
                hold = min(hold * 2, 8.0)
        raise RuntimeError(f"warm-up: {len(descendants(stack.pid))} processes, not {target}")
    finally:
        clear_faults(stack.bedrock)


def run_rep(
    stack: StackProcess, url: str, streams: int, rounds: int, serial: int
) -> tuple[dict[str, Any], Counter[str], list[dict[str, Any]]]:
    plan = [
        [f"zq{letters(serial + s * rounds + r, 5)}" for r in range(rounds)] for s in range(streams)
    ]
    config = json.dumps({"url": url, "plan": plan})
    with Sampler(stack.pid) as sampler:
        done = subprocess.run(
            [sys.executable, __file__, "--client"],
            input=config,
            capture_output=True,
            text=True,
            check=True,
        )
    at_end = snapshot(stack.pid, pss=True)
    measured = json.loads(done.stdout)
    rows: list[dict[str, Any]] = measured["rows"]
    problems = verify(rows, emulator_requests(stack.bedrock))
    good = [r for r in rows if r["ttfb"] is not None and r["total"] is not None]
    wall = measured["wall"]
    total_bytes = sum(len(r["body"].encode()) for r in rows)
    row = {
        "streams": len(rows),
        "wall_s": wall,
        "throughput_kib_s": total_bytes / wall / 1024,
        "streams_per_s": len(rows) / wall,
        "ttfb_p50_ms": pct([r["ttfb"] for r in good], 0.5) * 1e3,
        "ttfb_p99_ms": pct([r["ttfb"] for r in good], 0.99) * 1e3,
        "total_p50_ms": pct([r["total"] for r in good], 0.5) * 1e3,
        "total_p99_ms": pct([r["total"] for r in good], 0.99) * 1e3,
        "errors": sum(problems.values()),
        "bytes": total_bytes,
        "peak_stack_rss_mib": sampler.peak["rss_mib"],
        "peak_tree_rss_mib": sampler.peak["tree_rss_mib"],
        "tree_pss_mib_at_end": at_end["tree_pss_mib"],
        "peak_children": sampler.peak["children"],
        "peak_threads": sampler.peak["threads"],
        "peak_fds": sampler.peak["fds"],
    }
    failed = [r for r in rows if r["error"] is not None or r["status"] != 200][:5]
    return row, problems, failed


UNITS = {
    "streams": ("streams", "{:.0f}"),
    "wall_s": ("wall time, s", "{:.2f}"),
    "throughput_kib_s": ("throughput, KiB/s (body bytes)", "{:.1f}"),
    "streams_per_s": ("throughput, streams/s", "{:.1f}"),
    "ttfb_p50_ms": ("TTFB p50, ms", "{:.0f}"),
    "ttfb_p99_ms": ("TTFB p99, ms", "{:.0f}"),
    "total_p50_ms": ("total time p50, ms", "{:.0f}"),
    "total_p99_ms": ("total time p99, ms", "{:.0f}"),
    "errors": ("errors", "{:.0f}"),
    "peak_stack_rss_mib": ("peak RSS, stack process, MiB", "{:.0f}"),
    "peak_tree_rss_mib": ("peak RSS, stack + children, MiB", "{:.0f}"),
    "tree_pss_mib_at_end": ("PSS, stack + children (at end), MiB", "{:.0f}"),
    "peak_children": ("peak function processes", "{:.0f}"),
    "peak_threads": ("peak threads, stack process", "{:.0f}"),
    "peak_fds": ("peak fds, stack process", "{:.0f}"),
}


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| metric | median | min-max |", "|---|---|---|"]
    for key, (label, fmt) in UNITS.items():
        values = [row[key] for row in rows]
        low, high = fmt.format(min(values)), fmt.format(max(values))
        lines.append(f"| {label} | {fmt.format(statistics.median(values))} | {low}-{high} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--streams", type=int, default=200, help="concurrent streams")
    parser.add_argument("--rounds", type=int, default=3, help="back-to-back streams per client")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--speed", type=float, default=0.1, help="the emulated model's pace")
    parser.add_argument("--concurrency", type=int, help="function concurrency (default: streams)")
    parser.add_argument("--ramp", type=int, default=10, help="new processes per warm-up round")
    parser.add_argument("--template", type=Path, default=REFERENCE_APP)
    parser.add_argument("--out", type=Path, default=RESULTS / "load.json")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        print(json.dumps(client(json.load(sys.stdin))))
        return 0
    concurrency = args.concurrency or args.streams
    log = args.out.with_suffix(".stack.log")
    rows: list[dict[str, Any]] = []
    all_problems: Counter[str] = Counter()
    examples: list[dict[str, Any]] = []
    # The reference app as shipped takes one request a second per API key: the benchmark
    # measures the streaming path, so it deploys the app open (Authentication=NONE).
    extra = ("--parameter", "Authentication=NONE") if args.template == REFERENCE_APP else ()
    with StackProcess(
        args.template, speed=args.speed, concurrency=concurrency, log=log, extra=extra
    ) as stack:
        url = stack.route("StreamingApi", "/ask")
        began = time.monotonic()
        warm_processes = warm(stack, url, args.streams, args.ramp)
        warm_s = time.monotonic() - began
        print(f"warm: {warm_processes} processes in {warm_s:.1f} s", file=sys.stderr)
        for rep in range(args.reps):
            row, problems, failed = run_rep(
                stack, url, args.streams, args.rounds, serial=rep * args.streams * args.rounds
            )
            rows.append(row)
            all_problems.update(problems)
            examples += failed
            print(f"rep {rep + 1}/{args.reps}: {json.dumps(row)}", file=sys.stderr, flush=True)
            for kind, count in problems.items():
                print(f"  {count} x {kind}", file=sys.stderr)
    result = {
        "app": relative(args.template),
        "streams": args.streams,
        "rounds": args.rounds,
        "speed": args.speed,
        "concurrency": concurrency,
        "warm_processes": warm_processes,
        "warm_s": warm_s,
        "rows": rows,
        "problems": dict(all_problems),
        "failed_examples": [{k: v for k, v in r.items() if k != "body"} for r in examples],
        "median": {key: statistics.median(row[key] for row in rows) for key in UNITS},
        "labels": {key: label for key, (label, _) in UNITS.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(
        f"{args.streams} concurrent streams x {args.rounds} rounds, speed {args.speed}, "
        f"{args.reps} reps (median, min-max)"
    )
    print(table(rows))
    return 1 if all_problems else 0


if __name__ == "__main__":
    sys.exit(main())
