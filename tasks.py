#!/usr/bin/env python3
"""Set up a virtual environment and run the project's main job or its tests.

    python3 tasks.py demo      # run the reference app locally; compare streaming and buffered
    python3 tasks.py test      # the whole test suite (extra arguments go to pytest)

The demo starts `bedrock-stream local` on examples/sam-app (API Gateway, Lambda and a
Bedrock emulator on this machine), sends one prompt to the streaming and to the buffered
API with `bedrock-stream compare`, then keeps serving until Ctrl-C so you can try the
printed `curl -N` lines. Extra arguments go to `bedrock-stream local`.

The environment lives in .venv and is reinstalled when pyproject.toml changes.
Only the standard library is used here, so a fresh clone needs nothing but Python >= 3.10.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".bedrock-stream-installed"


def ensure_venv() -> None:
    if sys.version_info < (3, 10):  # noqa: UP036 - a clear message on an old interpreter
        sys.exit(f"bedrock-stream needs Python >= 3.10; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print(f"creating {VENV.name} with {sys.executable}", flush=True)
        venv.create(VENV, with_pip=True)
    print("installing bedrock-stream[dev] (editable) into .venv", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(wanted)


def run(*args: str) -> int:
    return subprocess.run([str(PYTHON), *args], cwd=ROOT).returncode


def demo(extra: list[str]) -> int:
    cli = [str(PYTHON), "-m", "bedrock_stream.cli"]
    command = [*cli, "local", "--template", "examples/sam-app/template.yaml", *extra]
    stack = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert stack.stdout is not None
    urls: dict[str, str] = {}
    key: list[str] = []
    try:
        for line in stack.stdout:
            print(line, end="", flush=True)
            found = re.match(r"\s+(\w+)\s+POST (\S+)\s+\((streaming|buffered)\)", line)
            if found:  # each API's first route: the reference app's POST /ask
                urls.setdefault(found[3], found[2])
            found = re.match(r"\s+API key \w+\s+x-api-key: (\S+)$", line)
            if found and not key:
                key = ["-H", f"x-api-key: {found[1]}"]
            if line.startswith("Ctrl-C"):
                break
        else:
            return stack.wait()
        if {"streaming", "buffered"} <= urls.keys():
            print("\nThe same prompt, streaming API first, then the buffered one:\n", flush=True)
            compare = [*cli, "compare", urls["streaming"], urls["buffered"], *key]
            subprocess.run(compare, cwd=ROOT)
            print("\nStill serving; Ctrl-C stops everything.", flush=True)
        for line in stack.stdout:
            print(line, end="", flush=True)
        return stack.wait()
    except KeyboardInterrupt:
        stack.terminate()
        return stack.wait()


def main(argv: list[str]) -> int:
    task, rest = (argv[0], argv[1:]) if argv else ("", [])
    if task not in {"demo", "test"}:
        print(__doc__)
        return 2
    ensure_venv()
    if task == "demo":
        return demo(rest)
    return run("-m", "pytest", *rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
