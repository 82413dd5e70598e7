"""An existing FastAPI app on bedrock-stream's ASGI adapter, against uvicorn and Mangum.

Every system serves the same app (asgi_bench_app.py: a ``StreamingResponse`` of 24-byte
SSE events) in a process of its own, one after another, the order rotated on every
repetition:

* ``bedrock-stream``: ``python -m bedrock_stream.runtime`` with
  ``asgi_handler(app)`` (asgi_bench_lambda.py) on the timestamping Runtime API stub
  (runtime_stub.py), each response streamed through the runtime's sink;
* ``uvicorn``: the Lambda Web Adapter's app path, uvicorn with asyncio + h11, to a
  loopback HTTP client; ``uvicorn-uvloop``: the same with uvloop + httptools;
* ``mangum``: ``Mangum(app)`` (asgi_bench_mangum.py) on the same runtime and stub: a plain
  handler, so its response is posted buffered;
* ``app import``: ``python -c "import asgi_bench_app"``, the floor every server stands on.

Figures per system and repetition:

* cold start: process spawn to the first body byte of the first response (a 10-event
  stream), with the event already waiting (in ``/next``; for uvicorn, the client connects
  as soon as the port listens, polling every millisecond); for the app import, spawn to
  the first byte the child writes once imported. The app's import writes when it began
  and ended, which splits each cold start into before, during and after the import.
  What a server adds on top of the app's import, two ways: ``adds``, its cold start minus
  the app import's in the same repetition (unbiased, but the difference of two noisy
  figures), and ``own``, its time before and after the app's import in its own process,
  less the interpreter's start (the app import's time before the app) (steady, but it
  counts as the server's what it imports before the app that the app would import too:
  asyncio, for uvicorn; so it is reported, not scored against a target);
* burst: a stream of ``--burst`` events sent back to back: events/s from the first body
  byte's arrival to the last byte's, and the HTTP chunks they came in (the adapter sends
  in one chunk what the app sent while the previous write was in flight; uvicorn frames
  each ``http.response.body`` as a chunk of its own);
* paced: ``--paced`` events ``--gap-ms`` apart: time from the request (the event queued,
  or the client's connect) to the first body byte, and to the last; its chunks;
* peak RSS (VmHWM) of the server process after all that (for the app import, its own).

``uvicorn-uvloop`` runs only where uvloop and httptools are installed, ``mangum`` only
where Mangum is; a run without them says so and scores no target against them.

Every body is checked byte for byte against the app's events. Figures are medians with
min-max; ratios are medians of per-repetition pairs.

    python benchmarks/asgi_bench.py --reps 21   # writes benchmarks/results/asgi_bench.json
"""

from __future__ import annotations

import argparse
import base64
import compileall
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from asgi_bench_app import token  # noqa: E402
from runtime_bench import (  # noqa: E402
    SRC,
    free_port,
    http_stream,
    runtime_command,
    uvicorn_command,
    vmhwm_mib,
    wait_listening,
)
from runtime_stub import Stream, Stub  # noqa: E402

COLD = 10
"""Events in the cold start's response."""
PRELUDE_END = b"\x00" * 8
"""Ends the HTTP integration prelude (status and headers) of a streamed response."""

MARKS = Path(tempfile.gettempdir()) / f"asgi_bench_marks_{os.getpid()}"
"""Where the app's import writes when it began and ended (see asgi_bench_app.py)."""
ENV = {**os.environ, "PYTHONPATH": f"{SRC}:{HERE}", "ASGI_BENCH_MARKS": str(MARKS)}
"""The environment of uvicorn and the app import (the runtime's is ``runtime_command``'s)."""
Row = dict[str, float]


def expected(n: int) -> bytes:
    return b"".join(token(index) for index in range(n))


def event(n: int, gap_ms: float = 0.0) -> dict[str, Any]:
    """A function URL (payload 2.0) ``GET /stream`` for ``n`` events ``gap_ms`` apart."""
    query = f"n={n}&gap_ms={gap_ms:g}"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/stream",
        "rawQueryString": query,
        "headers": {"host": "bench.lambda-url.us-east-1.on.aws", "accept": "text/event-stream"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "bench",
            "domainName": "bench.lambda-url.us-east-1.on.aws",
            "http": {
                "method": "GET",
                "path": "/stream",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "asgi_bench",
            },
            "requestId": "bench",
            "routeKey": "$default",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 1767225600000,
        },
        "isBase64Encoded": False,
    }


# -- reading what arrived ------------------------------------------------------------------


def frames(raw: bytes) -> list[tuple[int, bytes]]:
    """An HTTP/1.1 chunked body's chunks, each with its offset in ``raw``."""
    out = []
    pos = 0
    while True:
        eol = raw.index(b"\r\n", pos)
        size = int(raw[pos:eol].split(b";")[0], 16)
        if size == 0:
            return out
        out.append((eol + 2, raw[eol + 2 : eol + 2 + size]))
        pos = eol + 2 + size + 2


def streamed_body(raw: bytes, prelude: bool) -> tuple[int, bytes, int]:
    """(offset in ``raw`` of the first body byte, the body, the chunks holding body bytes)
    of a chunked response body, after its HTTP integration prelude when it has one."""
    starts = []  # (offset in raw, offset in the decoded body) of each chunk
    decoded = bytearray()
    for offset, chunk in frames(raw):
        starts.append((offset, len(decoded)))
        decoded += chunk
    body = decoded.index(PRELUDE_END) + len(PRELUDE_END) if prelude else 0
    first = next(raw_at + body - at for raw_at, at in reversed(starts) if at <= body)
    ends = [at for _, at in starts[1:]] + [len(decoded)]
    return first, bytes(decoded[body:]), sum(1 for end in ends if end > body)


def arrival_ns(recvs: list[tuple[int, int]], offset: int) -> int:
    """When the byte at ``offset`` arrived: the first ``recv()`` that reached past it."""
    return next(ns for ns, end in recvs if end > offset)


def check(body: bytes, n: int, system: str) -> None:
    if body != expected(n):
        raise AssertionError(f"{system}: the body of a {n}-event stream is wrong: {body[:80]!r}")


# -- the systems -----------------------------------------------------------------------------


class Arrival(NamedTuple):
    """How one response arrived: times in monotonic ns."""

    sent: int
    """The request went out: the event queued, or the client's connect."""
    first: int
    """The first body byte arrived."""
    last: int
    """The last byte arrived."""
    chunks: int
    """HTTP chunks the body came in (1 for a buffered response)."""


Send = Callable[[dict[str, Any], int], Arrival]
"""Sends a request for ``n`` events to a warm server."""


def on_stub(stub: Stub, request: dict[str, Any], system: str, n: int) -> Arrival:
    """Invoke through ``stub``; how the response arrived, its body checked."""
    queued = time.monotonic_ns()
    stream = stub.invoke(request)
    if not stream.done.wait(120):
        raise TimeoutError(f"{system}: no response in 120 s")
    return received(stream, queued, system, n)


def received(stream: Stream, sent: int, system: str, n: int) -> Arrival:
    """How a response on the stub arrived, its body checked."""
    if not stream.recvs:  # buffered: a proxy response, in one piece
        response = json.loads(bytes(stream.data))
        body = response["body"].encode()
        if response.get("isBase64Encoded"):
            body = base64.b64decode(body)
        check(body, n, system)
        return Arrival(sent, stream.started_ns, stream.started_ns, 1)
    first, body, chunks = streamed_body(bytes(stream.data), prelude=True)
    check(body, n, system)
    return Arrival(sent, arrival_ns(stream.recvs, first), stream.recvs[-1][0], chunks)


def run_runtime(system: str, handler: str, args: argparse.Namespace) -> Row:
    """``handler`` on bedrock-stream's runtime: cold start, burst, paced, peak RSS."""
    stub = Stub()
    command, env = runtime_command("bedrock-stream", None, handler)
    env.update(AWS_LAMBDA_RUNTIME_API=stub.address, ASGI_BENCH_MARKS=str(MARKS))
    cold = stub.invoke(event(COLD))
    spawned = time.monotonic_ns()
    proc = subprocess.Popen(command, env=env, cwd=HERE, stdout=subprocess.DEVNULL)
    try:
        if not cold.done.wait(60):
            raise TimeoutError(f"{system}: no first response in 60 s")
        row = cold_start(spawned, received(cold, spawned, system, COLD).first)
        send: Send = lambda request, n: on_stub(stub, request, system, n)  # noqa: E731
        row.update(workloads(send, args, burst=system != "mangum"))
        row["rss_mib"] = vmhwm_mib(proc.pid)
        return row
    finally:
        proc.kill()
        proc.wait()
        stub.close()


def on_http(port: int, request: dict[str, Any], system: str, n: int) -> Arrival:
    """GET ``request``'s path from uvicorn; how the response arrived, its body checked."""
    started = time.monotonic_ns()
    raw, recvs = http_stream(port, f"{request['rawPath']}?{request['rawQueryString']}", True)
    first, body, chunks = streamed_body(raw, prelude=False)
    check(body, n, system)
    return Arrival(started, arrival_ns(recvs, first), recvs[-1][0], chunks)


def run_uvicorn(system: str, loop: str, http: str, args: argparse.Namespace) -> Row:
    """uvicorn serving the app: cold start (polling the port every ms), burst, paced, RSS."""
    port = free_port()
    command = uvicorn_command("asgi_bench_app:app", port, loop, http)
    spawned = time.monotonic_ns()
    proc = subprocess.Popen(command, cwd=HERE, env=ENV)
    try:
        wait_listening(port, poll=0.001)
        row = cold_start(spawned, on_http(port, event(COLD), system, COLD).first)
        send: Send = lambda request, n: on_http(port, request, system, n)  # noqa: E731
        row.update(workloads(send, args, burst=True))
        row["rss_mib"] = vmhwm_mib(proc.pid)
        return row
    finally:
        proc.kill()
        proc.wait()


def run_import(args: argparse.Namespace) -> Row:
    """The app's import alone: spawn to the byte the child writes once it has imported it."""
    code = "import asgi_bench_app, os, sys\nos.write(1, b'.')\nsys.stdin.read()"
    command = [sys.executable, "-c", code]
    spawned = time.monotonic_ns()
    proc = subprocess.Popen(
        command, cwd=HERE, env=ENV, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdout.read(1)
        row = cold_start(spawned, time.monotonic_ns())
        row["rss_mib"] = vmhwm_mib(proc.pid)
        return row
    finally:
        proc.stdin.close()
        proc.wait()
        proc.stdout.close()


def cold_start(spawned: int, first: int) -> Row:
    """A process's cold start, once its first byte arrived at ``first`` (monotonic ns), and
    its parts before and after the app's import (the times the import wrote to ``MARKS``)."""
    began, ended = (int(mark) for mark in MARKS.read_text().split())
    MARKS.unlink()
    return {
        "cold_ms": (first - spawned) / 1e6,
        "before_app_ms": (began - spawned) / 1e6,
        "app_ms": (ended - began) / 1e6,
        "after_app_ms": (first - ended) / 1e6,
    }


def workloads(send: Send, args: argparse.Namespace, *, burst: bool) -> Row:
    """A server's warm figures; ``send(request, n)`` answers how the response arrived.
    ``burst`` is False for a buffered system, whose events arrive all at once."""
    send(event(1000), 1000)  # warm-up
    row: Row = {}
    if burst:
        got = send(event(args.burst), args.burst)
        row["burst_events_s"] = args.burst / ((got.last - got.first) / 1e9)
        row["burst_chunks"] = got.chunks
    got = send(event(args.paced, args.gap_ms), args.paced)
    row["paced_ttfb_ms"] = (got.first - got.sent) / 1e6
    row["paced_total_ms"] = (got.last - got.sent) / 1e6
    row["paced_chunks"] = got.chunks
    return row


ALL_SYSTEMS: dict[str, Callable[[argparse.Namespace], Row]] = {
    "bedrock-stream": lambda args: run_runtime("bedrock-stream", "asgi_bench_lambda.handler", args),
    "uvicorn": lambda args: run_uvicorn("uvicorn", "asyncio", "h11", args),
    "uvicorn-uvloop": lambda args: run_uvicorn("uvicorn-uvloop", "uvloop", "httptools", args),
    "mangum": lambda args: run_runtime("mangum", "asgi_bench_mangum.handler", args),
    "app import": run_import,
}
"""Each system's run, by name; the order of the report's columns."""
NEEDS = {"uvicorn-uvloop": ("uvloop", "httptools"), "mangum": ("mangum",)}
"""The optional peers and what they need installed (the bench extra has them)."""
SYSTEMS = {
    name: run
    for name, run in ALL_SYSTEMS.items()
    if all(importlib.util.find_spec(module) for module in NEEDS.get(name, ()))
}
"""The systems this run measures: those whose modules are installed."""
OURS = "bedrock-stream"
FLOOR = "app import"

LABELS = {
    "cold_ms": "cold start: spawn to first body byte, ms",
    "adds_ms": "cold start over the app's import, ms",
    "own_ms": "cold start outside the app's import and the interpreter's start, ms",
    "before_app_ms": "cold start: spawn to the app's import, ms",
    "app_ms": "cold start: the app's import, ms",
    "after_app_ms": "cold start: the app imported to first body byte, ms",
    "burst_events_s": "burst: events/s",
    "burst_chunks": "burst: HTTP chunks on the wire",
    "paced_ttfb_ms": "paced: time to first byte, ms",
    "paced_total_ms": "paced: time to last byte, ms",
    "paced_chunks": "paced: HTTP chunks on the wire",
    "rss_mib": "peak RSS, MiB",
}


def repetition(rep: int, args: argparse.Namespace) -> dict[str, Row]:
    """Every system once, the order rotated by ``rep``; ``adds_ms`` against this rep's floor."""
    names = list(SYSTEMS)
    order = names[rep % len(names) :] + names[: rep % len(names)]
    row = {name: SYSTEMS[name](args) for name in order}
    for name in names:
        if name != FLOOR:
            row[name]["adds_ms"] = row[name]["cold_ms"] - row[FLOOR]["cold_ms"]
            own = row[name]["before_app_ms"] + row[name]["after_app_ms"]
            row[name]["own_ms"] = own - row[FLOOR]["before_app_ms"]
    return {name: row[name] for name in names}


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):,.1f} ({min(values):,.1f}-{max(values):,.1f})"


def ratios(rows: list[dict[str, Row]], metric: str, ours: str, peer: str) -> list[float]:
    return [
        row[ours][metric] / row[peer][metric]
        for row in rows
        if metric in row[ours] and row[peer].get(metric)
    ]


ADDS = "adds to the app's import at most half what uvicorn adds"
TARGETS = [
    # (metric, peer, comparison, bound, what issue 19 asks)
    ("cold_ms", "uvicorn", "<", 1.0, "cold start below uvicorn's"),
    ("cold_ms", "uvicorn-uvloop", "<", 1.0, "cold start below uvicorn's"),
    ("adds_ms", "uvicorn", "<=", 0.5, ADDS),
    ("adds_ms", "uvicorn-uvloop", "<=", 0.5, ADDS),
    ("burst_events_s", "uvicorn", ">=", 2.0, "events/s at least twice uvicorn's"),
    ("burst_events_s", "uvicorn-uvloop", ">=", 2.0, "events/s at least twice uvicorn's"),
    ("paced_ttfb_ms", "mangum", "<", 1.0, "first byte of a paced stream before Mangum's"),
]
MEETS = {"<": float.__lt__, "<=": float.__le__, ">=": float.__ge__}


def summarize(rows: list[dict[str, Row]]) -> tuple[str, list[dict[str, Any]]]:
    """The report's tables (markdown), and the targets with their median ratios."""
    names = list(SYSTEMS)
    lines = ["| metric | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for metric, label in LABELS.items():
        cells = []
        for name in names:
            values = [row[name][metric] for row in rows if metric in row[name]]
            cells.append(spread(values) if values else "-")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", f"| target, {OURS} / peer | peer | ratio, median (min-max) | met |"]
    lines.append("|---|---|---|---|")
    targets = []
    for metric, peer, comparison, bound, goal in TARGETS:
        if peer not in SYSTEMS:
            continue
        pairs = ratios(rows, metric, OURS, peer)
        median = statistics.median(pairs)
        met = MEETS[comparison](median, bound)
        goal = f"{goal} ({comparison} {bound:g})"
        targets.append(
            {"metric": metric, "peer": peer, "goal": goal, "ratio": median,
             "min": min(pairs), "max": max(pairs), "met": met}
        )  # fmt: skip
        lines.append(
            f"| {goal} | {peer} | **{median:.2f}** ({min(pairs):.2f}-{max(pairs):.2f}) | "
            f"{'yes' if met else 'no'} |"
        )
    return "\n".join(lines), targets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=21)
    parser.add_argument("--burst", type=int, default=20_000, help="events in the burst")
    parser.add_argument("--paced", type=int, default=100, help="events in the paced stream")
    parser.add_argument("--gap-ms", type=float, default=5.0, help="between paced events")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "asgi_bench.json")
    args = parser.parse_args()
    # Deployed code carries .pyc files (pip compiles on install); so must these sources, or
    # every cold start would compile them anew.
    compileall.compile_dir(SRC / "bedrock_stream", quiet=1)
    for module in ("asgi_bench_app", "asgi_bench_lambda", "asgi_bench_mangum"):
        compileall.compile_file(HERE / f"{module}.py", quiet=1)
    for name in ALL_SYSTEMS.keys() - SYSTEMS.keys():
        print(f"{name}: not measured, {' and '.join(NEEDS[name])} not installed", file=sys.stderr)
    rows = []
    for rep in range(args.reps):
        rows.append(repetition(rep, args))
        print(f"rep {rep + 1}/{args.reps}: " + json.dumps(rows[-1]), file=sys.stderr, flush=True)
    report, targets = summarize(rows)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    figures = {"burst": args.burst, "paced": args.paced, "gap_ms": args.gap_ms}
    result = {**figures, "labels": LABELS, "rows": rows, "targets": targets}
    args.json.write_text(json.dumps(result, indent=1))
    print(report)


if __name__ == "__main__":
    main()
