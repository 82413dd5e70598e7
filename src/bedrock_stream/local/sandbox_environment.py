"""What a sandbox's process is started with, as Lambda's managed runtimes start it.

The environment (:func:`lambda_environment`), the runtime's command line
(:func:`runtime_command`), the bootstrap script (:data:`MANAGED_BOOTSTRAP`), the
``LAMBDA_RUNTIME_DIR`` it is written to (:func:`make_runtime_dir`, which reaps dead services'
directories), the parent-death signal (:func:`dying_with_parent`), and the words Lambda uses
for an exit status and a trace id. Plain inputs to plain outputs, no sockets and no threads.

The bootstrap is a ``/bin/sh`` script rather than Python, because the wrapper's 126 and 127
exit statuses then come from a real process and reach the invoker by the same path as any
crash, and ``exec`` keeps one pid from bootstrap to runtime: the pid the service watches and
kills (with its process group). The ``LAMBDA_RUNTIME_DIR`` is named for the service's pid,
``bedrock-stream-runtime-<pid>-*``: a new service removes those of dead processes, and never
another live one's.
"""

from __future__ import annotations

import ctypes
import os
import re
import secrets
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from bedrock_stream.local.messages import new_trace_root

if TYPE_CHECKING:
    from bedrock_stream.local.deployment import Function
    from bedrock_stream.local.runtimes import NodeClient

__all__ = [
    "DUMMY_CREDENTIALS",
    "MANAGED_BOOTSTRAP",
    "Bootstrap",
    "dying_with_parent",
    "exit_status",
    "lambda_environment",
    "make_runtime_dir",
    "new_trace_id",
    "runtime_command",
]

MANAGED_BOOTSTRAP = """#!/bin/sh
# What Lambda's managed bootstrap does: "$@" is the runtime's command line,
# interpreter first. An AWS_LAMBDA_EXEC_WRAPPER must be an executable file; it is exec'd
# with that command line.
if [ -n "$AWS_LAMBDA_EXEC_WRAPPER" ]; then
  wrapper="$AWS_LAMBDA_EXEC_WRAPPER"
  if [ ! -f "$wrapper" ]; then
    echo "$wrapper: does not exist" >&2
    exit 127
  fi
  if [ ! -x "$wrapper" ]; then
    echo "$wrapper: is not an executable" >&2
    exit 126
  fi
  exec "$wrapper" "$@"
fi
exec "$@"
"""

Bootstrap = Literal["exec-wrapper", "awslambdaric", "bedrock-stream-buffered", "aws-lambda-ric"]
"""What a sandbox's bootstrap started: the function's exec wrapper, awslambdaric,
bedrock-stream's runtime in buffered mode (where awslambdaric is not installed), or AWS's
Node.js runtime client."""

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_RUNTIME_DIR = re.compile(r"bedrock-stream-runtime-(\d+)-\w+")
_TASK_ROOT = "/var/task/"
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "ASIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_SESSION_TOKEN": "local",
}
"""A function's credentials unless the service is given others: AWS's documentation example
keys, never valid."""


def lambda_environment(
    function: Function,
    *,
    region: str,
    runtime_api: str,
    runtime_dir: str,
    credentials: Mapping[str, str] | None = None,
    extra: Mapping[str, str] | None = None,
    container_credentials: Mapping[str, str] | None = None,
    max_concurrency: int | None = None,
    log_socket: str | None = None,
) -> dict[str, str]:
    """Return the environment of ``function``'s process, as Lambda builds it.

    Lambda's defaults (``PATH`` from this process, ``LANG``, ``TZ``, and ``PYTHONPATH``, or
    ``NODE_PATH`` for a ``nodejs*`` runtime, with the code directory) come first, then the
    function's ``Environment`` variables, then ``extra``, then the variables Lambda
    reserves, which nothing overrides. Nothing else is inherited: the caller's own ``AWS_*``
    settings stay out. ``credentials`` default to dummy keys. An ``AWS_LAMBDA_EXEC_WRAPPER``
    under ``/var/task/`` is mapped into the code directory, which is ``LAMBDA_TASK_ROOT``
    here.

    A SnapStart function (:attr:`Function.snap_start
    <bedrock_stream.local.deployment.Function.snap_start>`) runs as its published version
    does: ``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start``, version ``1``, no
    ``AWS_LAMBDA_LOG_GROUP_NAME`` or ``AWS_LAMBDA_LOG_STREAM_NAME``, and no key variables:
    ``container_credentials`` (``AWS_CONTAINER_CREDENTIALS_FULL_URI`` and
    ``AWS_CONTAINER_AUTHORIZATION_TOKEN``, required then) take their place.

    With ``max_concurrency`` (Lambda Managed Instances) the environment is that of a
    multi-concurrent one: ``AWS_LAMBDA_MAX_CONCURRENCY``, the runtime's log socket
    ``_LAMBDA_TELEMETRY_LOG_FD_PROVIDER_SOCKET`` (``log_socket``, required then),
    ``AWS_LAMBDA_LOG_FORMAT=JSON`` (the only format there) and
    ``AWS_LAMBDA_INITIALIZATION_TYPE=lambda-managed-instances``.
    """
    snap_start = function.snap_start
    if snap_start and container_credentials is None:
        raise ValueError(f"{function.name}: a SnapStart function needs container_credentials")
    code_dir = str(function.code_dir)
    stream = time.strftime("%Y/%m/%d/[$LATEST]", time.gmtime()) + uuid.uuid4().hex
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        _search_path(function.runtime): code_dir,
        **function.environment,
        **(extra or {}),
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_VERSION": "1" if snap_start else "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": stream,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start" if snap_start else "on-demand",
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "LAMBDA_TASK_ROOT": code_dir,
        "LAMBDA_RUNTIME_DIR": runtime_dir,
        "_HANDLER": function.handler,
    }
    if max_concurrency is not None:
        if log_socket is None:
            raise ValueError(f"{function.name}: a Managed Instances function needs log_socket")
        env.update(
            {
                "AWS_LAMBDA_MAX_CONCURRENCY": str(max_concurrency),
                "_LAMBDA_TELEMETRY_LOG_FD_PROVIDER_SOCKET": log_socket,
                "AWS_LAMBDA_LOG_FORMAT": "JSON",
                "AWS_LAMBDA_INITIALIZATION_TYPE": "lambda-managed-instances",
            }
        )
    if container_credentials is not None and snap_start:
        del env["AWS_LAMBDA_LOG_GROUP_NAME"], env["AWS_LAMBDA_LOG_STREAM_NAME"]
        for name in DUMMY_CREDENTIALS:  # reserved: not even the function's own may stay
            env.pop(name, None)
        env.update(container_credentials)
    else:
        env.update(DUMMY_CREDENTIALS if credentials is None else credentials)
    if function.runtime:
        env["AWS_EXECUTION_ENV"] = f"AWS_Lambda_{function.runtime}"
    wrapper = env.get("AWS_LAMBDA_EXEC_WRAPPER", "")
    if wrapper.startswith(_TASK_ROOT):
        env["AWS_LAMBDA_EXEC_WRAPPER"] = str(function.code_dir / wrapper[len(_TASK_ROOT) :])
    return env


def _search_path(runtime: str) -> str:
    """Return the variable where ``runtime``'s imports look first, as Lambda sets it."""
    return "NODE_PATH" if runtime.startswith("nodejs") else "PYTHONPATH"


def runtime_command(
    environment: Mapping[str, str], handler: str, ric: bool, *, node: NodeClient | None = None
) -> tuple[Bootstrap, list[str]]:
    """Choose the runtime's command line, interpreter first; ``ric``: awslambdaric is here.

    A Node.js function (``node``: its runtime client) gets ``<node> <ric>/index.mjs
    <handler>``. A Python one gets ``<python> -m awslambdaric <handler>`` under an exec
    wrapper or where awslambdaric is installed, else ``<python> -m bedrock_stream.runtime
    --buffered <handler>``, buffered like the managed runtime. ``<python>`` is this
    interpreter, so the installed packages are importable. Under an exec wrapper, the
    wrapper is given that command line.
    """
    wrapped = bool(environment.get("AWS_LAMBDA_EXEC_WRAPPER"))
    if node is not None:
        return "exec-wrapper" if wrapped else "aws-lambda-ric", node.command(handler)
    if wrapped:
        return "exec-wrapper", [sys.executable, "-m", "awslambdaric", handler]
    if ric:
        return "awslambdaric", [sys.executable, "-m", "awslambdaric", handler]
    return "bedrock-stream-buffered", [
        sys.executable,
        "-m",
        "bedrock_stream.runtime",
        "--buffered",
        handler,
    ]


def exit_status(status: int) -> str:
    """Describe a return code as Lambda does: ``exit status 3``, ``signal: killed``."""
    if status >= 0:
        return f"exit status {status}"
    return f"signal: {(signal.strsignal(-status) or str(-status)).lower()}"


def new_trace_id() -> str:
    """Return a new, unsampled ``X-Amzn-Trace-Id`` value, as Lambda passes one to ``/next``."""
    return f"{new_trace_root()};Parent={secrets.token_hex(8)};Sampled=0"


def make_runtime_dir() -> Path:
    """Create a runtime directory named for this process, after reaping dead ones'."""
    for path in Path(tempfile.gettempdir()).glob("bedrock-stream-runtime-*"):
        if _abandoned(path):
            shutil.rmtree(path, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"bedrock-stream-runtime-{os.getpid()}-"))


def _abandoned(path: Path) -> bool:
    """Whether ``path`` is a runtime directory of ours whose process has ended."""
    named = _RUNTIME_DIR.fullmatch(path.name)
    try:
        return named is not None and path.lstat().st_uid == os.getuid() and not _running(named[1])
    except OSError:  # gone already: another service reaped it
        return False


def _running(pid: str) -> bool:
    """Whether process ``pid`` exists."""
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        pass
    return True


def dying_with_parent() -> Callable[[], None] | None:
    """Return a ``preexec_fn`` that has the child killed when the forking thread ends.

    Linux only (``PR_SET_PDEATHSIG``, kept across ``exec``); elsewhere ``None``.
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))
        if os.getppid() != parent:  # the parent died before prctl: no signal will come
            os._exit(1)

    return preexec
