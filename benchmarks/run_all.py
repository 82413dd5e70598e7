"""Run every benchmark once, in order, and gather their figures in one JSON file.

    .venv/bin/python benchmarks/run_all.py [--node-ric DIR] [--soak-minutes 10] [--quick]
    .venv/bin/python benchmarks/run_all.py --node-ric DIR --publish
    .venv/bin/python benchmarks/run_all.py --only asgi_bench --publish

Each benchmark is its own script (see benchmarks/README.md) and writes its own file under
benchmarks/results/; this runs them one after another (never side by side: they share the
machine's two cores) and writes benchmarks/results/summary.json with every file's content
and the command that produced it. ``--quick`` uses a few repetitions, for a smoke run;
published figures use the defaults (medians of at least 9 paired repetitions where a peer
is measured). The Node.js peer needs ``npm install aws-lambda-ric@4.0.2`` in a directory
given as ``--node-ric DIR`` (the package directory inside its node_modules is found).
``--publish`` then copies the summary to docs/data/benchmarks.json, the committed snapshot the
documentation's performance page is rendered from; only a full run where every benchmark
succeeded is published. ``--only NAME`` runs one benchmark; published, it replaces that
benchmark's entry in the snapshot, and the entry keeps its own start time and commit.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

from stack_harness import relative

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PUBLISHED = HERE.parent / "docs" / "data" / "benchmarks.json"


def steps(args: argparse.Namespace) -> list[tuple[str, list[str]]]:
    quick = args.quick
    runtime = ["runtime_bench.py", "--reps", "3" if quick else "9"]
    runtime += ["--json", str(RESULTS / "runtime_bench.json")]
    if args.node_ric:
        package = args.node_ric / "node_modules" / "aws-lambda-ric"
        runtime += ["--node-ric", str(package if package.is_dir() else args.node_ric)]
    plan = [
        ("handler_overhead", ["handler_overhead.py", "--runs", "3" if quick else "9"]),
        ("bedrock_parsing", ["bedrock_parsing.py", "--runs", "3" if quick else "11"]),
        ("runtime_bench", runtime),
        ("asgi_bench", ["asgi_bench.py", "--reps", "3" if quick else "21"]),
        (
            "cold_start",
            [
                "cold_start.py",
                "--reps",
                "3" if quick else "21",
                "--stack-reps",
                "2" if quick else "9",
            ],
        ),
        ("local_stack_ttfb", ["local_stack_ttfb.py", "--reps", "2" if quick else "9"]),
        ("managed_instances", ["managed_instances.py", "--reps", "2" if quick else "9"]),
    ]
    if (HERE / "load.py").exists():
        plan.append(("load", ["load.py", *(["--reps", "1"] if quick else [])]))
    if (HERE / "soak.py").exists() and args.soak_minutes > 0:
        plan.append(("soak", ["soak.py", "--minutes", str(args.soak_minutes)]))
    return plan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node-ric", type=Path, help="where aws-lambda-ric is npm-installed")
    parser.add_argument("--soak-minutes", type=float, default=10.0, help="0 skips the soak")
    parser.add_argument("--quick", action="store_true", help="few repetitions: a smoke run")
    parser.add_argument(
        "--publish",
        action="store_true",
        help=f"copy the summary to {PUBLISHED.relative_to(HERE.parent)}",
    )
    parser.add_argument("--only", metavar="NAME", help="run this benchmark alone")
    args = parser.parse_args()
    if args.publish and args.quick:
        parser.error("--publish needs a full run: drop --quick")
    plan = steps(args)
    if args.only:
        plan = [step for step in plan if step[0] == args.only]
        if not plan:
            parser.error(f"--only: no benchmark {args.only!r} in {[n for n, _ in steps(args)]}")
    RESULTS.mkdir(exist_ok=True)
    summary: dict[str, object] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "commit": git_commit(),
        "quick": args.quick,
        "benchmarks": {},
    }
    failed = []
    for name, command in plan:
        print(f"\n=== {name}: {' '.join(command)}", flush=True)
        done = subprocess.run([sys.executable, *command], cwd=HERE)
        result_file = RESULTS / f"{name}.json"
        shown = [relative(Path(part)) if part.startswith("/") else part for part in command]
        entry: dict[str, object] = {"command": shown, "exit": done.returncode}
        if result_file.exists():
            entry["result"] = json.loads(result_file.read_text())
        if done.returncode != 0:
            failed.append(name)
        summary["benchmarks"][name] = entry  # type: ignore[index]
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=1))
    print(f"\nwrote {RESULTS / 'summary.json'}" + (f"; FAILED: {failed}" if failed else ""))
    if failed:
        if args.publish:
            print(f"not published: {PUBLISHED} is unchanged")
        return 1
    if args.publish:
        PUBLISHED.parent.mkdir(exist_ok=True)
        if args.only:
            published = json.loads(PUBLISHED.read_text())
            entry = summary["benchmarks"][args.only]  # type: ignore[index]
            entry.update({key: summary[key] for key in ("started", "commit", "machine")})
            published["benchmarks"][args.only] = entry
            PUBLISHED.write_text(json.dumps(published, indent=1))
        else:
            PUBLISHED.write_text((RESULTS / "summary.json").read_text())
        print(f"published {PUBLISHED}")
    return 0


def git_commit() -> str | None:
    """The checked-out commit, with ``+dirty`` when the work tree has changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=HERE,
            capture_output=True,
            text=True,
        )
    except OSError:
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


if __name__ == "__main__":
    raise SystemExit(main())
