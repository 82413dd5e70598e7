"""The exec wrapper: its one canonical text, and the writer ``bedrock-stream init-wrapper`` uses.

The wrapper makes the managed Python runtime start bedrock-stream's streaming runtime.
The file goes into the function's own source directory (committed with the app) because
a script shipped inside the installed package would lose its execute bit: ``sam build``
extracts wheels with ``zipfile``, which drops file modes, and Lambda's bootstrap refuses
a wrapper it cannot execute. Then set on the function::

    AWS_LAMBDA_EXEC_WRAPPER: /var/task/bedrock-stream

The copies committed in this repository are written by :func:`write_wrapper`; a test
checks each is byte for byte what it writes.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import stat
import tempfile
from pathlib import Path

__all__ = ["WRAPPER_NAME", "wrapper_script", "write_wrapper"]

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

    The file is written beside its path and renamed over it, so a symbolic link is never
    followed, not even one made while the file is written: the link is replaced.

    Raises:
        FileExistsError: a different file is there already and ``force`` is false, or the
            path is a symbolic link (with or without ``force``).
    """
    path = directory / WRAPPER_NAME
    if path.is_symlink():
        raise FileExistsError(f"{path} is a symbolic link; refusing to write through it")
    text = wrapper_script(then)
    mode = 0o644
    if path.exists():
        if not force and path.read_text() != text:
            raise FileExistsError(f"{path} exists and differs; use --force to replace it")
        mode = stat.S_IMODE(path.stat().st_mode)
    mode |= stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH | stat.S_IRGRP | stat.S_IROTH
    _replace(path, text, mode)
    return path


def _replace(path: Path, text: str, mode: int) -> None:
    """Write ``text`` to a new file beside ``path`` (``O_EXCL``), then rename it over ``path``."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
