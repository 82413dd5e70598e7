"""One execution environment ("sandbox"): a runtime process, its Runtime API and its threads.

A :class:`Sandbox` serves one invocation at a time through its own
:class:`~bedrock_stream.local.runtime_api.RuntimeAPIServer` and reports its life-cycle to
the pool that owns it through the callbacks it is given: ``on_idle`` (the runtime answered,
the sandbox may be reused), ``on_retired`` (out of service: it no longer counts against the
function's concurrency) and ``on_gone`` (its process and threads have ended). What the
Runtime API cannot see is reported as Lambda reports it, an
:class:`~bedrock_stream.local.invocation.InvocationError` then ``Done("failure")``:

* past the function's ``Timeout`` (counted from ``/next``, as Lambda counts it; init has
  Lambda's 10 s, :data:`INIT_TIMEOUT`, or a SnapStart version's :data:`SNAPSHOT_INIT_TIMEOUT`
  or its timeout if longer): ``Sandbox.Timedout``, and the process is killed;
* the process exits mid-invocation: ``Runtime.ExitError`` with the exit status or signal;
* init fails: the error the runtime posted to ``/init/error`` (e.g.
  ``Runtime.ImportModuleError``), or ``Runtime.ExitError`` when it exited before ``/next``.

A sandbox that failed so is retired. Besides its Runtime API's, it has two threads: a
supervisor, which checks the process, ``/next`` and the deadline every 50 ms (nothing
signals them; the Runtime API emits the runtime's events into the invocation itself) and
adds the failures the Runtime API cannot see; and a reader that passes the
process's output (stdout and stderr share one pipe, so their order is kept) line by line to
``log``. The reader stops at EOF or, once the process has ended, when the pipe is drained: a
daemon the function left behind (``setsid``) may hold the pipe open for ever.

Every process is started by one :class:`Forker` thread that lives as long as the pool, so
that on Linux each dies with the pool even on ``kill -9`` (a parent-death signal, which Linux
sends when the forking *thread* ends).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import selectors
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from bedrock_stream.local.invocation import Done, InvocationError
from bedrock_stream.local.sandbox_environment import dying_with_parent, exit_status
from bedrock_stream.protocol.runtime_api import InvocationState

if TYPE_CHECKING:
    from bedrock_stream.local.deployment import Function
    from bedrock_stream.local.lambda_service import ServiceInvocation
    from bedrock_stream.local.runtime_api import RuntimeAPIServer
    from bedrock_stream.local.sandbox_environment import Bootstrap

__all__ = ["INIT_TIMEOUT", "SNAPSHOT_INIT_TIMEOUT", "Forker", "Sandbox"]

INIT_TIMEOUT = 10.0
"""Lambda's limit, in seconds, on a function's init: until the runtime's first ``/next``."""
SNAPSHOT_INIT_TIMEOUT = 130.0
"""Lambda's limit, in seconds, on a SnapStart version's init (its before-snapshot hooks
included) when the function's own timeout is shorter."""

_SLICE = 0.05
_DRAIN = 1.0  # seconds the reader goes on reading, at most, once the process has ended
_CHUNK = 65536

_Reply = queue.Queue["subprocess.Popen[bytes] | Exception"]
_Request = tuple[list[str], Path, dict[str, str], _Reply]


class Forker:
    """A thread that starts every function process and lives as long as the pool.

    Linux sends a process's parent-death signal when the thread that forked it ends, and
    the threads that call :meth:`LambdaService.invoke
    <bedrock_stream.local.lambda_service.LambdaService.invoke>` come and go with their
    requests.
    """

    def __init__(self) -> None:
        self._requests: queue.Queue[_Request | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="lambda-forker", daemon=True)
        self._thread.start()

    def start(self, command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Start a function process from this thread; raise what ``Popen`` raises."""
        reply: _Reply = queue.Queue(1)
        self._requests.put((command, cwd, env, reply))
        started = reply.get()
        if isinstance(started, Exception):
            raise started
        return started

    def close(self) -> None:
        """End the thread, once no process it started is left."""
        self._requests.put(None)
        self._thread.join()

    def _run(self) -> None:
        preexec = dying_with_parent()
        while (request := self._requests.get()) is not None:
            command, cwd, env, reply = request
            try:
                reply.put(
                    subprocess.Popen(
                        command,
                        cwd=cwd,
                        env=env,
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT,  # one pipe: their order is kept
                        start_new_session=True,  # its own group: killed whole, deaf to Ctrl-C
                        preexec_fn=preexec,
                    )
                )
            except Exception as exc:  # raised again in the caller's thread
                reply.put(exc)


def _error(error_type: str, request_id: str, message: str) -> InvocationError:
    """Build an error in Lambda's shape, for what the Runtime API cannot report itself."""
    body = {"errorType": error_type, "errorMessage": f"RequestId: {request_id} Error: {message}"}
    return InvocationError(error_type, json.dumps(body).encode())


class Sandbox:
    """One execution environment: a runtime process, its Runtime API and its two threads.

    Args:
        function: the function it runs.
        api: its Runtime API, started; closed when the sandbox ends.
        bootstrap: what ``command`` starts.
        command: the process's command line, bootstrap first.
        environment: the process's whole environment.
        forker: starts the process.
        log: receives the process's output and the sandbox's messages, one line at a time,
            prefixed with ``[function name]``.
        close_on_disconnect: close a detached invocation's stream and retire the sandbox,
            rather than let the function run to completion.
        on_idle: called when the runtime has answered and the sandbox can take another
            invocation (before the invoker sees ``Done``).
        on_retired: called when the sandbox goes out of service (it may be called more
            than once); it is not to be reused.
        on_gone: called once, last, when its process and threads have ended.

    Raises:
        OSError: the process could not be started.
    """

    def __init__(
        self,
        function: Function,
        api: RuntimeAPIServer,
        bootstrap: Bootstrap,
        command: list[str],
        environment: dict[str, str],
        *,
        forker: Forker,
        log: Callable[[str], None],
        close_on_disconnect: bool,
        on_idle: Callable[[Sandbox], None],
        on_retired: Callable[[Sandbox], None],
        on_gone: Callable[[Sandbox], None],
    ) -> None:
        self.function = function
        self.api = api
        self.bootstrap = bootstrap
        self._log = log
        self._close_on_disconnect = close_on_disconnect
        self._on_idle = on_idle
        self._on_retired = on_retired
        self._on_gone = on_gone
        self.process = forker.start(command, function.code_dir, environment)
        self.log(f"process {self.process.pid} started ({bootstrap}): {shlex.join(command)}")
        self._ended_r, self._ended_w = os.pipe()  # closed by the supervisor once it has ended
        self._jobs: queue.Queue[ServiceInvocation | None] = queue.Queue()
        self._cut = False  # the current invocation's stream was closed on disconnect
        self._reader = threading.Thread(target=self._read, name=f"{function.name}-output")
        self._supervisor = threading.Thread(target=self._supervise, name=function.name)
        self._reader.start()
        self._supervisor.start()

    def log(self, line: str) -> None:
        """Log ``line``, prefixed with the function's name."""
        self._log(f"[{self.function.name}] {line}")

    @property
    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.process.poll() is None

    def submit(self, job: ServiceInvocation) -> None:
        """Queue an invocation made with :meth:`job_done` as its ``on_done``.

        The runtime takes it at its next ``/next``.
        """
        self._jobs.put(job)
        self.api.submit(job)

    def job_done(self, job: ServiceInvocation, done: Done) -> None:
        """Handle an invocation's ``Done`` as it is emitted, before the invoker sees it."""
        if job.broken:
            # Not an answer: the process is dying, though it can still look alive for a
            # moment after its socket closed. Out of service now, so that it is never
            # reused and the next call may start a fresh one; the supervisor ends it.
            self._on_retired(self)
        elif not self._cut and job.state is InvocationState.DONE and self.alive:
            # The runtime answered: idle again before the invoker's next call looks.
            self._on_idle(self)
        if job.detached:
            self.log(f"{job.request_id} finished after its client went away: {done.status}")

    def stop(self) -> None:
        """End the process; the supervisor then fails its invocation, if any, and shuts down."""
        self._jobs.put(None)
        self._kill()

    def join(self) -> None:
        """Wait for the supervisor, so the whole sandbox, to end."""
        self._supervisor.join()

    # -- the supervisor thread ----------------------------------------------------------

    def _supervise(self) -> None:
        try:
            while True:
                job = self._jobs.get()
                if job is None or not self._serve(job):
                    return
        finally:
            self._shut_down()

    def _shut_down(self) -> None:
        """Retire, kill, wait for the process, close the Runtime API and the output."""
        self._on_retired(self)
        self._kill()
        status = self.process.wait()
        os.close(self._ended_w)
        self.api.close()
        self._reader.join()
        self._close_output()
        self.log(f"process {self.process.pid} ended ({exit_status(status)})")
        self._on_gone(self)

    def _close_output(self) -> None:
        """Close what carries output besides the pipe, once the process has ended."""

    def _serve(self, job: ServiceInvocation) -> bool:
        """Watch one invocation until it ends; return whether the sandbox stays warm.

        The Runtime API emits the invocation's events itself; this thread only checks,
        every 50 ms, what nothing signals: the move from init to the function's own
        timeout, the deadline, the process's exit, and a client that left.
        """
        init = INIT_TIMEOUT
        if self.function.snap_start:
            init = max(SNAPSHOT_INIT_TIMEOUT, float(self.function.timeout))
        deadline = time.monotonic() + init
        limit = f"Init timed out after {init:.2f} seconds"
        initializing = True
        self._cut = False
        while not job.wait_ended(_SLICE):
            if initializing and job.state is not InvocationState.QUEUED:
                initializing = False
                deadline = time.monotonic() + self.function.timeout
                limit = f"Task timed out after {self.function.timeout:.2f} seconds"
            if job.detached and self._close_on_disconnect and not self._cut:
                self._cut = True
                self._on_retired(self)
                self.log(f"{job.request_id}: the client went away, the stream is closed")
                self.api.close()  # after the log line: closing ends the invocation
            if job.state is InvocationState.DONE:
                continue  # the Runtime API is ending it
            if time.monotonic() >= deadline:
                self._fail(job, _error("Sandbox.Timedout", job.request_id, limit))
                return False
            failure = self._failure(job.request_id)
            if failure is not None:
                self._fail(job, failure)
                return False
        return not self._cut and not job.broken and self.alive

    def _failure(self, request_id: str) -> InvocationError | None:
        """Return the init error the runtime posted, else its exit, if either happened."""
        status = self.process.poll()  # first: a runtime posts its init error, then exits
        with contextlib.suppress(TimeoutError):
            error = self.api.init_error(timeout=0)
            return InvocationError(error.error_type, error.body)
        if status is None:
            return None
        return _error(
            "Runtime.ExitError", request_id, f"Runtime exited with error: {exit_status(status)}"
        )

    def _fail(self, job: ServiceInvocation, error: InvocationError) -> None:
        self._on_retired(self)
        self._kill()
        self.log(f"{job.request_id} failed: {error.error_type}")
        job.fail(error)

    def _kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.kill()  # were it to have left its group

    # -- the reader thread ------------------------------------------------------------------

    def _read(self) -> None:
        """Log the output line by line until EOF, or until the process ended and it is read."""
        output = self.process.stdout
        assert output is not None
        rest = b""
        with output, open(self._ended_r, "rb"):
            for chunk in self._chunks(output.fileno()):
                *lines, rest = (rest + chunk).split(b"\n")
                for line in lines:
                    self._log_output(line)
        if rest:
            self._log_output(rest)

    def _chunks(self, fd: int) -> Iterator[bytes]:
        """Yield what ``fd`` gives until EOF or, once the process ended, nothing is waiting.

        Reading stops :data:`_DRAIN` seconds after the end, at the latest: a daemon the
        function left behind holds the pipe open and may write to it for ever.
        """
        deadline: float | None = None  # set once the process has ended
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            selector.register(self._ended_r, selectors.EVENT_READ)
            while deadline is None or time.monotonic() < deadline:
                ready = {key.fd for key, _ in selector.select(None if deadline is None else 0)}
                if self._ended_r in ready:
                    selector.unregister(self._ended_r)
                    deadline = time.monotonic() + _DRAIN
                elif fd not in ready or not (chunk := os.read(fd, _CHUNK)):
                    return
                else:
                    yield chunk

    def _log_output(self, line: bytes) -> None:
        # A runtime writes a multi-line record as one line, its line feeds turned into CR
        # (so that CloudWatch keeps it one event): shown here line by line, as CloudWatch does.
        for part in line.decode("utf-8", "replace").rstrip("\r").split("\r"):
            self.log(part)
