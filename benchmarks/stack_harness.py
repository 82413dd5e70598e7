"""What the load and soak benchmarks share: the local stack in a process of its own, the
resources of that process and its children (from /proc), and the Bedrock emulator's
admin API.

The stack is ``bedrock-stream local ... --port 0`` started as a subprocess, as a user
starts it; its banner gives every URL. Its log (stderr) goes to a file, kept for
diagnosis. Linux only (/proc).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
REFERENCE_APP = ROOT / "examples" / "sam-app" / "template.yaml"
PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 1024 * 1024

_REST = re.compile(r"^\s+(\S+)\s+[A-Z]+ (http://\S+)\s+\((streaming|buffered)\)")
_URL = re.compile(r"^\s+(\S+)\s+function URL (http://\S+)\s+\((streaming|buffered)\)")
_BEDROCK = re.compile(r"^\s+Bedrock emulator\s+endpoint_url=(\S+)")


class StackProcess:
    """``bedrock-stream local`` on free loopback ports, in its own process.

    ``rest[name]`` lists a REST API's route URLs, ``urls[name]`` is a function URL,
    ``bedrock`` the emulator's endpoint. :meth:`stop` ends it with SIGTERM (the CLI then
    stops every function process) and waits.
    """

    def __init__(
        self,
        template: Path,
        *,
        speed: float,
        concurrency: int,
        log: Path,
        extra: tuple[str, ...] = (),
    ) -> None:
        command = [
            sys.executable, "-m", "bedrock_stream.cli", "local", "--template", str(template),
            "--port", "0", "--speed", str(speed), "--concurrency", str(concurrency), *extra,
        ]  # fmt: skip
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self._log_file, text=True
        )
        self.pid = self.process.pid
        self.rest: dict[str, list[str]] = {}
        self.urls: dict[str, str] = {}
        self.bedrock = ""
        assert self.process.stdout is not None
        try:
            for line in self.process.stdout:
                if found := _REST.match(line):
                    self.rest.setdefault(found[1], []).append(found[2])
                elif found := _URL.match(line):
                    self.urls[found[1]] = found[2]
                elif found := _BEDROCK.match(line):
                    self.bedrock = found[1]
                elif line.startswith("Ctrl-C"):
                    break
            else:
                raise RuntimeError(f"the stack did not start; see {log}")
        except BaseException:
            self.stop()
            raise

    def route(self, api: str, path: str) -> str:
        """The URL of ``api``'s route ending with ``path``."""
        return next(url for url in self.rest[api] if url.endswith(path))

    def stop(self) -> int:
        """SIGTERM, wait (killing after 60 s); return the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log_file.close()
        return self.process.returncode

    def __enter__(self) -> StackProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def relative(path: Path) -> str:
    """``path`` relative to the repository when inside it, so results name no machine's paths."""
    resolved = path.resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(path)


# -- resources, from /proc -------------------------------------------------------------------


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, ppid) of ``pid``, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1])


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (children, their children, ...)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None:
                parents.setdefault(stat[1], []).append(int(entry))
    found: list[int] = []
    todo = [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` (0 if gone)."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except OSError:
        return 0


def pss_bytes(pid: int) -> int:
    """Proportional set size of ``pid``: shared pages split between their users (0 if gone)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise RuntimeError(f"no Threads line for {pid}")


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def snapshot(pid: int, *, pss: bool = False) -> dict[str, Any]:
    """The stack process's fds, threads, RSS; its children, zombies and their total RSS."""
    children = descendants(pid)
    states = [_stat(child) for child in children]
    rows: dict[str, Any] = {
        "fds": fds(pid),
        "threads": threads(pid),
        "rss_mib": rss_bytes(pid) / MIB,
        "children": len(children),
        "zombies": sum(1 for s in states if s is not None and s[0] == "Z"),
        "tree_rss_mib": (rss_bytes(pid) + sum(rss_bytes(c) for c in children)) / MIB,
    }
    if pss:
        rows["tree_pss_mib"] = (pss_bytes(pid) + sum(pss_bytes(c) for c in children)) / MIB
    return rows


@dataclass
class Sampler:
    """Samples the stack's process tree every ``interval`` seconds in a thread; keeps peaks."""

    pid: int
    interval: float = 0.2
    keep: bool = False
    """Keep every sample in :attr:`series` (with its time since the start)."""
    peak: dict[str, float] = field(default_factory=dict)
    samples: int = 0
    series: list[dict[str, Any]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Sampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()

    def _run(self) -> None:
        began = time.monotonic()
        while True:
            try:
                current = snapshot(self.pid)
            except OSError:  # the stack is gone
                return
            self.samples += 1
            if self.keep:
                self.series.append({"t": round(time.monotonic() - began, 1), **current})
            for key, value in current.items():
                self.peak[key] = max(self.peak.get(key, value), value)
            if self._stop.wait(self.interval):
                return


# -- HTTP -------------------------------------------------------------------------------------


def request(
    url: str, method: str = "GET", document: Any = None, timeout: float = 60
) -> tuple[int, bytes]:
    """One request, whole response; (status, body)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=timeout)
    try:
        body = None if document is None else json.dumps(document)
        connection.request(
            method, parts.path or "/", body=body, headers={"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def emulator_requests(bedrock: str) -> list[dict[str, Any]]:
    """Every request the Bedrock emulator recorded (``GET /_emulator/requests``)."""
    status, body = request(bedrock + "/_emulator/requests")
    assert status == 200, body
    records: list[dict[str, Any]] = json.loads(body)
    return records


def add_fault(bedrock: str, fault: str, *, prompt: str, times: int | None = None) -> None:
    """Add a fault rule for prompts containing ``prompt`` (``times=None``: every one)."""
    rule = {"fault": fault, "prompt": prompt, "times": times}
    status, body = request(bedrock + "/_emulator/faults", "POST", rule)
    assert status == 200, body


def clear_faults(bedrock: str) -> None:
    status, body = request(bedrock + "/_emulator/faults", "DELETE")
    assert status == 200, body


def letters(number: int, width: int) -> str:
    """``number`` in base 26 with letters a-z, ``width`` letters (for the model's topic word)."""
    out = ""
    for _ in range(width):
        number, digit = divmod(number, 26)
        out = chr(ord("a") + digit) + out
    if number:
        raise ValueError("too large for the width")
    return out


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
