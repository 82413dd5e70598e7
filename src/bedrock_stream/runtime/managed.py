"""Lambda Managed Instances: the runtime as a pool of single-slot workers.

With ``AWS_LAMBDA_MAX_CONCURRENCY=N`` the runtime does what AWS's Python runtime client
(awslambdaric 4.x) does: before the handler import it forks N workers (:mod:`.workers`),
each of which connects its output to the log provider socket (:mod:`.log_socket`), opens its
own Runtime API connection and runs the usual init and single-slot loop (:mod:`.loop`).

Invariants:

* The value is parsed strictly (a positive integer in ASCII digits) before any fork; any
  other value, or SnapStart, is an init error posted by the parent.
* The parent's probe connection is closed before the fork: no socket is shared.
* As awslambdaric's: a 403 on a worker's ``/init/error`` means another worker posted it,
  and a failed ``/next`` is tried 4 more times (0.1 s, doubling).
* In a worker, records are lines on stdout, never frames on ``_LAMBDA_TELEMETRY_LOG_FD``:
  frames from N processes on one descriptor could interleave.
* An invocation whose worker died is failed ``Runtime.ExitError`` by the parent, with
  RAPID's wording, on a connection of its own that it closes before it forks again.
"""

from __future__ import annotations

from bedrock_stream.runtime import logs
from bedrock_stream.runtime.client import RuntimeAPI, RuntimeAPIError
from bedrock_stream.runtime.diagnostic import Fault, from_exception, to_body
from bedrock_stream.runtime.log_socket import PROVIDER_SOCKET, redirect
from bedrock_stream.runtime.logoutput import LogOutput
from bedrock_stream.runtime.loop import MAX_CONCURRENCY, connect_api, init_failed, init_runtime
from bedrock_stream.runtime.workers import Worker, run_pool

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: the cold path does not import typing
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import NoReturn

__all__ = ["pool_size", "run_managed"]


def _log(message: str) -> None:
    logs.write(f"[bedrock-stream] {message}\n")


def pool_size(value: str, environ: Mapping[str, str]) -> int:
    """Parse ``AWS_LAMBDA_MAX_CONCURRENCY`` strictly: a positive integer in ASCII digits.

    Raises:
        Fault: ``Runtime.InvalidMaxConcurrency`` for any other value;
            ``Runtime.UnsupportedConfiguration`` with SnapStart (no ``/restore`` there).
    """
    if not (value.isascii() and value.isdigit()) or int(value) == 0:
        raise Fault(
            "Runtime.InvalidMaxConcurrency",
            f"{MAX_CONCURRENCY}={value!r}: expected a positive integer, the number of "
            "invocations served at once (one worker process each)",
        )
    if environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start":
        raise Fault(
            "Runtime.UnsupportedConfiguration",
            f"{MAX_CONCURRENCY} with SnapStart: Lambda Managed Instances have no snapshot restore",
        )
    return int(value)


def _serve(
    worker: Worker,
    handler: str | None,
    streaming: bool | None,
    deadline_guard: float | None,
    env: Mapping[str, str],
) -> NoReturn:
    """Run a forked worker: its own output, connection and init, then the single-slot loop."""
    LogOutput.fd = None  # records are lines: frames from N processes on one fd could interleave
    path = env.get(PROVIDER_SOCKET)
    if path:
        failure = redirect(path)
        if failure is not None:
            _log(f"WARNING: {PROVIDER_SOCKET}={path}: {failure}; logging to stdout")
    runtime = init_runtime(connect_api(env), handler, streaming, deadline_guard, env, worker=True)
    worker.ready()
    runtime.serve_forever(worker.serving)


def _report_lost(address: str, request_id: str, how: str) -> None:
    """Fail the invocation a dead worker was serving, as RAPID words a runtime's exit."""
    api = RuntimeAPI(address)
    message = f"RequestId: {request_id} Error: Runtime exited with error: {how}"
    error, _ = from_exception(Fault("Runtime.ExitError", message), request_id)
    try:
        api.post_error(request_id, to_body(error), error.type_field(), "")
    except RuntimeAPIError as exc:  # 403 once its stream had begun: the cut body tells it
        _log(f"invocation {request_id} lost with its worker: {exc}")
    finally:
        api.close()


def run_managed(
    api: RuntimeAPI,
    concurrency: str,
    handler: str | None,
    streaming: bool | None,
    deadline_guard: float | None,
    env: Mapping[str, str],
) -> NoReturn:
    """Check ``concurrency``, close ``api`` and run the pool of workers (never returns).

    The arguments are :func:`.loop.run`'s, with its connected client.
    """
    try:
        size = pool_size(concurrency, env)
    except Fault as exc:
        init_failed(api, exc)
    api.close()

    def serve(worker: Worker) -> NoReturn:
        _serve(worker, handler, streaming, deadline_guard, env)

    def lost(request_id: str, how: str) -> None:
        _report_lost(api.address, request_id, how)

    run_pool(size, serve, lost)
