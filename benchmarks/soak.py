"""Soak: mixed traffic, good and faulty, against one local stack for ``--minutes``; no leaks.

The app (benchmarks/soak_template.yaml) puts the reference app's handler (examples/sam-app,
Bedrock through boto3 to the emulator) and the test app's handler (tests/stack/app:
crash, sleep, pace) behind a streaming and a buffered REST API, four functions in all,
each allowed ``--concurrency`` processes. Requests go out at a steady ``--rate`` per second,
cycling through these kinds, each with the outcome it must have:

==================  ==========================================  ==================================
kind                request                                     expected
==================  ==========================================  ==================================
stream              streaming /ask, unique topic                200, chunked, body == the text the
                                                                emulator recorded for it
buffered            buffered /ask, unique topic                 200, body == the recorded text
stream-throttled    streaming /ask; emulator fault: throttling  429 "the model is busy",
                    (prompt filter, every attempt)              Retry-After: 2
buffered-throttled  buffered /ask; same fault                   429, same
model-error         streaming /ask; fault: exception frame      200, then truncated: a proper
                    after 5 tokens                              prefix of the recorded text
crash               streaming /run ``crash``                    200 "started\\n", then truncated
timeout             streaming /run ``sleep`` (2 s timeout)      200 "started\\n", then truncated
buffered-crash      buffered /run ``crash``                     502 "Internal server error"
disconnect          streaming /run ``pace`` (10 lines, 1 s);    200 "0\\n"; the stack logs the
                    the client leaves after the first line      function finishing after it left
==================  ==========================================  ==================================

Resources of the stack process (/proc): open file descriptors, threads, RSS, and its
function processes (children). Baseline: after a warm-up that fills every function's pool
to ``--concurrency`` processes, sends one request of every kind, and fills the pools again
(crashes and timeouts cost processes), then ``--quiet`` seconds of quiet. End: after the
traffic, the in-flight requests, the same refill and quiet; measured again every second for
up to ``--settle`` seconds until the bounds hold (idle keep-alive connections close after
60 s). Bounds, each PASS or FAIL:

* fds and threads: back within +10 of the baseline;
* function processes: at most 4 x ``--concurrency`` at every sample (1 s), no zombie at the end;
* stack RSS: grew less than 50 MiB;
* no exception logged by the stack's own servers (function output excluded);
* every kind's outcome as expected, every disconnect's end logged;
* on SIGTERM the stack exits 0 and leaves no function process behind.

Prints the tables, writes benchmarks/results/soak.json (or ``--out``), exits 1 on any FAIL.

    .venv/bin/python benchmarks/soak.py               # 10 minutes at 4 requests/s
    .venv/bin/python benchmarks/soak.py --minutes 0.2 # a smoke run
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stack_harness import (
    RESULTS,
    Sampler,
    StackProcess,
    add_fault,
    descendants,
    emulator_requests,
    letters,
    snapshot,
)

TEMPLATE = Path(__file__).resolve().parent / "soak_template.yaml"
FUNCTIONS = 4
TAG = re.compile(r"(?:zq|breakage)[a-z]{5}")
"""Topic words of answers (letters only: the built-in model takes them as the topic)."""
CYCLE = (
    "stream", "buffered", "stream", "stream-throttled", "disconnect", "stream", "model-error",
    "buffered", "crash", "stream", "timeout", "buffered-throttled", "buffered-crash",
)  # fmt: skip
BUSY = "the model is busy; try again shortly"
BAD_GATEWAY = {"message": "Internal server error"}
WARM_SERIAL = 10_000_000
"""Serial numbers of the warm-up's requests (the traffic's count from 1)."""
FD_SLACK = 10
THREAD_SLACK = 10
RSS_GROWTH_MIB = 50.0


@dataclass
class Urls:
    ask_stream: str
    ask_buffer: str
    act_stream: str
    act_buffer: str


# -- one request -------------------------------------------------------------------------------


def call(url: str, document: dict[str, Any], *, leave: bool = False) -> dict[str, Any]:
    """POST ``document``; read the whole response (or, ``leave``, its first bytes and go)."""
    parts = urlsplit(url)
    row: dict[str, Any] = {"status": None, "headers": {}, "body": b"", "complete": False}
    row["error"] = None
    connection = http.client.HTTPConnection(parts.netloc, timeout=60)
    started = time.monotonic()
    try:
        connection.request(
            "POST",
            parts.path,
            body=json.dumps(document),
            headers={"Content-Type": "application/json"},
        )
        response = connection.getresponse()
        row["status"] = response.status
        row["headers"] = {k.lower(): v for k, v in response.getheaders()}
        if leave:
            row["body"] = response.read1(64)
        else:
            try:
                row["body"] = response.read()
                row["complete"] = True
            except http.client.IncompleteRead as exc:
                row["body"] = exc.partial
    except Exception as exc:  # counted as unexpected, never fatal
        row["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()
    row["seconds"] = time.monotonic() - started
    return row


def send(kind: str, serial: int, urls: Urls) -> dict[str, Any]:
    tag = ""
    if kind in ("stream", "buffered"):
        tag = f"zq{letters(serial, 5)}"
    elif kind in ("stream-throttled", "buffered-throttled"):
        tag = f"throttle{letters(serial, 5)}"
    elif kind == "model-error":
        tag = f"breakage{letters(serial, 5)}"
    if kind in ("stream", "stream-throttled", "model-error"):
        row = call(urls.ask_stream, {"message": f"Tell me about {tag}"})
    elif kind in ("buffered", "buffered-throttled"):
        row = call(urls.ask_buffer, {"message": f"Tell me about {tag}"})
    elif kind in ("crash", "timeout"):
        row = call(urls.act_stream, {"action": "crash" if kind == "crash" else "sleep"})
    elif kind == "buffered-crash":
        row = call(urls.act_buffer, {"action": "crash"})
    elif kind == "disconnect":
        row = call(urls.act_stream, {"action": "pace", "n": 10, "interval": 0.1}, leave=True)
    else:
        raise ValueError(kind)
    row["kind"], row["tag"] = kind, tag
    return row


# -- expectations ------------------------------------------------------------------------------


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _answer(row: dict[str, Any], texts: dict[str, list[dict[str, Any]]], outcome: str) -> str:
    """Check a body against the one emulator record for its tag; return '' or the problem."""
    found = texts.get(row["tag"], [])
    if len(found) != 1:
        return f"{len(found)} emulator records for its tag"
    if found[0]["outcome"] != outcome:
        return f"emulator outcome {found[0]['outcome']}, not {outcome}"
    body = row["body"].decode("utf-8", "replace")
    if set(TAG.findall(body)) - {row["tag"]}:
        return "cross-talk: another request's tag in the body"
    text = found[0]["text"]
    if outcome == "ok":
        return "" if body == text else "body differs from the recorded text"
    return "" if body and len(body) < len(text) and text.startswith(body) else "not a prefix"


def _stream_ok(row: dict[str, Any], texts: dict[str, list[dict[str, Any]]]) -> str:
    if row["headers"].get("transfer-encoding") != "chunked":
        return "not chunked"
    return _answer(row, texts, "ok") if row["complete"] else "truncated"


def _buffered_ok(row: dict[str, Any], texts: dict[str, list[dict[str, Any]]]) -> str:
    if "content-length" not in row["headers"]:
        return "no Content-Length"
    return _answer(row, texts, "ok") if row["complete"] else "truncated"


def _throttled(row: dict[str, Any], texts: dict[str, list[dict[str, Any]]]) -> str:
    document = _json(row["body"])
    if not isinstance(document, dict) or document.get("message") != BUSY:
        return f"{row['status']} {row['body'][:80]!r}"
    return "" if row["headers"].get("retry-after") == "2" else "no Retry-After: 2"


def _model_error(row: dict[str, Any], texts: dict[str, list[dict[str, Any]]]) -> str:
    return "complete" if row["complete"] else _answer(row, texts, "exception")


def _started_then_cut(row: dict[str, Any], texts: dict[str, list[dict[str, Any]]]) -> str:
    if row["complete"]:
        return "complete, not truncated"
    return "" if row["body"] == b"started\n" else f"body {row['body'][:80]!r}"


def _bad_gateway(row: dict[str, Any], texts: dict[str, list[dict[str, Any]]]) -> str:
    if row["status"] == 502 and _json(row["body"]) == BAD_GATEWAY:
        return ""
    return f"{row['status']} {row['body'][:80]!r}"


def _left(row: dict[str, Any], texts: dict[str, list[dict[str, Any]]]) -> str:
    return "" if row["body"].startswith(b"0\n") else f"body {row['body'][:80]!r}"


CHECKS: dict[str, tuple[int, Callable[[dict[str, Any], dict[str, list[dict[str, Any]]]], str]]] = {
    "stream": (200, _stream_ok),
    "buffered": (200, _buffered_ok),
    "stream-throttled": (429, _throttled),
    "buffered-throttled": (429, _throttled),
    "model-error": (200, _model_error),
    "crash": (200, _started_then_cut),
    "timeout": (200, _started_then_cut),
    "buffered-crash": (502, _bad_gateway),
    "disconnect": (200, _left),
}
EXPECTED = {
    "stream": "200, body == recorded text",
    "buffered": "200, body == recorded text",
    "stream-throttled": "429 busy, Retry-After",
    "buffered-throttled": "429 busy, Retry-After",
    "model-error": "200, truncated prefix of the text",
    "crash": "200 started, truncated",
    "timeout": "200 started, truncated",
    "buffered-crash": "502",
    "disconnect": "200, first line; end logged",
}


def check(row: dict[str, Any], texts: dict[str, list[dict[str, Any]]]) -> str:
    """Return '' if ``row`` had its kind's expected outcome, else what went wrong."""
    if row["error"] is not None:
        return row["error"]
    status, rule = CHECKS[row["kind"]]
    if row["status"] != status:
        return f"status {row['status']}, not {status}: {row['body'][:80]!r}"
    return rule(row, texts)


# -- the stack's state -------------------------------------------------------------------------


def fill(stack: StackProcess, urls: Urls, concurrency: int, group: str) -> int:
    """Fill every function's pool: ``concurrency`` requests each at once, each held ~1-2 s."""
    children = 0
    for _ in range(3):
        add_fault(stack.bedrock, "stall; after=0; seconds=2", prompt=group, times=2 * concurrency)
        jobs: list[tuple[str, dict[str, Any]]] = []
        for i in range(concurrency):
            message = {"message": f"Tell me about {group}{letters(i, 3)}"}
            hold = {"action": "pace", "n": 1, "interval": 1.0}
            jobs += [(urls.ask_stream, message), (urls.ask_buffer, message)]
            jobs += [(urls.act_stream, hold), (urls.act_buffer, hold)]
        with ThreadPoolExecutor(len(jobs)) as pool:
            rows = list(pool.map(lambda job: call(*job), jobs))
        bad = [(r["status"], r["error"]) for r in rows if r["status"] != 200 or not r["complete"]]
        if bad:
            raise RuntimeError(f"warm-up requests failed: {bad[:5]}")
        children = len(descendants(stack.pid))
        if children == FUNCTIONS * concurrency:
            return children
        group += "x"
    raise RuntimeError(f"the pools hold {children} processes, not {FUNCTIONS * concurrency}")


def stack_exceptions(log: Path) -> int:
    """Tracebacks the stack's own servers logged.

    A function's output is one log line per line it printed, prefixed with its name
    (awslambdaric prints a traceback on one line, with CRs): only the stack's own
    tracebacks start a line.
    """
    text = log.read_bytes().decode("utf-8", "replace")  # not read_text: it turns CRs into LFs
    return sum(1 for line in text.split("\n") if line.startswith("Traceback"))


def bounds(base: dict[str, Any], end: dict[str, Any], peak_children: float, limit: int) -> list:
    return [
        ("fds", base["fds"], end["fds"], f"<= {base['fds'] + FD_SLACK} (baseline + {FD_SLACK})",
         end["fds"] <= base["fds"] + FD_SLACK),
        ("threads", base["threads"], end["threads"],
         f"<= {base['threads'] + THREAD_SLACK} (baseline + {THREAD_SLACK})",
         end["threads"] <= base["threads"] + THREAD_SLACK),
        ("function processes", base["children"],
         f"{end['children']} (peak {peak_children:.0f})", f"<= {limit} at every sample",
         max(peak_children, end["children"]) <= limit),
        ("zombie processes", base["zombies"], end["zombies"], "0 at the end", end["zombies"] == 0),
        ("stack RSS, MiB", round(base["rss_mib"], 1), round(end["rss_mib"], 1),
         f"growth < {RSS_GROWTH_MIB:.0f} MiB", end["rss_mib"] - base["rss_mib"] < RSS_GROWTH_MIB),
    ]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=4.0, help="requests per second")
    parser.add_argument("--concurrency", type=int, default=6, help="processes per function")
    parser.add_argument("--speed", type=float, default=0.2, help="the emulated model's pace")
    parser.add_argument("--quiet", type=float, default=3.0, help="seconds before measuring")
    parser.add_argument("--settle", type=float, default=75.0, help="seconds to wait for bounds")
    parser.add_argument("--out", type=Path, default=RESULTS / "soak.json")
    args = parser.parse_args()
    log = args.out.with_suffix(".stack.log")
    limit = FUNCTIONS * args.concurrency
    stack = StackProcess(TEMPLATE, speed=args.speed, concurrency=args.concurrency, log=log)
    try:
        urls = Urls(
            stack.route("StreamingApi", "/ask"),
            stack.route("BufferedApi", "/ask"),
            stack.route("StreamingApi", "/run"),
            stack.route("BufferedApi", "/run"),
        )
        add_fault(stack.bedrock, "throttling", prompt="throttle")
        add_fault(
            stack.bedrock, "exception; code=modelStreamErrorException; after=5", prompt="breakage"
        )
        # Warm-up: full pools, every kind once, full pools again, quiet.
        phase = time.monotonic()
        fill(stack, urls, args.concurrency, "warmupaa")
        with ThreadPoolExecutor(len(CHECKS)) as pool:
            warm_rows = list(
                pool.map(lambda k: send(k, WARM_SERIAL + list(CHECKS).index(k), urls), CHECKS)
            )
        fill(stack, urls, args.concurrency, "warmupab")
        time.sleep(args.quiet)
        base = snapshot(stack.pid)
        warm_s = time.monotonic() - phase
        print(f"baseline after {warm_s:.1f} s: {json.dumps(base)}", file=sys.stderr, flush=True)
        # Traffic.
        rows: list[dict[str, Any]] = []
        duration = args.minutes * 60
        with Sampler(stack.pid, interval=1.0, keep=True) as sampler:
            began = time.monotonic()
            with ThreadPoolExecutor(64) as pool:
                futures = []
                sent = 0
                while time.monotonic() - began < duration:
                    kind = CYCLE[sent % len(CYCLE)]
                    futures.append(pool.submit(send, kind, sent + 1, urls))
                    sent += 1
                    time.sleep(max(0.0, began + sent / args.rate - time.monotonic()))
                rows = [future.result() for future in futures]
            traffic_s = time.monotonic() - began
            # The end: pools refilled, quiet, then settle until the bounds hold.
            fill(stack, urls, args.concurrency, "warmupac")
            time.sleep(args.quiet)
            settle_began = time.monotonic()
            while True:
                end = snapshot(stack.pid)
                checks = bounds(base, end, sampler.peak.get("children", 0), limit)
                settled = time.monotonic() - settle_began
                if all(ok for *_, ok in checks) or settled >= args.settle:
                    break
                time.sleep(1.0)
        records = emulator_requests(stack.bedrock)
    finally:
        children = descendants(stack.pid)
        status = stack.stop()
    orphans = [pid for pid in children if Path(f"/proc/{pid}").exists()]
    # Outcomes.
    texts: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        for tag in set(TAG.findall(record.get("text") or "")):
            texts.setdefault(tag, []).append(record)
    counts: dict[str, Counter[str]] = {kind: Counter() for kind in CHECKS}
    problems: Counter[str] = Counter()
    for row in rows:
        problem = check(row, texts)
        counts[row["kind"]]["sent"] += 1
        counts[row["kind"]]["expected" if not problem else "unexpected"] += 1
        if problem:
            problems[f"{row['kind']}: {problem}"] += 1
    warm_problems = [f"{r['kind']}: {p}" for r in warm_rows if (p := check(r, texts))]
    log_text = log.read_text("utf-8", "replace")
    disconnects = sum(1 for r in rows + warm_rows if r["kind"] == "disconnect")
    finished_after = log_text.count("finished after its client went away: success")
    exceptions = stack_exceptions(log)
    extra = [
        ("disconnects whose end was logged", "-", f"{finished_after} of {disconnects}",
         "all", finished_after == disconnects),
        ("exceptions logged by the stack", "-", exceptions, "0", exceptions == 0),
        ("warm-up requests as expected", "-",
         f"{len(warm_rows) - len(warm_problems)} of {len(warm_rows)}", "all", not warm_problems),
        ("stack stops on SIGTERM", "-", f"exit {status}, {len(orphans)} left", "exit 0, 0 left",
         status == 0 and not orphans),
    ]  # fmt: skip
    all_checks = checks + extra
    outcomes_ok = not problems and all(counts[k]["sent"] > 0 for k in CHECKS)
    passed = all(ok for *_, ok in all_checks) and outcomes_ok
    # Report.
    series = sampler.series
    result = {
        "minutes": args.minutes,
        "rate": args.rate,
        "concurrency": args.concurrency,
        "speed": args.speed,
        "warm_s": warm_s,
        "traffic_s": traffic_s,
        "requests": len(rows),
        "settle_s": settled,
        "baseline": base,
        "end": end,
        "peak": sampler.peak,
        "bounds": [
            {"measure": m, "baseline": b, "end": e, "bound": bd, "pass": ok}
            for m, b, e, bd, ok in all_checks
        ],
        "outcomes": {kind: dict(c) for kind, c in counts.items()},
        "problems": dict(problems),
        "warm_problems": warm_problems,
        "seconds_median": {
            kind: statistics.median(r["seconds"] for r in rows if r["kind"] == kind)
            for kind in CHECKS
            if counts[kind]["sent"]
        },
        "series": series,
        "passed": passed,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(
        f"soak: {len(rows)} requests in {traffic_s / 60:.1f} min at {args.rate:g}/s, "
        f"{FUNCTIONS} functions x concurrency {args.concurrency}, model speed {args.speed:g}; "
        f"end measured after {args.quiet:g} s quiet + {settled:.0f} s settling"
    )
    print("\n| measure | baseline | end | bound | result |\n|---|---|---|---|---|")
    for measure, b, e, bound, ok in all_checks:
        print(f"| {measure} | {b} | {e} | {bound} | {'PASS' if ok else 'FAIL'} |")
    tree = (base["tree_rss_mib"], end["tree_rss_mib"])
    print(f"| stack + children RSS, MiB (info) | {tree[0]:.0f} | {tree[1]:.0f} | - | - |")
    print("\n| kind | sent | as expected | unexpected | expected outcome |\n|---|---|---|---|---|")
    for kind, c in counts.items():
        print(f"| {kind} | {c['sent']} | {c['expected']} | {c['unexpected']} | {EXPECTED[kind]} |")
    for problem, count in problems.most_common(10):
        print(f"  {count} x {problem}")
    for problem in warm_problems:
        print(f"  warm-up: {problem}")
    print(f"\n{'PASS' if passed else 'FAIL'} (details: {args.out})")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
