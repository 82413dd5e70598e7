"""A Managed Instances execution environment: one process tree, several invocations at once.

A :class:`ManagedSandbox` is a :class:`~bedrock_stream.local.sandbox.Sandbox` whose runtime
is multi-concurrent (``AWS_LAMBDA_MAX_CONCURRENCY``: awslambdaric forks that many workers,
each polling ``/next``). Instead of one job it keeps a table of open invocations, request
id to job, and its supervisor checks each of them every 50 ms, as Lambda Managed Instances
treats them:

* init lasts until the first ``/next``, at most :data:`MANAGED_INIT_TIMEOUT` or the
  function's timeout if longer; an init that fails or times out fails every open
  invocation, and the environment is retired;
* each invocation has its own timeout, from its ``/next`` (from its submission while it
  waits for a worker): past it, only that invocation fails ``Sandbox.Timedout``; nothing is
  killed (Managed Instances does not end the code), and the runtime's late report is
  refused (:meth:`~bedrock_stream.local.managed_runtime_api.ManagedRuntimeAPI.expire`);
* a client that left, with ``close_on_disconnect``, has only its own stream cut;
* the process tree's root exits: every open invocation fails ``Runtime.ExitError``.

A worker's slot counts as busy (:attr:`ManagedSandbox.busy`) while its invocation is open
and, once that invocation timed out or was cut, until its runtime reports on it. The
workers' output reaches ``log`` through the environment's
:class:`~bedrock_stream.local.log_fd_provider.LogFdProvider`, the root's through the pipe.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bedrock_stream.local.invocation import InvocationError
from bedrock_stream.local.log_fd_provider import LogFdProvider
from bedrock_stream.local.sandbox import _SLICE, Forker, Sandbox, _error
from bedrock_stream.local.sandbox_environment import exit_status
from bedrock_stream.protocol.runtime_api import InvocationState

if TYPE_CHECKING:
    from pathlib import Path

    from bedrock_stream.local.deployment import Function
    from bedrock_stream.local.invocation import Done
    from bedrock_stream.local.lambda_service import ServiceInvocation
    from bedrock_stream.local.managed_runtime_api import ManagedRuntimeAPI
    from bedrock_stream.local.sandbox_environment import Bootstrap

__all__ = ["MANAGED_INIT_TIMEOUT", "ManagedSandbox"]

MANAGED_INIT_TIMEOUT = 130.0
"""Lambda Managed Instances' limit, in seconds, on init when the function's timeout is
shorter."""


class _Slot:
    """An open invocation and when it was submitted (``time.monotonic()``)."""

    __slots__ = ("cut", "job", "submitted")

    def __init__(self, job: ServiceInvocation) -> None:
        self.job = job
        self.submitted = time.monotonic()
        self.cut = False


class ManagedSandbox(Sandbox):
    """A multi-concurrent execution environment; arguments as :class:`Sandbox`'s, and more.

    Args:
        max_concurrency: the invocations it serves at once.
        log_socket: where its :class:`~bedrock_stream.local.log_fd_provider.LogFdProvider`
            listens (``_LAMBDA_TELEMETRY_LOG_FD_PROVIDER_SOCKET`` in ``environment``).
    """

    api: ManagedRuntimeAPI

    def __init__(
        self,
        function: Function,
        api: ManagedRuntimeAPI,
        bootstrap: Bootstrap,
        command: list[str],
        environment: dict[str, str],
        *,
        max_concurrency: int,
        log_socket: Path,
        forker: Forker,
        log: Callable[[str], None],
        close_on_disconnect: bool,
        on_retired: Callable[[Sandbox], None],
        on_gone: Callable[[Sandbox], None],
    ) -> None:
        self.max_concurrency = max_concurrency
        self._open: dict[str, _Slot] = {}
        self._table = threading.Lock()  # guards _open
        self._initialized = False  # a worker took an invocation
        self._provider = LogFdProvider(log_socket, self._log_output).start()
        try:
            super().__init__(
                function,
                api,
                bootstrap,
                command,
                environment,
                forker=forker,
                log=log,
                close_on_disconnect=close_on_disconnect,
                on_idle=lambda _: None,  # never idle: admission counts slots
                on_retired=on_retired,
                on_gone=on_gone,
            )
        except OSError:
            self._provider.close()
            raise

    @property
    def busy(self) -> int:
        """Slots taken: open invocations, and timed-out or cut ones not yet reported on."""
        with self._table:
            return len(self._open) + self.api.overdue

    def submit(self, job: ServiceInvocation) -> None:
        """Open an invocation made with :meth:`job_done` as its ``on_done``."""
        with self._table:
            self._open[job.request_id] = _Slot(job)
        self.api.submit(job)

    def job_done(self, job: ServiceInvocation, done: Done) -> None:
        """Close the invocation's slot as it ends, before the invoker sees ``Done``."""
        with self._table:
            self._open.pop(job.request_id, None)
        if job.state is not InvocationState.QUEUED:
            self._initialized = True  # a worker took it, though no check may have seen it
        if job.detached:
            self.log(f"{job.request_id} finished after its client went away: {done.status}")

    # -- the supervisor thread ----------------------------------------------------------

    def _supervise(self) -> None:
        try:
            self._watch()
        finally:
            self._shut_down()

    def _close_output(self) -> None:
        self._provider.close()

    def _watch(self) -> None:
        """Check the environment and each open invocation every 50 ms, until it is lost."""
        started = time.monotonic()
        init = max(MANAGED_INIT_TIMEOUT, float(self.function.timeout))
        while True:
            time.sleep(_SLICE)
            lost = self._lost()
            with self._table:
                slots = list(self._open.values())
            if any(s.job.state is not InvocationState.QUEUED for s in slots):
                self._initialized = True
            if lost is None and not self._initialized and time.monotonic() >= started + init:
                lost = _failure("Sandbox.Timedout", f"Init timed out after {init:.2f} seconds")
            if lost is not None:
                self._fail_all(lost)
                return
            for slot in slots:
                self._check(slot)

    def _lost(self) -> Callable[[str], InvocationError] | None:
        """Return how open invocations fail if init failed or the process exited, else None."""
        status = self.process.poll()  # first: a runtime posts its init error, then exits
        with contextlib.suppress(TimeoutError):
            error = self.api.init_error(timeout=0)
            return lambda _: InvocationError(error.error_type, error.body)
        if status is None:
            return None
        return _failure("Runtime.ExitError", f"Runtime exited with error: {exit_status(status)}")

    def _check(self, slot: _Slot) -> None:
        """Cut a detached invocation's stream, or fail it past its timeout."""
        job = slot.job
        if job.detached and self._close_on_disconnect and not slot.cut:
            slot.cut = True
            self.log(f"{job.request_id}: the client went away, the stream is closed")
            self.api.cut(job)
        if job.ended or job.state is InvocationState.DONE or not self._initialized:
            return
        timeout = self.function.timeout
        if job.state is InvocationState.QUEUED:
            late = time.monotonic() >= slot.submitted + timeout
        else:
            late = time.time() * 1000 >= job.deadline_ms
        if late:
            self.api.expire(job.request_id)
            self.log(f"{job.request_id} failed: Sandbox.Timedout")
            limit = f"Task timed out after {timeout:.2f} seconds"
            job.fail(_error("Sandbox.Timedout", job.request_id, limit))

    def _fail_all(self, error: Callable[[str], InvocationError]) -> None:
        """Fail every open invocation, the environment being lost."""
        self._on_retired(self)
        self._kill()
        with self._table:
            jobs = [slot.job for slot in self._open.values()]
        for job in jobs:
            failure = error(job.request_id)
            self.log(f"{job.request_id} failed: {failure.error_type}")
            job.fail(failure)


def _failure(error_type: str, message: str) -> Callable[[str], InvocationError]:
    """Return the error, in Lambda's shape, of each invocation that fails so."""
    return lambda request_id: _error(error_type, request_id, message)
