"""Benchmark bedrock-stream's runtime against AWS's Node.js runtime client and uvicorn.

The method of the project's anchor baselines, rebuilt: every system runs the same
workloads side by side in one run, the order rotated on every repetition, on a
loopback receiver that timestamps every ``recv()``:

* burst: 100 000 chunks of 16 bytes in a tight loop -> chunks/s;
* latency: 200 chunks, one every 10 ms, each stamped with CLOCK_MONOTONIC just before
  the write -> delivery delay p50/p99 (arrival = the ``recv()`` holding the stamp);
* large: 200 MiB in 64 KiB chunks -> MB/s (loopback-bound), peak RSS (VmHWM);
* start: process spawn -> first ``GET /next`` (bedrock-stream, awslambdaric, Node).

Systems: ``python -m bedrock_stream.runtime`` and AWS's Node.js client (npm
``aws-lambda-ric``, if ``--node-ric`` points at its install) on a minimal Runtime API
(runtime_stub.py); uvicorn + Starlette ``StreamingResponse`` (asyncio + h11, the Lambda
Web Adapter sample's stack) to a loopback HTTP client. Figures are medians of the
repetitions with min-max; ratios are medians of per-repetition pairs.

    python benchmarks/runtime_bench.py --reps 9 --node-ric /tmp/noderic/node_modules/aws-lambda-ric
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
sys.path.insert(0, str(HERE))

from runtime_stub import Stub  # noqa: E402

BURST = 100_000
LARGE = 200 * 1024 * 1024
STAMP = re.compile(rb"T(\d{19})\.{11}\n")


def vmhwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def delays_us(data: bytes, recvs: list[tuple[int, int]]) -> list[float]:
    out = []
    index = 0
    for match in STAMP.finditer(data):
        end = match.end()
        while recvs[index][1] < end:
            index += 1
        out.append((recvs[index][0] - int(match.group(1))) / 1000)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def stream_seconds(recvs: list[tuple[int, int]]) -> float:
    return (recvs[-1][0] - recvs[0][0]) / 1e9


# -- systems on the Runtime API ---------------------------------------------------------


def runtime_command(
    system: str, node_ric: Path | None, handler: str = "runtime_bench_app.handler"
) -> tuple[list[str], dict[str, str]]:
    """The command and environment that run ``system`` on the Runtime API, serving ``handler``
    (a Python system's ``module.function``; the Node.js client always serves its own)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        LAMBDA_TASK_ROOT=str(HERE),
        AWS_LAMBDA_FUNCTION_NAME="bench",
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE="1024",
        AWS_LAMBDA_LOG_GROUP_NAME="/aws/lambda/bench",
        AWS_LAMBDA_LOG_STREAM_NAME="local",
    )
    if system == "bedrock-stream":
        env["PYTHONPATH"] = f"{SRC}:{HERE}"
        return [sys.executable, "-m", "bedrock_stream.runtime", handler], env
    if system == "awslambdaric":
        env["PYTHONPATH"] = f"{SRC}:{HERE}"
        return [sys.executable, "-m", "awslambdaric", handler], env
    assert node_ric is not None
    env["_HANDLER"] = "runtime_bench_node.handler"
    return ["node", str(node_ric / "index.mjs"), "runtime_bench_node.handler"], env


def run_runtime(system: str, node_ric: Path | None) -> dict[str, float]:
    stub = Stub()
    command, env = runtime_command(system, node_ric)
    env["AWS_LAMBDA_RUNTIME_API"] = stub.address
    spawned = time.monotonic_ns()
    proc = subprocess.Popen(command, env=env, cwd=HERE, stdout=subprocess.DEVNULL)
    result: dict[str, float] = {}
    try:
        stub.first_next.wait(30)
        result["start_ms"] = (stub.first_next_ns - spawned) / 1e6
        if system == "awslambdaric":
            return result
        stub.invoke({"kind": "burst", "n": 1000}, keep=False).done.wait(60)  # warm-up
        s = stub.invoke({"kind": "burst"}, keep=False)
        s.done.wait(120)
        result["burst_chunks_s"] = BURST / stream_seconds(s.recvs)
        result["burst_recvs"] = len(s.recvs)
        s = stub.invoke({"kind": "latency"})
        s.done.wait(120)
        d = delays_us(bytes(s.data), s.recvs)
        result["lat_p50_us"], result["lat_p99_us"] = pct(d, 0.5), pct(d, 0.99)
        s = stub.invoke({"kind": "large"}, keep=False)
        s.done.wait(300)
        result["large_mb_s"] = LARGE / stream_seconds(s.recvs) / 1e6
        result["rss_mib"] = vmhwm_mib(proc.pid)
        return result
    finally:
        proc.kill()
        proc.wait()
        stub.close()


# -- uvicorn: the web adapter's app path ------------------------------------------------------


def http_stream(port: int, path: str, keep: bool) -> tuple[bytes, list[tuple[int, int]]]:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        buf = bytearray()
        while b"\r\n\r\n" not in buf:
            buf += sock.recv(1 << 20)
        body = buf[buf.index(b"\r\n\r\n") + 4 :]
        recvs = [(time.monotonic_ns(), len(body))] if body else []
        data = bytearray(body if keep else b"")
        total, tail = len(body), bytes(body[-5:])
        while not tail.endswith(b"0\r\n\r\n"):
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            total += len(chunk)
            recvs.append((time.monotonic_ns(), total))
            if keep:
                data += chunk
            tail = (tail + chunk)[-5:]
        return bytes(data), recvs


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def uvicorn_command(app: str, port: int, loop: str = "asyncio", http: str = "h11") -> list[str]:
    """uvicorn serving ``app`` (``module:attribute``) on loopback ``port``, warnings only."""
    return [
        sys.executable, "-m", "uvicorn", app, "--port", str(port),
        "--loop", loop, "--http", http, "--log-level", "warning",
    ]  # fmt: skip


def wait_listening(port: int, timeout: float = 6.0, poll: float = 0.02) -> None:
    """Return once a TCP connection to loopback ``port`` succeeds (polling every ``poll`` s)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port)).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(poll)


def run_uvicorn() -> dict[str, float]:
    port = free_port()
    command = uvicorn_command("runtime_bench_asgi:app", port)
    proc = subprocess.Popen(command, cwd=HERE, env={**os.environ, "PYTHONPATH": str(HERE)})
    try:
        wait_listening(port)
        http_stream(port, "/burst", keep=False)  # warm-up
        result: dict[str, float] = {}
        _, recvs = http_stream(port, "/burst", keep=False)
        result["burst_chunks_s"] = BURST / stream_seconds(recvs)
        result["burst_recvs"] = len(recvs)
        data, recvs = http_stream(port, "/latency", keep=True)
        d = delays_us(data, recvs)
        result["lat_p50_us"], result["lat_p99_us"] = pct(d, 0.5), pct(d, 0.99)
        _, recvs = http_stream(port, "/large", keep=False)
        result["large_mb_s"] = LARGE / stream_seconds(recvs) / 1e6
        result["rss_mib"] = vmhwm_mib(proc.pid)
        return result
    finally:
        proc.kill()
        proc.wait()


# -- report -----------------------------------------------------------------------------


def summarize(rows: list[dict[str, dict[str, float]]], systems: list[str]) -> str:
    metrics = [
        "burst_chunks_s",
        "burst_recvs",
        "lat_p50_us",
        "lat_p99_us",
        "large_mb_s",
        "rss_mib",
        "start_ms",
    ]
    lines = ["| metric | " + " | ".join(systems) + " |", "|---" * (len(systems) + 1) + "|"]
    for metric in metrics:
        cells = []
        for system in systems:
            values = [r[system][metric] for r in rows if metric in r.get(system, {})]
            if values:
                cells.append(
                    f"{statistics.median(values):,.1f} ({min(values):,.1f}-{max(values):,.1f})"
                )
            else:
                cells.append("-")
        lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("| ratio (median of per-repetition pairs, min-max) | value |")
    lines.append("|---|---|")
    ours = "bedrock-stream"
    for metric in metrics:
        for peer in systems:
            if peer == ours:
                continue
            pairs = [
                r[ours][metric] / r[peer][metric]
                for r in rows
                if metric in r.get(ours, {}) and metric in r.get(peer, {}) and r[peer][metric]
            ]
            if pairs:
                lines.append(
                    f"| {metric}: {ours} / {peer} | **{statistics.median(pairs):.2f}** "
                    f"({min(pairs):.2f}-{max(pairs):.2f}) |"
                )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--node-ric", type=Path, help="the installed npm aws-lambda-ric package")
    parser.add_argument("--json", type=Path, help="write raw results here")
    args = parser.parse_args()
    # Deployed packages carry .pyc files (pip compiles on install); so must the source tree
    # here, or PYTHONDONTWRITEBYTECODE would make every start compile bedrock-stream anew.
    import compileall

    compileall.compile_dir(SRC / "bedrock_stream", quiet=1)
    compileall.compile_file(HERE / "runtime_bench_app.py", quiet=1)
    systems = ["bedrock-stream", "uvicorn", "awslambdaric"]
    if args.node_ric:
        systems.insert(1, "node-ric")
    rows: list[dict[str, dict[str, float]]] = []
    for rep in range(args.reps):
        order = systems[rep % len(systems) :] + systems[: rep % len(systems)]
        row: dict[str, dict[str, float]] = {}
        for system in order:
            row[system] = (
                run_uvicorn() if system == "uvicorn" else run_runtime(system, args.node_ric)
            )
        rows.append(row)
        print(f"rep {rep + 1}/{args.reps}: " + json.dumps(row), file=sys.stderr, flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    print(summarize(rows, systems))


if __name__ == "__main__":
    main()
