"""The environment of a runtime process a test starts: none of the developer's AWS setup.

This machine's variables, less every ``AWS_*``, ``_HANDLER`` and ``_LAMBDA*`` one, with the
project's sources on ``PYTHONPATH``, ``LAMBDA_TASK_ROOT`` at the function's code and, given a
local Runtime API, ``AWS_LAMBDA_RUNTIME_API`` at it.
"""

from __future__ import annotations

import os
from pathlib import Path

from bedrock_stream.local.runtime_api import RuntimeAPIServer

SRC = str(Path(__file__).parents[2] / "src")


def runtime_env(api: RuntimeAPIServer | None, root: Path, **extra: str) -> dict[str, str]:
    """Return the environment of a runtime serving the code in ``root`` from ``api``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "_HANDLER", "_LAMBDA"))}
    env.update(PYTHONPATH=SRC, LAMBDA_TASK_ROOT=str(root), **extra)
    if api is not None:
        env["AWS_LAMBDA_RUNTIME_API"] = api.address
    return env
