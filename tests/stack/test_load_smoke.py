"""Short versions of the load and soak benchmarks (benchmarks/load.py, benchmarks/soak.py).

Each runs its benchmark script as a user would, with the stack (``bedrock-stream local``)
and the load in processes of their own, and checks what it wrote: content and resource
bounds, never a duration.

* Load: 50 concurrent streams through the reference app's streaming REST API, the function
  warmed to 50 processes; every body equal, byte for byte, to the text the Bedrock emulator
  recorded for its prompt, and no other stream's topic in it.
* Soak: about 10 s of mixed traffic (answers streamed and buffered, Bedrock throttling and
  mid-stream model errors, function crashes and timeouts, clients that leave mid-stream);
  every request's outcome as its kind requires, and the stack's descriptors, threads,
  processes and memory back within the soak's bounds afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).parents[2] / "benchmarks"

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/fd").is_dir(), reason="the benchmarks read /proc (Linux)"
)


def _run(script: str, out: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = f"{done.stdout}\n{done.stderr}\nstack log: {out.with_suffix('.stack.log')}"
    assert out.exists(), report
    result: dict[str, Any] = json.loads(out.read_text())
    result["report"] = report
    result["returncode"] = done.returncode
    return result


def test_fifty_concurrent_streams_each_carry_exactly_their_own_answer(tmp_path: Path) -> None:
    result = _run(
        "load.py", tmp_path / "load.json",
        "--streams", "50", "--rounds", "1", "--reps", "1", "--ramp", "25",
    )  # fmt: skip
    assert result["problems"] == {}, result["report"]
    (row,) = result["rows"]
    assert (row["streams"], row["errors"]) == (50, 0)
    assert row["peak_children"] == 50  # every stream had a warm process of its own
    assert result["returncode"] == 0, result["report"]


def test_a_mini_soak_keeps_every_outcome_and_resource_bound(tmp_path: Path) -> None:
    result = _run(
        "soak.py", tmp_path / "soak.json",
        "--minutes", "0.15", "--concurrency", "4", "--quiet", "1",
    )  # fmt: skip
    assert result["problems"] == {}, result["report"]
    assert result["warm_problems"] == [], result["report"]
    for kind, counts in result["outcomes"].items():
        assert counts["sent"] > 0, kind
        assert counts.get("expected") == counts["sent"], (kind, counts)
    assert [b for b in result["bounds"] if not b["pass"]] == [], result["report"]
    assert result["returncode"] == 0, result["report"]
