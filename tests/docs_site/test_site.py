"""The documentation site builds with `mkdocs build --strict`, and its figures come from data.

The build needs the documentation tools (mkdocs-material, mkdocstrings[python]); without them
the build test skips. The benchmark hook's rendering is plain Python and is always tested.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

ROOT = Path(__file__).parents[2]
DOCS = ROOT / "docs"


def load_hook(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"docs_hook_{name}", DOCS / "hooks" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def missing_doc_tools() -> list[str]:
    needed = {"mkdocs": "mkdocs", "material": "mkdocs-material", "mkdocstrings": "mkdocstrings"}
    needed["mkdocstrings_handlers.python"] = "mkdocstrings-python"
    missing = []
    for module, package in needed.items():
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            missing.append(package)
    return missing


def test_site_builds_strict(tmp_path: Path) -> None:
    missing = missing_doc_tools()
    if missing:
        pytest.skip(
            f"documentation tools not installed ({', '.join(missing)}): "
            "pip install mkdocs-material 'mkdocstrings[python]'"
        )
    site = tmp_path / "site"
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet"]
    command += ["--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(site)]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "WARNING" not in output, output
    # Every page of the nav was rendered, the includes and the API reference with them.
    for page in ["index", "streaming", "limits", "performance", "reference-app", "changelog"]:
        assert (site / page / "index.html" if page != "index" else site / "index.html").exists()
    changelog = (site / "changelog" / "index.html").read_text()
    assert "Unreleased" in changelog  # ../CHANGELOG.md, through pymdownx.snippets
    api = (site / "reference" / "bedrock_stream" / "index.html").read_text()
    assert 'id="bedrock_stream.handler.streaming_handler"' in api
    runtime = (site / "reference" / "runtime" / "index.html").read_text()
    assert ":func:" not in runtime and ":mod:" not in runtime  # Sphinx roles rendered
    performance = (site / "performance" / "index.html").read_text()
    hook = load_hook("benchmarks")
    assert hook.MARKER not in performance
    snapshot = (DOCS / hook.SNAPSHOT).exists()
    assert ("No benchmark snapshot in this build" in performance) is not snapshot


def test_performance_figures_are_never_typed_by_hand() -> None:
    page = (DOCS / "performance.md").read_text()
    results = page.split("## Results", 1)[1]
    assert results.strip() == load_hook("benchmarks").MARKER


def summary() -> dict[str, Any]:
    runtime_rows = [
        {
            "bedrock-stream": {"burst_chunks_s": 900_000.0 + rep, "start_ms": 40.0},
            "uvicorn": {"burst_chunks_s": 300_000.0, "start_ms": 400.0},
        }
        for rep in range(3)
    ]
    return {
        "started": "2026-01-02T03:04:05Z",
        "machine": {"python": "3.12.1", "platform": "Linux-test"},
        "commit": "abc1234",
        "quick": False,
        "benchmarks": {
            "handler_overhead": {
                "command": ["handler_overhead.py", "--runs", "9"],
                "exit": 0,
                "result": {
                    "chunks": 100_000,
                    "runs": 9,
                    "results": {
                        "bare loop (floor)": {
                            "chunks_per_second": 4e6,
                            "us_per_chunk": 0.25,
                            "min_s": 0.02,
                            "median_s": 0.025,
                            "max_s": 0.03,
                        },
                        "@streaming_handler, sync generator": {
                            "chunks_per_second": 2e6,
                            "us_per_chunk": 0.5,
                            "min_s": 0.04,
                            "median_s": 0.05,
                            "max_s": 0.06,
                        },
                    },
                },
            },
            "runtime_bench": {"command": ["runtime_bench.py"], "exit": 0, "result": runtime_rows},
            "local_stack_ttfb": {
                "command": ["local_stack_ttfb.py"],
                "exit": 0,
                "result": {
                    "load": 50,
                    "interval": 0.05,
                    "rows": [{"idle_p50_ms": 4.5, "loaded_tree_pss_mib": 480.0}],
                },
            },
            "load": {
                "command": ["load.py"],
                "exit": 0,
                "result": {
                    "app": "examples/sam-app/template.yaml",
                    "streams": 200,
                    "rounds": 3,
                    "speed": 0.1,
                    "warm_processes": 200,
                    "warm_s": 130.0,
                    "rows": [
                        {"errors": 0, "streams_per_s": 48.0},
                        {"errors": 0, "streams_per_s": 50.0},
                    ],
                    "problems": {},
                    "labels": {"errors": "errors", "streams_per_s": "throughput, streams/s"},
                },
            },
            "soak": {
                "command": ["soak.py", "--minutes", "10"],
                "exit": 1,
                "result": {
                    "passed": False,
                    "requests": 2400,
                    "minutes": 10.0,
                    "rate": 4.0,
                    "bounds": [
                        {
                            "measure": "fds",
                            "baseline": 91,
                            "end": 91,
                            "bound": "<= 101",
                            "pass": True,
                        },
                        {
                            "measure": "stack RSS, MiB",
                            "baseline": 60.2,
                            "end": 130.5,
                            "bound": "growth < 50 MiB",
                            "pass": False,
                        },
                    ],
                    "outcomes": {"crash": {"sent": 184, "expected": 183}},
                    "seconds_median": {"crash": 0.117},
                    "series": [{"t": 0.0, "rss_mib": 60.2}],
                },
            },
            "managed_instances": {
                "command": ["managed_instances.py", "--reps", "9"],
                "exit": 0,
                "result": {
                    "reps": 1,
                    "slots": [4],
                    "body_bytes": 1048576,
                    "chunk_bytes": 65536,
                    "paced": 64,
                    "gap_ms": 10.0,
                    "labels": {"slot_pss_mib": "PSS per slot (tree / N), MiB"},
                    "summary": {},
                    "by_slots": {
                        "4": [
                            {
                                "bedrock-stream": {"slot_pss_mib": 4.9},
                                "awslambdaric": {"slot_pss_mib": 6.1},
                            }
                        ]
                    },
                },
            },
            "a_future_benchmark": {
                "command": ["new.py"],
                "exit": 0,
                "result": {"rss_mib": {"end": 41.5}},
            },
        },
    }


def test_snapshot_renders_as_tables() -> None:
    text = load_hook("benchmarks").render(summary())
    assert "| run started (UTC) | 2026-01-02T03:04:05Z |" in text
    assert "| bare loop (floor) | 4,000,000 | 0.250 | - |" in text
    assert "| @streaming_handler, sync generator | 2,000,000 | 0.500 | 0.250 |" in text
    assert re.search(
        r"\| burst: 16-byte chunks/s .* \| 900,001 \(900,000-900,002\) \| 300,000 \|", text
    )
    assert "| process start to first /next, ms | uvicorn | 0.100 |" in text  # ratio of pairs
    assert "| through the stack, idle, p50 | 4.50 |" in text
    assert "1,024 KiB each in 64 KiB chunks" in text
    assert "**N = 4.** Median of 1 repetitions" in text
    assert "| PSS per slot (tree / N), MiB | 4.90 | 6.10 |" in text
    assert "| PSS per slot (tree / N), MiB | awslambdaric | 0.803 |" in text
    assert "| memory under load: PSS of the stack and its function processes, MiB | 480 |" in text
    assert "| throughput, streams/s | 49 (48-50) |" in text
    assert "| errors | 0 |" in text
    assert "200 concurrent streams through `examples/sam-app/template.yaml`" in text
    assert "Failed streams" not in text
    assert "This benchmark failed in the snapshot run" in text  # soak exited 1
    assert "**FAIL.** 2,400 requests over 10 minutes" in text
    assert "| stack RSS, MiB | 60.2 | 130.5 | growth < 50 MiB | **no** |" in text
    assert "| `crash` | 183 of 184 | 0.117 |" in text
    assert "series" not in text  # the soak's time series is data, not a table
    assert "| `rss_mib.end` | 41.5 |" in text  # an unknown shape: every figure
    assert "Smoke run" not in text


def test_a_benchmark_published_on_its_own_says_when_and_shows_its_targets() -> None:
    rows = [
        {
            "bedrock-stream": {"cold_ms": 700.0 + rep, "burst_events_s": 200_000.0},
            "uvicorn": {"cold_ms": 800.0, "burst_events_s": 50_000.0},
        }
        for rep in range(3)
    ]
    target = {"goal": "events/s at least twice uvicorn's (>= 2)", "peer": "uvicorn"}
    target |= {"ratio": 4.0, "min": 3.5, "max": 4.5, "met": True}
    entry = {
        "command": ["asgi_bench.py", "--reps", "15"],
        "exit": 0,
        "started": "2026-02-03T04:05:06Z",
        "commit": "def5678",
        "machine": {"python": "3.11.7", "platform": "Linux-test"},
        "result": {
            "burst": 20_000,
            "paced": 100,
            "gap_ms": 5.0,
            "labels": {"cold_ms": "cold start, ms", "burst_events_s": "burst: events/s"},
            "rows": rows,
            "targets": [target],
        },
    }
    text = load_hook("benchmarks").render({**summary(), "benchmarks": {"asgi_bench": entry}})
    assert "### A FastAPI app: the ASGI adapter against uvicorn and Mangum" in text
    assert "run started 2026-02-03T04:05:06Z (UTC), commit `def5678`, Python 3.11.7" in text
    assert "The burst is 20,000 events back to back" in text
    assert "| cold start, ms | 701 (700-702) | 800 |" in text
    assert "| burst: events/s | uvicorn | 4 |" not in text  # the targets give the ratios
    assert "| events/s at least twice uvicorn's (>= 2) | uvicorn | 4 (3.50-4.50) | yes |" in text
    full = load_hook("benchmarks").render(summary())
    assert "Measured on its own" not in full  # a full run's entries share its header


def test_the_hook_reads_the_snapshot_beside_the_docs(tmp_path: Path) -> None:
    hook = load_hook("benchmarks")
    page = SimpleNamespace(file=SimpleNamespace(src_uri="performance.md"))
    config = {"docs_dir": str(tmp_path)}
    markdown = f"## Results\n\n{hook.MARKER}\n"
    assert "No benchmark snapshot" in hook.on_page_markdown(markdown, page, config, None)
    (tmp_path / hook.SNAPSHOT).parent.mkdir()
    (tmp_path / hook.SNAPSHOT).write_text(json.dumps({**summary(), "quick": True}))
    rendered = hook.on_page_markdown(markdown, page, config, None)
    assert hook.MARKER not in rendered
    assert "Smoke run" in rendered and "abc1234" in rendered
    other = SimpleNamespace(file=SimpleNamespace(src_uri="index.md"))
    assert hook.on_page_markdown(markdown, other, config, None) == markdown


def test_an_unreadable_snapshot_fails_the_build(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs", reason="PluginError comes from mkdocs")
    from mkdocs.exceptions import PluginError

    hook = load_hook("benchmarks")
    (tmp_path / hook.SNAPSHOT).parent.mkdir()
    (tmp_path / hook.SNAPSHOT).write_text("{not json")
    page = SimpleNamespace(file=SimpleNamespace(src_uri="performance.md"))
    with pytest.raises(PluginError, match=r"benchmarks\.json"):
        hook.on_page_markdown(hook.MARKER, page, {"docs_dir": str(tmp_path)}, None)


def test_sphinx_roles_become_code_and_links() -> None:
    hook = load_hook("sphinx_roles")
    page = SimpleNamespace(file=SimpleNamespace(src_uri="reference/runtime.md"))
    content = (
        "<p>streams a :func:<code>~bedrock_stream.streaming_handler</code>; "
        ":mod:<code>.wire</code> frames, for example::</p>"
    )
    out = hook.on_page_content(content, page, None, None)
    assert '<autoref identifier="bedrock_stream.streaming_handler" optional>' in out
    assert "<code>streaming_handler</code></autoref>" in out
    assert "<code>wire</code> frames, for example:</p>" in out
    guide = SimpleNamespace(file=SimpleNamespace(src_uri="handler.md"))
    assert hook.on_page_content(content, guide, None, None) == content
