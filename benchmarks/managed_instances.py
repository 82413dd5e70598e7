"""Lambda Managed Instances on the local Lambda service: bedrock-stream's runtime against
awslambdaric 4.x, one environment serving N invocations at once.

Both run a function with ``max_concurrency=N`` on the in-process
:class:`~bedrock_stream.local.lambda_service.LambdaService`, so each forks N workers that poll
``/next`` concurrently. bedrock-stream is started by its exec wrapper and serves a
``@streaming_handler(http=False)`` generator; awslambdaric (``python -m awslambdaric``)
serves a plain handler returning the same bytes, buffered: it cannot stream. Measured, per N:

* **pool start**: from the environment's process start (the service's "process ... started"
  line, logged once the spawn returned) to the first and to the N-th ``/next`` poll, timed
  in the Runtime API server (``_next`` is wrapped). The first invocation holds its worker at
  a loopback barrier until N polls have arrived, so the N polls come from N workers.
* **memory**, once the N workers poll again: RSS (``statm``) and PSS (``smaps_rollup``) of
  the root process and of each of its children (``/proc/<pid>/task/*/children``); the tree's
  PSS divided by N is the memory per slot.
* **N streams at once**: N invocations submitted back to back, each returning 1 MiB in
  64 KiB chunks (``--body-kib``, ``--chunk-kib``), every body checked byte for byte: wall
  time from the first submission until every invocation ended, and each stream's time to
  first byte, p50 and max. awslambdaric's first byte comes with its whole response.
* **N paced streams**: the same with 64 chunks of 16 bytes 10 ms apart, a model's token pace.

Paired in one run: each repetition measures both runtimes for every N, in an order that
alternates from one repetition to the next; ratios are bedrock-stream / awslambdaric within a
repetition. Each figure is the median of ``--reps`` repetitions with its range. Linux only
(/proc). Writes benchmarks/results/managed_instances.json.

    .venv/bin/python benchmarks/managed_instances.py --reps 9
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stack_harness import MIB, pct, pss_bytes, rss_bytes

from bedrock_stream.cli import write_wrapper
from bedrock_stream.local.deployment import Function
from bedrock_stream.local.invocation import BodyChunk, Done
from bedrock_stream.local.lambda_service import LambdaService
from bedrock_stream.local.managed_runtime_api import ManagedRuntimeAPI
from bedrock_stream.local.slots import ManagedSandbox

RESULTS = Path(__file__).resolve().parent / "results"
OURS, PEER = "bedrock-stream", "awslambdaric"

APP = """
import socket
import time

from bedrock_stream import streaming_handler


def chunks(event, context):
    if "barrier" in event:
        with socket.create_connection(("127.0.0.1", event["barrier"]), timeout=60) as barrier:
            if barrier.recv(1) != b"g":
                raise RuntimeError("the barrier closed without releasing")
    for i in range(event["count"]):
        if i and event["gap"]:
            time.sleep(event["gap"])
        yield bytes([65 + i % 26]) * event["size"]


stream = streaming_handler(http=False)(chunks)


def buffered(event, context):
    return b"".join(chunks(event, context))
"""

LABELS = {
    "first_next_ms": "process start to the first /next, ms",
    "all_next_ms": "process start to all N workers polling /next, ms",
    "parent_rss_mib": "root process RSS, MiB",
    "parent_pss_mib": "root process PSS, MiB",
    "worker_rss_mib": "one worker's RSS (median of N), MiB",
    "worker_pss_mib": "one worker's PSS (median of N), MiB",
    "tree_pss_mib": "PSS of root and workers, MiB",
    "slot_pss_mib": "PSS per slot (tree / N), MiB",
    "burst_wall_ms": "N x body at once: all done, ms",
    "burst_ttfb_p50_ms": "N x body at once: first byte p50, ms",
    "burst_ttfb_max_ms": "N x body at once: first byte max, ms",
    "paced_wall_ms": "N paced streams: all done, ms",
    "paced_ttfb_p50_ms": "N paced streams: first byte p50, ms",
    "paced_ttfb_max_ms": "N paced streams: first byte max, ms",
}

# -- /next polls, timed where the Runtime API server takes them ---------------------------

POLLS: dict[int, list[float]] = {}  # id(api) -> monotonic time of each /next
_POLLS_LOCK = threading.Lock()
_untimed_next = ManagedRuntimeAPI._next


def _timed_next(self: ManagedRuntimeAPI, exchange: Any) -> None:
    with _POLLS_LOCK:
        POLLS.setdefault(id(self), []).append(time.monotonic())
    _untimed_next(self, exchange)


ManagedRuntimeAPI._next = _timed_next  # type: ignore[method-assign, assignment]


def _polls(api: ManagedRuntimeAPI) -> list[float]:
    with _POLLS_LOCK:
        return list(POLLS.get(id(api), []))


def _wait(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.001)


def children(pid: int) -> list[int]:
    """The direct children of ``pid``, from every thread's ``children`` file."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return sorted(set(found))


# -- one environment ----------------------------------------------------------------------


class Environment:
    """One runtime's function with ``slots`` slots on a fresh service, started cold."""

    def __init__(self, system: str, code: Path, slots: int) -> None:
        self.slots = slots
        self._started: list[float] = []
        ours = system == OURS
        function = Function(
            name="Fn",
            code_dir=code,
            handler="app.stream" if ours else "app.buffered",
            runtime="python3.13",
            timeout=120,
            environment={"AWS_LAMBDA_EXEC_WRAPPER": "/var/task/bedrock-stream"} if ours else {},
            max_concurrency=slots,
        )
        self.service = LambdaService({"Fn": function}, log=self._log)

    def _log(self, line: str) -> None:
        if line.startswith("[Fn] process ") and " started (" in line and not self._started:
            self._started.append(time.monotonic())

    def close(self) -> None:
        self.service.close()

    def sandbox(self) -> ManagedSandbox:
        (sandbox,) = self.service._sandboxes
        assert isinstance(sandbox, ManagedSandbox), "not a Managed Instances environment"
        return sandbox

    def cold_start(self) -> dict[str, float]:
        """Start the pool with one held invocation; times to the first and N-th ``/next``."""
        listener = socket.create_server(("127.0.0.1", 0))
        try:
            port = listener.getsockname()[1]
            event = {"barrier": port, "count": 1, "size": 1, "gap": 0}
            held = self.service.invoke("Fn", json.dumps(event).encode(), streaming=True)
            listener.settimeout(60)
            connection, _ = listener.accept()
            api = self.sandbox().api
            _wait(lambda: len(_polls(api)) >= self.slots, f"{self.slots} workers' /next")
            connection.sendall(b"g")
            connection.close()
        finally:
            listener.close()
        done = list(held.events(timeout=60))[-1]
        if done != Done("success"):
            raise RuntimeError(f"the held invocation ended {done}")
        polls = _polls(api)
        start = self._started[0]
        # The worker that served it polls again: every worker is waiting once N + 1 arrived.
        _wait(lambda: len(_polls(api)) >= self.slots + 1, "the serving worker's next poll")
        return {
            "first_next_ms": (polls[0] - start) * 1000,
            "all_next_ms": (polls[self.slots - 1] - start) * 1000,
        }

    def memory(self) -> dict[str, float]:
        """RSS and PSS of the root process and its workers, all of them polling."""
        root = self.sandbox().process.pid
        workers = children(root)
        if self.slots > 1 and len(workers) != self.slots:
            raise RuntimeError(f"{len(workers)} children of {root}, not {self.slots}")
        tree = [root, *workers]
        figures = {
            "parent_rss_mib": rss_bytes(root) / MIB,
            "parent_pss_mib": pss_bytes(root) / MIB,
            "tree_pss_mib": sum(pss_bytes(pid) for pid in tree) / MIB,
        }
        figures["slot_pss_mib"] = figures["tree_pss_mib"] / self.slots
        if workers:
            figures["worker_rss_mib"] = statistics.median(rss_bytes(p) for p in workers) / MIB
            figures["worker_pss_mib"] = statistics.median(pss_bytes(p) for p in workers) / MIB
        return figures

    def streams(self, prefix: str, count: int, size: int, gap: float) -> dict[str, float]:
        """``slots`` invocations at once; wall time and time to first byte (p50, max)."""
        expected = b"".join(bytes([65 + i % 26]) * size for i in range(count))
        event = json.dumps({"count": count, "size": size, "gap": gap}).encode()
        first: list[float] = []
        ended: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()

        def consume(invocation: Any) -> None:
            seen: float | None = None
            body = bytearray()
            done: Any = None
            for item in invocation.events(timeout=120, keep=False):
                if isinstance(item, BodyChunk):
                    seen = seen if seen is not None else item.arrived
                    body += item.data
                elif isinstance(item, Done):
                    done = item
            finished = time.monotonic()
            with lock:
                if done != Done("success") or bytes(body) != expected or seen is None:
                    errors.append(f"{done}, {len(body)} bytes")
                else:
                    first.append(seen)
                    ended.append(finished)

        started = time.monotonic()
        invocations = [self.service.invoke("Fn", event, streaming=True) for _ in range(self.slots)]
        readers = [threading.Thread(target=consume, args=(i,)) for i in invocations]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join()
        if errors:
            raise RuntimeError(f"{len(errors)} streams wrong: {errors[:3]}")
        ttfb = [(at - started) * 1000 for at in first]
        return {
            f"{prefix}_wall_ms": (max(ended) - started) * 1000,
            f"{prefix}_ttfb_p50_ms": pct(ttfb, 0.5),
            f"{prefix}_ttfb_max_ms": max(ttfb),
        }


def measure(system: str, code: Path, slots: int, args: argparse.Namespace) -> dict[str, float]:
    """Every figure for one runtime with ``slots`` slots, on a fresh environment."""
    environment = Environment(system, code, slots)
    try:
        figures = environment.cold_start()
        figures.update(environment.memory())
        body = args.body_kib * 1024
        chunk = args.chunk_kib * 1024
        environment.streams("warm", body // chunk, chunk, 0.0)  # untimed: every slot served once
        figures.update(environment.streams("burst", body // chunk, chunk, 0.0))
        figures.update(environment.streams("paced", args.tokens, 16, args.gap_ms / 1000))
        return figures
    finally:
        environment.close()


def summarize(rows: list[dict[str, dict[str, float]]]) -> dict[str, Any]:
    """Per metric: each system's median and range, and the median of the per-rep ratios."""
    out: dict[str, Any] = {}
    for metric in LABELS:
        if not all(metric in row[s] for row in rows for s in (OURS, PEER)):
            continue
        entry: dict[str, Any] = {}
        for system in (OURS, PEER):
            values = [row[system][metric] for row in rows]
            entry[system] = {
                "median": statistics.median(values),
                "min": min(values),
                "max": max(values),
            }
        ratios = [row[OURS][metric] / row[PEER][metric] for row in rows if row[PEER][metric]]
        if ratios:
            entry["ratio"] = {
                "median": statistics.median(ratios),
                "min": min(ratios),
                "max": max(ratios),
            }
        out[metric] = entry
    return out


def _spread(entry: dict[str, float], digits: int) -> str:
    return f"{entry['median']:.{digits}f} ({entry['min']:.{digits}f}-{entry['max']:.{digits}f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=9, help="paired repetitions")
    parser.add_argument("--slots", default="1,4,16", help="values of N, comma-separated")
    parser.add_argument("--body-kib", type=int, default=1024, help="each stream's body")
    parser.add_argument("--chunk-kib", type=int, default=64, help="the handler's chunk size")
    parser.add_argument("--tokens", type=int, default=64, help="paced chunks (16 bytes each)")
    parser.add_argument("--gap-ms", type=float, default=10.0, help="between paced chunks")
    args = parser.parse_args()
    if not sys.platform.startswith("linux") or importlib.util.find_spec("awslambdaric") is None:
        print("needs Linux (/proc) and awslambdaric 4.x installed", file=sys.stderr)
        return 1
    slot_counts = [int(n) for n in args.slots.split(",")]
    by_slots: dict[str, list[dict[str, dict[str, float]]]] = {str(n): [] for n in slot_counts}
    with tempfile.TemporaryDirectory() as scratch:
        code = Path(scratch)
        (code / "app.py").write_text(APP)
        write_wrapper(code)
        for rep in range(args.reps):
            order = [OURS, PEER] if rep % 2 == 0 else [PEER, OURS]
            for slots in slot_counts:
                row = {system: measure(system, code, slots, args) for system in order}
                by_slots[str(slots)].append(row)
                shown = ", ".join(
                    f"{m} {row[OURS][m]:.1f}/{row[PEER][m]:.1f}"
                    for m in ("all_next_ms", "slot_pss_mib", "burst_wall_ms")
                )
                print(f"rep {rep + 1}/{args.reps} N={slots}: ours/peer {shown}", flush=True)
    summary = {n: summarize(rows) for n, rows in by_slots.items()}
    for n, metrics in summary.items():
        print(f"\nN = {n}: median (min-max); ratio {OURS} / {PEER}")
        for metric, entry in metrics.items():
            cells = [_spread(entry[system], 1) for system in (OURS, PEER)]
            ratio = entry.get("ratio")
            shown = (
                f"{ratio['median']:.2f} ({ratio['min']:.2f}-{ratio['max']:.2f})" if ratio else "-"
            )
            print(f"  {LABELS[metric]:<52} {cells[0]:>22} {cells[1]:>22}  x{shown}")
    RESULTS.mkdir(exist_ok=True)
    result = {
        "reps": args.reps,
        "slots": slot_counts,
        "body_bytes": args.body_kib * 1024,
        "chunk_bytes": args.chunk_kib * 1024,
        "paced": args.tokens,
        "gap_ms": args.gap_ms,
        "labels": LABELS,
        "summary": summary,
        "by_slots": by_slots,
    }
    (RESULTS / "managed_instances.json").write_text(json.dumps(result, indent=1))
    print(f"\nwrote {RESULTS / 'managed_instances.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
