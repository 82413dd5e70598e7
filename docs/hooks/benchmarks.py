"""MkDocs hook: render the benchmark snapshot into the performance page.

``docs/data/benchmarks.json`` is a copy of ``benchmarks/results/summary.json`` made by
``python benchmarks/run_all.py --publish``. This hook replaces the marker ``<!-- benchmarks -->``
in ``performance.md`` with tables computed from it, so no figure on the site is typed by hand.
Without the file, the page says so. A file that cannot be read fails the build.

The rendering functions are pure (no MkDocs import) so that tests can call them directly.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

MARKER = "<!-- benchmarks -->"
PAGE = "performance.md"
SNAPSHOT = Path("data") / "benchmarks.json"  # relative to docs_dir

MISSING = """\
!!! note "No benchmark snapshot in this build"

    `docs/data/benchmarks.json` is absent, so this page shows the method only. To publish
    figures, run every benchmark on a quiet machine and copy the summary here:

    ```sh
    .venv/bin/python benchmarks/run_all.py --node-ric /tmp/noderic --publish
    ```
"""


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """MkDocs event: fill the performance page's marker from the snapshot."""
    if page.file.src_uri != PAGE or MARKER not in markdown:
        return markdown
    path = Path(config["docs_dir"]) / SNAPSHOT
    try:
        summary = json.loads(path.read_text()) if path.exists() else None
        rendered = render(summary)
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        from mkdocs.exceptions import PluginError

        raise PluginError(f"benchmarks hook: cannot render {path}: {exc!r}") from exc
    return markdown.replace(MARKER, rendered)


# -- rendering ---------------------------------------------------------------------------


def render(summary: Mapping[str, Any] | None) -> str:
    """Markdown for a ``run_all.py`` summary, or the note saying there is none."""
    if summary is None:
        return MISSING
    parts = [_header(summary)]
    for name, entry in summary["benchmarks"].items():
        title, renderer = RENDERERS.get(name, (name, _generic))
        parts.append(f"### {title}\n")
        command = " ".join(str(part) for part in entry.get("command", []))
        if command:
            parts.append(f"`python benchmarks/{command}`\n")
        if "started" in entry:  # published on its own (run_all.py --only NAME --publish)
            python = entry.get("machine", {}).get("python", "unknown")
            parts.append(
                f"Measured on its own: run started {entry['started']} (UTC), "
                f"commit `{entry.get('commit')}`, Python {python}.\n"
            )
        if entry.get("exit", 0) != 0:
            parts.append(
                f'!!! warning "This benchmark failed in the snapshot run"\n\n'
                f"    It exited with status {entry.get('exit')}; its figures may be missing.\n"
            )
        result = entry.get("result")
        parts.append(renderer(result) if result is not None else "No figures were recorded.\n")
    return "\n".join(parts)


def _header(summary: Mapping[str, Any]) -> str:
    machine = summary.get("machine", {})
    lines = [
        "| snapshot | |",
        "|---|---|",
        f"| run started (UTC) | {summary.get('started', 'unknown')} |",
        f"| Python | {machine.get('python', 'unknown')} |",
        f"| platform | `{machine.get('platform', 'unknown')}` |",
    ]
    if summary.get("commit"):
        lines.append(f"| commit | `{summary['commit']}` |")
    text = "\n".join(lines) + "\n"
    if summary.get("quick"):
        text += (
            '\n!!! warning "Smoke run"\n\n'
            "    This snapshot was made with `--quick` (few repetitions): the figures show the\n"
            "    shape of the results, not publishable medians.\n"
        )
    return text


def fmt(value: float) -> str:
    """A figure with as many digits as it deserves; a whole number without decimals."""
    magnitude = abs(value)
    if float(value).is_integer():
        return f"{int(value):,}"
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:#.3g}"


def spread(values: Sequence[float]) -> str:
    """Median with min-max, e.g. ``12.3 (11.9-13.0)``."""
    if min(values) == max(values):
        return fmt(values[0])
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}-{fmt(max(values))})"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _handler_overhead(result: Mapping[str, Any]) -> str:
    cases = result["results"]
    floor = next((v["us_per_chunk"] for k, v in cases.items() if "floor" in k), None)
    rows = []
    for name, figures in cases.items():
        extra = "-" if floor is None or "floor" in name else fmt(figures["us_per_chunk"] - floor)
        run = f"{fmt(figures['median_s'])} ({fmt(figures['min_s'])}-{fmt(figures['max_s'])})"
        rows.append(
            [name, fmt(figures["chunks_per_second"]), fmt(figures["us_per_chunk"]), extra, run]
        )
    intro = (
        f"{result['chunks']:,} chunks of 16 bytes into a counting sink; "
        f"median of {result['runs']} runs.\n\n"
    )
    header = ["case", "chunks/s", "µs/chunk", "µs/chunk over the bare loop", "run, s (min-max)"]
    return intro + _table(header, rows)


def _bedrock_parsing(result: Mapping[str, Any]) -> str:
    parts = []
    for api, figures in result.items():
        if not isinstance(figures, Mapping):
            continue
        parts.append(
            f"**{api}**: {figures['recordings']} recordings, {figures['chunks']:,} chunks; "
            f"median of {result.get('runs', '?')} runs.\n"
        )
        rows = [
            [
                name,
                f"{fmt(lib['us_per_chunk'])} ({fmt(lib['min'])}-{fmt(lib['max'])})",
                f"{lib['ratio_to_ours']:.2f}x",
            ]
            for name, lib in figures["libraries"].items()
        ]
        parts.append(_table(["library", "µs/chunk (min-max)", "time / bedrock-stream's"], rows))
    return "\n".join(parts)


RUNTIME_METRICS = {
    "burst_chunks_s": "burst: 16-byte chunks/s (higher is better)",
    "burst_recvs": "burst: receiver recv() calls",
    "lat_p50_us": "paced chunks: delivery delay p50, µs",
    "lat_p99_us": "paced chunks: delivery delay p99, µs",
    "large_mb_s": "200 MiB in 64 KiB chunks: MB/s",
    "rss_mib": "peak RSS, MiB",
    "start_ms": "process start to first /next, ms",
}
OURS = "bedrock-stream"


def _per_system(
    rows: Sequence[Mapping[str, Mapping[str, float]]],
    labels: Mapping[str, str],
    *,
    ratios: bool = True,
) -> str:
    systems = list(dict.fromkeys(system for row in rows for system in row))
    metrics = list(dict.fromkeys(metric for row in rows for s in row.values() for metric in s))
    metrics.sort(key=lambda m: list(labels).index(m) if m in labels else len(labels))
    body = []
    for metric in metrics:
        cells = [labels.get(metric, metric)]
        for system in systems:
            values = [row[system][metric] for row in rows if metric in row.get(system, {})]
            cells.append(spread(values) if values else "-")
        body.append(cells)
    text = f"Median of {len(rows)} repetitions (min-max).\n\n" + _table(["", *systems], body)
    if OURS not in systems or not ratios:
        return text
    ratios = []
    for metric in metrics:
        for peer in systems:
            pairs = [
                row[OURS][metric] / row[peer][metric]
                for row in rows
                if peer != OURS and metric in row.get(OURS, {}) and row.get(peer, {}).get(metric)
            ]
            if pairs:
                ratios.append([labels.get(metric, metric), peer, spread(pairs)])
    if ratios:
        text += "\nRatios, bedrock-stream / peer, median of per-repetition pairs (min-max):\n\n"
        text += _table(["metric", "peer", "ratio"], ratios)
    return text


def _runtime_bench(result: Sequence[Mapping[str, Mapping[str, float]]]) -> str:
    return _per_system(result, RUNTIME_METRICS)


def _per_metric(rows: Sequence[Mapping[str, Any]], labels: Mapping[str, str]) -> str:
    metrics = list(dict.fromkeys(k for row in rows for k, v in row.items() if _number(v)))
    body = [
        [labels.get(metric, f"`{metric}`"), spread([row[metric] for row in rows if metric in row])]
        for metric in metrics
    ]
    count = f"{len(rows)} repetition" + ("" if len(rows) == 1 else "s")
    return f"{count}; median (min-max).\n\n" + _table(["metric", "median (min-max)"], body)


TTFB_METRICS = {
    "in_process_p50_ms": "in-process call (`invoke_streaming`), p50",
    "in_process_p99_ms": "in-process call (`invoke_streaming`), p99",
    "idle_p50_ms": "through the stack, idle, p50",
    "idle_p99_ms": "through the stack, idle, p99",
    "loaded_p50_ms": "through the stack, under load, p50",
    "loaded_p99_ms": "through the stack, under load, p99",
    "idle_overhead_p50_ms": "the stack's own cost, idle, p50 (stack - in-process)",
    "loaded_overhead_p50_ms": "the stack's own cost, under load, p50 (stack - in-process)",
    "loaded_stack_rss_mib": "memory under load: RSS of the stack process, MiB",
    "loaded_tree_pss_mib": "memory under load: PSS of the stack and its function processes, MiB",
    "loaded_tree_rss_mib": "memory under load: RSS summed over the same processes, MiB",
    "loaded_functions": "function processes under load",
}


def _local_stack_ttfb(result: Mapping[str, Any]) -> str:
    intro = (
        f"Time to first byte in milliseconds; the loaded figures run beside {result['load']} "
        f"other streams writing a line every {fmt(result['interval'] * 1000)} ms. Memory is "
        "read while that load runs; PSS splits shared pages between the processes sharing "
        "them, so it is the honest total, while summed RSS counts them once per process.\n\n"
    )
    return intro + _per_metric(result["rows"], TTFB_METRICS)


def _load(result: Mapping[str, Any]) -> str:
    intro = (
        f"{result['streams']} concurrent streams through `{result['app']}`, each client "
        f"sending {result['rounds']} in a row, the emulated model at speed {result['speed']}; "
        f"every stream's bytes are checked against the emulator's answer for its prompt. "
        f"{result['warm_processes']} function processes were warmed first "
        f"({fmt(result['warm_s'])} s).\n\n"
    )
    problems = result.get("problems") or {}
    if problems:
        listed = ", ".join(f"{count} x {kind}" for kind, count in problems.items())
        intro += f'!!! warning "Failed streams"\n\n    {listed}\n\n'
    return intro + _per_metric(result["rows"], result.get("labels", {}))


def _soak(result: Mapping[str, Any]) -> str:
    verdict = "PASS" if result["passed"] else "FAIL"
    intro = (
        f"**{verdict}.** {result['requests']:,} requests over {fmt(result['minutes'])} minutes "
        f"({fmt(result['rate'])} per second), a mix of streamed and buffered answers, Bedrock "
        "faults, crashes, timeouts and clients that leave. The stack's resources are read at "
        "the start (after warm-up) and at the end, and held to stated bounds.\n\n"
    )
    bounds = [
        [
            b["measure"],
            str(b["baseline"]),
            str(b["end"]),
            b["bound"],
            "yes" if b["pass"] else "**no**",
        ]
        for b in result["bounds"]
    ]
    medians = result.get("seconds_median", {})
    outcomes = [
        [
            f"`{kind}`",
            f"{counts['expected']} of {counts['sent']}",
            fmt(medians[kind]) if kind in medians else "-",
        ]
        for kind, counts in result["outcomes"].items()
    ]
    return (
        intro
        + _table(["measure", "start", "end", "bound", "within"], bounds)
        + "\nEach request kind and how many ended exactly as expected:\n\n"
        + _table(["kind", "as expected", "median seconds"], outcomes)
    )


def _asgi_bench(result: Mapping[str, Any]) -> str:
    intro = (
        "One FastAPI app, `benchmarks/asgi_bench_app.py`, streaming 24-byte SSE events, under "
        "each server in a process of its own: `asgi_handler(app)` on bedrock-stream's runtime "
        "(`bedrock-stream`), uvicorn as the Lambda Web Adapter runs it (asyncio + h11, and "
        "uvloop + httptools), Mangum on the same runtime (a buffered response), and the app's "
        "import alone (`app import`). Cold start runs from the process's spawn to the first "
        "body byte of its first response, and splits at the app's import (see *Reading the "
        "ASGI adapter's figures* above). "
        f"The burst is {result['burst']:,} events back to back; the paced "
        f"stream {result['paced']} events {fmt(result['gap_ms'])} ms apart. Every body is "
        "checked byte for byte.\n\n"
    )
    text = intro + _per_system(result["rows"], result.get("labels", {}), ratios=False)
    targets = [
        [
            target["goal"],
            target["peer"],
            f"{fmt(target['ratio'])} ({fmt(target['min'])}-{fmt(target['max'])})",
            "yes" if target["met"] else "**no**",
        ]
        for target in result["targets"]
    ]
    text += "\nThe targets of issue 19, bedrock-stream / peer, median of per-repetition pairs:\n\n"
    return text + _table(["target", "peer", "ratio (min-max)", "met"], targets)


def _cold_start(result: Mapping[str, Any]) -> str:
    intro = (
        "A fresh process's first Bedrock call, `stream_text(...)` over ConverseStream, with "
        "`BEDROCK_STREAM_BEDROCK_TRANSPORT=boto3` and `=builtin`, the order rotated on every "
        "repetition, to the Bedrock emulator over HTTPS on loopback behind a TLS proxy that "
        "timestamps each connection's first decrypted byte. The floor does what both paths "
        "must: the interpreter, `import bedrock_stream.bedrock`, `ssl`, the CA file and a "
        'handshake on a bare socket; "over the floor" is each path\'s figure less the '
        "floor's in the same repetition. Peak RSS is the process's `VmHWM`. The local stack's "
        f"figure takes a fresh stack per repetition ({result['stack_reps']} of them), so that "
        "each function's request starts its process; the per-event figure decodes the "
        f"{result['recordings']} recorded ConverseStream bodies ({result['events']:,} events) "
        "against botocore's `EventStream` (see *Cold start to Bedrock* above).\n\n"
    )
    text = intro + _per_system(result["rows"], result.get("labels", {}), ratios=False)
    targets = [
        [
            target["goal"],
            f"{fmt(target['ratio'])} ({fmt(target['min'])}-{fmt(target['max'])})",
            "yes" if target["met"] else "**no**",
        ]
        for target in result["targets"]
    ]
    labels = result.get("labels", {})
    for metric, ratio in (result.get("ratios") or {}).items():
        shown = f"{fmt(ratio['ratio'])} ({fmt(ratio['min'])}-{fmt(ratio['max'])})"
        targets.append([f"{labels.get(metric, metric)} (no target)", shown, "-"])
    text += "\nThe issue's targets, builtin / boto3, median of per-repetition pairs:\n\n"
    text += _table(["target", "ratio (min-max)", "met"], targets)
    imports = result.get("imports_ms") or {}
    if imports:
        paths = list(imports)
        top = list(dict.fromkeys(p for by in imports.values() for p in list(by)[:6]))
        rows = [[f"`{p}`", *(fmt(imports[path].get(p, 0.0)) for path in paths)] for p in top]
        rows.append(["all imports", *(fmt(sum(imports[path].values())) for path in paths)])
        text += (
            "\nWhere the imports' time goes: one `-X importtime` run of each, self time "
            "summed by top-level package, ms (the tracing inflates it):\n\n"
        )
        text += _table(["package", *paths], rows)
    return text


def _managed_instances(result: Mapping[str, Any]) -> str:
    intro = (
        "One function with N slots (`max_concurrency=N`) on the local Lambda service, in a "
        "fresh environment per runtime, N and repetition: bedrock-stream's runtime (exec "
        "wrapper, a `@streaming_handler`) against awslambdaric 4.x (`python -m awslambdaric`, "
        "a plain handler returning the same bytes buffered: it cannot stream, so its first "
        "byte is its whole response). Each forks N workers. Pool start runs from the "
        "environment's process start to the first and the N-th `/next`; memory is read from "
        "`/proc` once every worker polls; then N invocations at once return "
        f"{result['body_bytes'] // 1024:,} KiB each in {result['chunk_bytes'] // 1024} KiB "
        f"chunks, and N paced streams {result['paced']} chunks {fmt(result['gap_ms'])} ms "
        "apart, every body checked byte for byte (see *Managed Instances* above).\n\n"
    )
    parts = [intro]
    for slots, rows in result["by_slots"].items():
        parts.append(f"**N = {slots}.** " + _per_system(rows, result.get("labels", {})))
    return "\n".join(parts)


def _generic(result: Any) -> str:
    """Any other benchmark: repetition tables when the shape allows, else every figure."""
    params = {}
    rows = result
    if isinstance(result, Mapping) and isinstance(result.get("rows"), list):
        params = {k: v for k, v in result.items() if k != "rows"}
        rows = result["rows"]
    text = ""
    if params:
        text += ", ".join(f"{k}: {v}" for k, v in params.items() if not isinstance(v, (dict, list)))
        text += "\n\n"
    if isinstance(rows, list) and rows and all(isinstance(r, Mapping) for r in rows):
        if all(_number(v) for r in rows for v in r.values()):
            return text + _per_metric(rows, {})
        if all(isinstance(v, Mapping) for r in rows for v in r.values()):
            return text + _per_system(rows, {})
    leaves = list(_leaves(result, ""))
    if not leaves:
        return text + "No numeric figures were recorded.\n"
    return text + _table(["figure", "value"], [[f"`{k}`", fmt(v)] for k, v in leaves])


def _leaves(value: Any, prefix: str) -> Any:
    if _number(value):
        yield prefix or "value", value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{prefix}[{index}]")


RENDERERS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "handler_overhead": ("@streaming_handler overhead", _handler_overhead),
    "bedrock_parsing": ("Bedrock chunk parsing", _bedrock_parsing),
    "runtime_bench": ("The streaming runtime against its peers", _runtime_bench),
    "asgi_bench": ("A FastAPI app: the ASGI adapter against uvicorn and Mangum", _asgi_bench),
    "cold_start": ("Cold start to Bedrock: the built-in transport against boto3", _cold_start),
    "local_stack_ttfb": ("Time to first byte through the local stack", _local_stack_ttfb),
    "managed_instances": (
        "Managed Instances: the runtime's worker pool against awslambdaric",
        _managed_instances,
    ),
    "load": ("200 concurrent streams through the reference app", _load),
    "soak": ("Soak: mixed traffic with faults", _soak),
}
