"""``bedrock-stream`` command line.

``bedrock-stream init-wrapper [DIR]`` writes the exec wrapper that makes the managed
Python runtime start bedrock-stream's streaming runtime. The file goes into the
function's own source directory (committed with the app) because a script shipped
inside the installed package would lose its execute bit: ``sam build`` extracts wheels
with ``zipfile``, which drops file modes, and Lambda's bootstrap refuses a wrapper it
cannot execute. Then set on the function::

    AWS_LAMBDA_EXEC_WRAPPER: /var/task/bedrock-stream
"""

from __future__ import annotations

import argparse
import os
import shlex
import stat
import sys
from pathlib import Path

__all__ = ["main", "wrapper_script", "write_wrapper"]

WRAPPER_NAME = "bedrock-stream"


def wrapper_script(then: str | None = None) -> str:
    """Return the wrapper's text; ``then`` names another exec wrapper to chain to."""
    from bedrock_stream import __version__

    chain = f"{shlex.quote(then)} " if then else ""
    return f"""#!/bin/sh
# Written by `bedrock-stream init-wrapper` (bedrock-stream {__version__}). Keep it executable
# and set on the function: AWS_LAMBDA_EXEC_WRAPPER=/var/task/{WRAPPER_NAME}
# Lambda's bootstrap runs this file with the runtime's own command line, the Python
# interpreter first; it starts bedrock-stream's streaming runtime with that interpreter.
python="${{1:-python3}}"
case "$python" in
  *python*) ;;
  *) python=python3 ;;
esac
export PYTHONPATH="${{LAMBDA_TASK_ROOT:-/var/task}}${{PYTHONPATH:+:$PYTHONPATH}}"
exec {chain}"$python" -m bedrock_stream.runtime
"""


def write_wrapper(directory: Path, *, then: str | None = None, force: bool = False) -> Path:
    """Write the executable wrapper into ``directory``; return its path.

    Raises:
        FileExistsError: a different file is there already and ``force`` is false.
    """
    path = directory / WRAPPER_NAME
    text = wrapper_script(then)
    if path.exists() and not force and path.read_text() != text:
        raise FileExistsError(f"{path} exists and differs; use --force to replace it")
    path.write_text(text)
    mode = path.stat().st_mode
    path.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH | stat.S_IRGRP | stat.S_IROTH)
    return path


def main(argv: list[str] | None = None) -> int:
    """Run the ``bedrock-stream`` command; return its exit status."""
    parser = argparse.ArgumentParser(prog="bedrock-stream")
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser(
        "init-wrapper",
        help="write the AWS_LAMBDA_EXEC_WRAPPER script into a function's source directory",
    )
    init.add_argument("directory", nargs="?", default=".", help="the function's CodeUri")
    init.add_argument("--then", help="another exec wrapper to chain to, e.g. /opt/otel-instrument")
    init.add_argument("--force", action="store_true", help="replace a different existing file")
    args = parser.parse_args(argv)
    directory = Path(args.directory)
    if not directory.is_dir():
        parser.error(f"{directory} is not a directory")
    try:
        path = write_wrapper(directory, then=args.then, force=args.force)
    except FileExistsError as exc:
        print(f"bedrock-stream: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    print(f"set on the function:  AWS_LAMBDA_EXEC_WRAPPER: /var/task/{WRAPPER_NAME}")
    if os.name == "nt":
        print("note: on Windows, keep the execute bit in git: git update-index --chmod=+x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
