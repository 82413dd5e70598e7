"""The same benchmarks on two revisions of this repository, paired in one run.

    python benchmarks/compare_revisions.py BEFORE [AFTER] [--reps 15]

Checks out each revision (AFTER defaults to the working tree) and runs, alternating the
two in every repetition: the streaming runtime (``runtime_bench.run_runtime``: start,
burst, latency, throughput, RSS), the import of the runtime with a handler (``python -S``),
and ``handler_overhead.py``. Prints each figure's medians and the median of the paired
after/before ratios with their range: a refactor is judged by those ratios, never by
absolute times on a shared machine.
"""

from __future__ import annotations

import argparse
import compileall
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_RUNTIME = (
    "import json, runtime_bench\n"
    "print(json.dumps(runtime_bench.run_runtime('bedrock-stream', None)))"
)
_IMPORT = "import bedrock_stream.runtime.loop, runtime_bench_app"


def _runtime(tree: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _RUNTIME], cwd=tree / "benchmarks", capture_output=True, text=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _import_ms(tree: Path) -> dict[str, float]:
    env = {"PYTHONPATH": f"{tree}/src:{tree}/benchmarks", "PATH": "/usr/bin:/bin"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-S", "-c", _IMPORT], env=env, check=True)
    return {"import_ms": (time.perf_counter() - started) * 1e3}


def _handler(tree: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "benchmarks/handler_overhead.py", "--runs", "9"],
        cwd=tree,
        env={"PYTHONPATH": str(tree / "src"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rates = {}
    for line in out.splitlines():
        for kind in ("sync", "async"):
            if f", {kind} generator" in line:
                rates[f"handler_{kind}_chunks_s"] = float(line.split()[3].replace(",", ""))
    return rates


def _paired(
    trees: tuple[Path, Path], measure: Callable[[Path], dict[str, float]], reps: int
) -> None:
    rows: tuple[list[dict[str, float]], list[dict[str, float]]] = ([], [])
    for rep in range(reps):
        for side in (0, 1) if rep % 2 == 0 else (1, 0):
            rows[side].append(measure(trees[side]))
    for key in rows[0][0]:
        before = [row[key] for row in rows[0]]
        after = [row[key] for row in rows[1]]
        ratios = [b / a for a, b in zip(before, after, strict=True) if a]
        print(
            f"{key:24} {statistics.median(before):14,.2f} {statistics.median(after):14,.2f}"
            f"   ratio {statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f})"
        )


def _checkout(revision: str, into: Path) -> Path:
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(into), revision],
        check=True,
    )
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after", nargs="?", help="default: the working tree")
    parser.add_argument("--reps", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        made = [_checkout(args.before, Path(temp) / "before")]
        if args.after:
            made.append(_checkout(args.after, Path(temp) / "after"))
        trees = (made[0], made[1] if args.after else ROOT)
        try:
            for tree in trees:  # deployed packages carry .pyc files; so must both trees
                compileall.compile_dir(tree / "src" / "bedrock_stream", quiet=1)
                compileall.compile_file(tree / "benchmarks" / "runtime_bench_app.py", quiet=1)
            print(f"{'figure':24} {'before':>14} {'after':>14}   after/before, median (range)")
            _paired(trees, _runtime, args.reps)
            _paired(trees, _import_ms, 4 * args.reps)
            _paired(trees, _handler, max(3, args.reps // 5))
        finally:
            for tree in made:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                    check=False,
                )


if __name__ == "__main__":
    main()
