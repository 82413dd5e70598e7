"""Measure the cold path's non-project modules; run as a script, write the snapshot.

``python tests/runtime/cold_path_snapshot.py SRC`` measures the bedrock_stream in ``SRC``
with the running interpreter and stores the result under its ``major.minor`` key in
``tests/data/cold_path_modules.json`` (the other versions' entries are kept). The committed
snapshot was taken from the code before the redesign of issue 15, so a test can check that
the redesign imports no new standard-library or third-party module on the cold path.

Standard library only: it runs with interpreters that have nothing installed. The child
runs with ``-S`` (no ``site``): what a virtual environment's ``.pth`` files import is not
the code's doing, and without ``site-packages`` the measurement is the same in every
environment.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

SNAPSHOT = Path(__file__).parents[1] / "data" / "cold_path_modules.json"
PROVENANCE = (
    "Non-project modules (sys.modules names not starting with bedrock_stream) on the cold "
    "path, per Python major.minor, taken from the code before issue 15's redesign with "
    "tests/runtime/cold_path_snapshot.py; checked by tests/runtime/test_cold_path_modules.py. "
    "One module was added since, on purpose: signal (0.75 ms), for the runtime's SIGTERM "
    "handling (bedrock_stream.runtime.sigterm)."
)
PROBE = "cold_path_probe"

# Imported as the handler's module: what was loaded before it, then exit at once.
_PROBE_SOURCE = """\
import os, sys
skip = (__name__, "__main__")
names = sorted(n for n in sys.modules if n not in skip and not n.startswith("bedrock_stream"))
with open(os.environ["COLD_PATH_OUT"], "w") as out:
    out.write("\\n".join(names))
os._exit(0)
"""

_IMPORT_HANDLER = "from bedrock_stream import streaming_handler\n" + _PROBE_SOURCE


def _run(python: str, src: Path, args: list[str], work: Path, **env: str) -> list[str]:
    out = work / "modules.txt"
    env.update(PATH=os.environ.get("PATH", ""), PYTHONPATH=str(src), COLD_PATH_OUT=str(out))
    proc = subprocess.run([python, "-S", *args], cwd=work, env=env, capture_output=True, timeout=60)
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"{args}: exit status {proc.returncode}: {proc.stdout + proc.stderr!r}")
    return out.read_text().split("\n")


def measure(python: str, src: Path) -> dict[str, list[str]]:
    """Return the sorted non-project modules of both cold paths, run by ``python`` on ``src``."""
    with tempfile.TemporaryDirectory() as temp, socket.create_server(("127.0.0.1", 0)) as api:
        work = Path(temp)
        (work / f"{PROBE}.py").write_text(_PROBE_SOURCE)
        # A listening socket is all the runtime needs before it loads the handler.
        runtime = _run(
            python,
            src,
            ["-m", "bedrock_stream.runtime"],
            work,
            AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{api.getsockname()[1]}",
            LAMBDA_TASK_ROOT=str(work),
            _HANDLER=f"{PROBE}.handler",
        )
        handler = _run(python, src, ["-c", _IMPORT_HANDLER], work)
    return {
        "python -m bedrock_stream.runtime": runtime,
        "from bedrock_stream import streaming_handler": handler,
    }


def version_key() -> str:
    """Return the running interpreter's snapshot key, e.g. ``3.11``."""
    return "{}.{}".format(*sys.version_info[:2])


def main(argv: list[str]) -> None:
    """Measure ``argv[0]`` (a ``src`` directory) and store it under this interpreter's key."""
    snapshot = json.loads(SNAPSHOT.read_text()) if SNAPSHOT.exists() else {}
    snapshot.pop("provenance", None)
    snapshot[version_key()] = measure(sys.executable, Path(argv[0]).resolve())
    ordered = {"provenance": PROVENANCE, **dict(sorted(snapshot.items()))}
    SNAPSHOT.write_text(json.dumps(ordered, indent=1) + "\n")
    print(f"{SNAPSHOT}: {version_key()} from {argv[0]}")


if __name__ == "__main__":
    main(sys.argv[1:])
