"""The local Lambda service: each function in its own processes, started as Lambda starts them.

A function runs in execution environments ("sandboxes"): one OS process each, serving one
invocation at a time through its own :class:`~bedrock_stream.local.runtime_api.RuntimeAPIServer`.
A sandbox stays warm between invocations; a function scales out to ``concurrency``
sandboxes, beyond which :meth:`LambdaService.invoke` raises
:class:`~bedrock_stream.local.invoker.TooManyRequests`. An invocation yields the Runtime
API's events; what the Runtime API cannot see is reported as Lambda reports it, an
:class:`~bedrock_stream.local.invocation.InvocationError` then ``Done("failure")``:

* past the function's ``Timeout`` (counted from ``/next``, as Lambda counts it; init has
  Lambda's 10 s): ``Sandbox.Timedout``, and the process is killed;
* the process exits mid-invocation: ``Runtime.ExitError`` with the exit status or signal;
* init fails: the error the runtime posted to ``/init/error`` (e.g.
  ``Runtime.ImportModuleError``), or ``Runtime.ExitError`` when it exited before ``/next``.

A sandbox that failed so is discarded: the next invocation starts a fresh process.

Processes start as on Lambda's managed Python runtime, whose bootstrap is a ``/bin/sh``
script: :data:`MANAGED_BOOTSTRAP`, written to a temporary directory (the local
``LAMBDA_RUNTIME_DIR``). A shell script rather than Python, because the wrapper's 126 and
127 exit statuses then come from a real process and reach the invoker by the same path as
any crash, and ``exec`` keeps one pid from bootstrap to runtime: the pid the service
watches and kills (with its process group). The runtime's command line is
``<python> -m awslambdaric <handler>`` under an exec wrapper or where awslambdaric is
installed (Linux), else ``<python> -m bedrock_stream.runtime --buffered <handler>``, buffered
like the managed runtime. ``<python>`` is this interpreter, so the installed packages
(boto3, bedrock_stream) are importable; the code directory comes first on ``PYTHONPATH``.

Each sandbox has two threads besides its Runtime API's: a supervisor, which relays the
runtime's events and, while none comes, checks the process, ``/next`` and the deadline
every 50 ms (nothing signals them); and a reader that passes the process's output (stdout
and stderr share one pipe, so their order is kept) line by line to ``log``, prefixed with
the function's name. The reader stops at EOF or, once the process has ended, when the pipe
is drained: a daemon the function left behind (``setsid``) may hold the pipe open for ever.

Function processes never outlive the service: :meth:`LambdaService.close` kills each one's
process group, and on Linux each dies with the service even on ``kill -9`` (a parent-death
signal; every process is started from one thread that lives as long as the service, since
Linux sends that signal when the forking *thread* ends). The ``LAMBDA_RUNTIME_DIR`` is
named for the service's pid, ``bedrock-stream-runtime-<pid>-*``: a new service removes
those of dead processes, and never another live one's. POSIX only; on Windows, use WSL.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import importlib.util
import json
import logging
import os
import queue
import re
import secrets
import selectors
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bedrock_stream.local.deployment import ACCOUNT
from bedrock_stream.local.invocation import (
    TRUNCATED_RESPONSE,
    Done,
    Event,
    InvocationError,
    InvocationRecord,
)
from bedrock_stream.local.invoker import TooManyRequests
from bedrock_stream.local.runtime_api import RuntimeAPIServer
from bedrock_stream.protocol.runtime_api import InvocationState

if TYPE_CHECKING:
    from bedrock_stream.local.bandwidth import Bandwidth
    from bedrock_stream.local.deployment import Function

__all__ = [
    "INIT_TIMEOUT",
    "MANAGED_BOOTSTRAP",
    "Bootstrap",
    "LambdaService",
    "ServiceInvocation",
    "lambda_environment",
]

MANAGED_BOOTSTRAP = """#!/bin/sh
# What Lambda's managed Python bootstrap does: "$@" is the runtime's command line,
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

INIT_TIMEOUT = 10.0
"""Lambda's limit, in seconds, on a function's init: until the runtime's first ``/next``."""

Bootstrap = Literal["exec-wrapper", "awslambdaric", "bedrock-stream-buffered"]
"""What a sandbox's bootstrap started: the function's exec wrapper, awslambdaric, or
bedrock-stream's runtime in buffered mode (where awslambdaric is not installed)."""

_SLICE = 0.05
_DRAIN = 1.0  # seconds the reader goes on reading, at most, once the process has ended
_CHUNK = 65536
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_RUNTIME_DIR = re.compile(r"bedrock-stream-runtime-(\d+)-\w+")
_TASK_ROOT = "/var/task/"
_DUMMY_CREDENTIALS = {  # AWS's documentation example keys: never valid
    "AWS_ACCESS_KEY_ID": "ASIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_SESSION_TOKEN": "local",
}
_logger = logging.getLogger(__name__)


def lambda_environment(
    function: Function,
    *,
    region: str,
    runtime_api: str,
    runtime_dir: str,
    credentials: Mapping[str, str] | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Return the environment of ``function``'s process, as Lambda builds it.

    Lambda's defaults (``PATH`` from this process, ``LANG``, ``TZ``, ``PYTHONPATH`` with
    the code directory) come first, then the function's ``Environment`` variables, then
    ``extra``, then the variables Lambda reserves, which nothing overrides. Nothing else is
    inherited: the caller's own ``AWS_*`` settings stay out. ``credentials`` default to
    dummy keys. An ``AWS_LAMBDA_EXEC_WRAPPER`` under ``/var/task/`` is mapped into the code
    directory, which is ``LAMBDA_TASK_ROOT`` here.
    """
    code_dir = str(function.code_dir)
    stream = time.strftime("%Y/%m/%d/[$LATEST]", time.gmtime()) + uuid.uuid4().hex
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PYTHONPATH": code_dir,
        **function.environment,
        **(extra or {}),
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": stream,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "LAMBDA_TASK_ROOT": code_dir,
        "LAMBDA_RUNTIME_DIR": runtime_dir,
        "_HANDLER": function.handler,
        **(_DUMMY_CREDENTIALS if credentials is None else credentials),
    }
    if function.runtime:
        env["AWS_EXECUTION_ENV"] = f"AWS_Lambda_{function.runtime}"
    wrapper = env.get("AWS_LAMBDA_EXEC_WRAPPER", "")
    if wrapper.startswith(_TASK_ROOT):
        env["AWS_LAMBDA_EXEC_WRAPPER"] = str(function.code_dir / wrapper[len(_TASK_ROOT) :])
    return env


def _runtime_command(
    environment: Mapping[str, str], handler: str, ric: bool
) -> tuple[Bootstrap, list[str]]:
    """Choose the runtime's command line, interpreter first; ``ric``: awslambdaric is here."""
    if environment.get("AWS_LAMBDA_EXEC_WRAPPER"):
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


def _error(error_type: str, request_id: str, message: str) -> InvocationError:
    """Build an error in Lambda's shape, for what the Runtime API cannot report itself."""
    body = {"errorType": error_type, "errorMessage": f"RequestId: {request_id} Error: {message}"}
    return InvocationError(error_type, json.dumps(body).encode())


def _exit_status(status: int) -> str:
    """Describe a return code as Lambda does: ``exit status 3``, ``signal: killed``."""
    if status >= 0:
        return f"exit status {status}"
    return f"signal: {(signal.strsignal(-status) or str(-status)).lower()}"


def _trace_id() -> str:
    root = f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"
    return f"Root={root};Parent={secrets.token_hex(8)};Sampled=0"


def _make_runtime_dir() -> Path:
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


def _dying_with_parent() -> Callable[[], None] | None:
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


_Reply = queue.Queue["subprocess.Popen[bytes] | Exception"]
_Request = tuple[list[str], Path, dict[str, str], _Reply]


class _Forker:
    """A thread that starts every function process and lives as long as the service.

    Linux sends a process's parent-death signal when the thread that forked it ends, and
    the threads that call :meth:`LambdaService.invoke` come and go with their requests.
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
        preexec = _dying_with_parent()
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


class ServiceInvocation(InvocationRecord):
    """An invocation started by :meth:`LambdaService.invoke`.

    Its events (:meth:`next_event`, :meth:`events`, :meth:`result`) are those of
    :class:`~bedrock_stream.local.invocation.InvocationRecord` (and follow its rules),
    ending with ``Done`` whatever happens to the process: the Runtime API emits them
    straight into it (no relay thread), and the sandbox's supervisor adds the failures the
    Runtime API cannot see.
    A detached invocation's function runs to completion, as on AWS, its end logged, unless
    the service was made with ``close_on_disconnect``: then its response stream is closed
    (the runtime's connection is reset) and its sandbox discarded.
    """

    def __init__(
        self,
        payload: bytes,
        *,
        request_id: str,
        timeout_ms: int,
        function_arn: str,
        streaming: bool,
        client_context: str | None,
        function: str,
        pid: int,
        bootstrap: Bootstrap,
        on_done: Callable[[ServiceInvocation, Done], None],
    ) -> None:
        super().__init__(
            payload,
            request_id=request_id,
            deadline_ms=int(time.time() * 1000) + timeout_ms,
            function_arn=function_arn,
            trace_id=_trace_id(),
            streaming=streaming,
            client_context=client_context,
            cognito_identity=None,
            tenant_id=None,
        )
        self.function = function
        """The function's name."""
        self.pid = pid
        """The process serving the invocation."""
        self.bootstrap = bootstrap
        """What that process's bootstrap started."""
        self._timeout_ms = timeout_ms
        self.broken = False
        """Whether the runtime's response connection broke (a crash mid-response): the
        sandbox is then reset rather than reused, as Lambda does after a runtime failure."""
        self._emitting = threading.Lock()
        self._on_done = on_done

    def next_headers(self) -> list[tuple[str, str]]:
        """Return the ``/next`` headers, the deadline counted from now.

        The function's time starts when its runtime takes the event, not while a new
        process is still initializing (init has its own limit).
        """
        self.deadline_ms = int(time.time() * 1000) + self._timeout_ms
        return super().next_headers()

    def emit(self, event: Event) -> None:
        """Record an event (from the Runtime API); ignored once the invocation has ended."""
        with self._emitting:
            self._emit(event)

    def fail(self, error: InvocationError) -> None:
        """End the invocation with ``error`` unless it has ended already."""
        with self._emitting:
            self._emit(error)
            self._emit(Done("failure"))

    def _emit(self, event: Event) -> None:
        if self.ended:  # the record ignores it too, but on_done must not run twice
            return
        if isinstance(event, InvocationError) and event.error_type == TRUNCATED_RESPONSE:
            self.broken = True
        if isinstance(event, Done):
            self._on_done(self, event)  # before the invoker sees Done: the sandbox is idle
        super().emit(event)


class _Sandbox:
    """One execution environment: a runtime process, its Runtime API and its two threads."""

    def __init__(
        self,
        service: LambdaService,
        function: Function,
        api: RuntimeAPIServer,
        bootstrap: Bootstrap,
        command: list[str],
        environment: dict[str, str],
    ) -> None:
        self.function = function
        self.api = api
        self.bootstrap = bootstrap
        self._service = service
        self.process = service._forker.start(command, function.code_dir, environment)
        self.log(f"process {self.process.pid} started ({bootstrap}): {shlex.join(command)}")
        self._ended_r, self._ended_w = os.pipe()  # closed by the supervisor once it has ended
        self._jobs: queue.Queue[ServiceInvocation | None] = queue.Queue()
        self._cut = False  # the current invocation's stream was closed on disconnect
        self._reader = threading.Thread(target=self._read, name=f"{function.name}-output")
        self._supervisor = threading.Thread(target=self._supervise, name=function.name)
        self._reader.start()
        self._supervisor.start()

    def log(self, line: str) -> None:
        self._service.log(f"[{self.function.name}] {line}")

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def submit(
        self, payload: bytes, *, streaming: bool, client_context: Mapping[str, Any] | None
    ) -> ServiceInvocation:
        """Queue an invocation; the runtime takes it at its next ``/next``."""
        job = ServiceInvocation(
            payload,
            request_id=str(uuid.uuid4()),
            timeout_ms=self.function.timeout * 1000,
            function_arn=self.api.function_arn,
            streaming=streaming,
            client_context=None if client_context is None else json.dumps(client_context),
            function=self.function.name,
            pid=self.process.pid,
            bootstrap=self.bootstrap,
            on_done=self._ended,
        )
        self._jobs.put(job)
        self.api.submit(job)
        return job

    def stop(self) -> None:
        """End the process; the supervisor then fails its invocation, if any, and shuts down."""
        self._jobs.put(None)
        self._kill()

    def join(self) -> None:
        self._supervisor.join()

    # -- the supervisor thread ----------------------------------------------------------

    def _supervise(self) -> None:
        try:
            while True:
                job = self._jobs.get()
                if job is None or not self._serve(job):
                    return
        finally:
            self._service._discard(self)
            self._kill()
            status = self.process.wait()
            os.close(self._ended_w)
            self.api.close()
            self._reader.join()
            self.log(f"process {self.process.pid} ended ({_exit_status(status)})")
            self._service._forget(self)

    def _serve(self, job: ServiceInvocation) -> bool:
        """Watch one invocation until it ends; return whether the sandbox stays warm.

        The Runtime API emits the invocation's events itself; this thread only checks,
        every 50 ms, what nothing signals: the move from init to the function's own
        timeout, the deadline, the process's exit, and a client that left.
        """
        deadline = time.monotonic() + INIT_TIMEOUT
        limit = f"Init timed out after {INIT_TIMEOUT:.2f} seconds"
        initializing = True
        self._cut = False
        while not job.wait_ended(_SLICE):
            if initializing and job.state is not InvocationState.QUEUED:
                initializing = False
                deadline = time.monotonic() + self.function.timeout
                limit = f"Task timed out after {self.function.timeout:.2f} seconds"
            if job.detached and self._service.close_on_disconnect and not self._cut:
                self._cut = True
                self._service._discard(self)
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
            "Runtime.ExitError", request_id, f"Runtime exited with error: {_exit_status(status)}"
        )

    def _fail(self, job: ServiceInvocation, error: InvocationError) -> None:
        self._service._discard(self)
        self._kill()
        self.log(f"{job.request_id} failed: {error.error_type}")
        job.fail(error)

    def _ended(self, job: ServiceInvocation, done: Done) -> None:
        """Handle ``Done`` as it is emitted, before the invoker sees it."""
        if job.broken:
            # Not an answer: the process is dying, though it can still look alive for a
            # moment after its socket closed. Out of service now, so that it is never
            # reused and the next call may start a fresh one; the supervisor ends it.
            self._service._discard(self)
        elif not self._cut and job.state is InvocationState.DONE and self.alive:
            # The runtime answered: idle again before the invoker's next call looks.
            self._service._release(self)
        if job.detached:
            self.log(f"{job.request_id} finished after its client went away: {done.status}")

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


class LambdaService:
    """Runs a template's functions locally, each invocation in a process of its own function.

    Args:
        functions: the functions by name (:attr:`Template.functions
            <bedrock_stream.local.deployment.Template.functions>`).
        region: ``AWS_REGION`` of the functions.
        concurrency: the most processes (so concurrent invocations) per function.
        credentials: ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` and, if any,
            ``AWS_SESSION_TOKEN`` for the functions; default: dummy keys.
        extra_environment: variables for every function, over its own, e.g.
            ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` for a local Bedrock.
        close_on_disconnect: when an invocation is detached, close its response stream
            rather than let the function run to completion (as AWS does).
        bandwidth: shape streamed responses, e.g. :data:`~bedrock_stream.local.bandwidth.LAMBDA`
            (6 MiB at full speed, then 2 MiB/s); off by default.
        log: receives the functions' output and the service's messages, one line at a
            time, prefixed with ``[function name]``; default: this module's logger (INFO).
    """

    def __init__(
        self,
        functions: Mapping[str, Function],
        *,
        region: str = "us-east-1",
        concurrency: int = 10,
        credentials: Mapping[str, str] | None = None,
        extra_environment: Mapping[str, str] | None = None,
        close_on_disconnect: bool = False,
        bandwidth: Bandwidth | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {concurrency}")
        self.functions = dict(functions)
        self.region = region
        self.concurrency = concurrency
        self.credentials = credentials
        self.extra_environment = dict(extra_environment or {})
        self.close_on_disconnect = close_on_disconnect
        self.bandwidth = bandwidth
        self.log = log or _logger.info
        self._ric = importlib.util.find_spec("awslambdaric") is not None
        self._runtime_dir = _make_runtime_dir()
        self._bootstrap = self._runtime_dir / "bootstrap"
        self._bootstrap.write_text(MANAGED_BOOTSTRAP)
        self._bootstrap.chmod(0o755)
        self._lock = threading.Lock()
        self._closed = False
        # Sandboxes by Function.name, which need not be the function's key in ``functions``.
        self._idle: dict[str, list[_Sandbox]] = {f.name: [] for f in self.functions.values()}
        self._live: dict[str, set[_Sandbox]] = {f.name: set() for f in self.functions.values()}
        self._sandboxes: set[_Sandbox] = set()  # every sandbox not yet shut down
        self._forker = _Forker()

    def invoke(
        self,
        function: str,
        payload: bytes,
        *,
        streaming: bool,
        client_context: str | None = None,
    ) -> ServiceInvocation:
        """Start an invocation of ``function`` in an idle process, else in a new one.

        Args:
            function: the function's name.
            payload: the event.
            streaming: ``InvokeWithResponseStream`` (its 200 MB cap) rather than ``Invoke``.
            client_context: the base64 JSON of ``X-Amz-Client-Context``.

        Raises:
            KeyError: no such function.
            ValueError: ``client_context`` is not base64 JSON.
            TooManyRequests: the function's ``concurrency`` processes are all busy.
            RuntimeError: the service is closed.
            OSError: the process could not be started.
        """
        spec = self.functions[function]
        context = None
        if client_context is not None:
            context = json.loads(base64.b64decode(client_context, validate=True))
        with self._lock:
            if self._closed:
                raise RuntimeError("the Lambda service is closed")
            sandbox = self._take(spec.name)
            if sandbox is None:
                if len(self._live[spec.name]) >= self.concurrency:
                    raise TooManyRequests(
                        f"Rate Exceeded: {function} has {self.concurrency} invocations running"
                    )
                sandbox = self._spawn(spec)
                self._live[spec.name].add(sandbox)
                self._sandboxes.add(sandbox)
            # Under the lock: close() cannot stop the sandbox before the job is queued.
            return sandbox.submit(payload, streaming=streaming, client_context=context)

    def close(self) -> None:
        """Kill every process (invocations in flight fail), join every thread."""
        with self._lock:
            self._closed = True
            sandboxes = list(self._sandboxes)
        for sandbox in sandboxes:
            sandbox.stop()
        for sandbox in sandboxes:
            sandbox.join()
        self._forker.close()
        shutil.rmtree(self._runtime_dir, ignore_errors=True)

    def __enter__(self) -> LambdaService:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- sandboxes ------------------------------------------------------------------------

    def _spawn(self, function: Function) -> _Sandbox:
        """Start a process for ``function`` (lock held)."""
        arn = f"arn:aws:lambda:{self.region}:{ACCOUNT}:function:{function.name}"
        api = RuntimeAPIServer(function_arn=arn, bandwidth=self.bandwidth).start()
        environment = lambda_environment(
            function,
            region=self.region,
            runtime_api=api.address,
            runtime_dir=str(self._runtime_dir),
            credentials=self.credentials,
            extra=self.extra_environment,
        )
        bootstrap, command = _runtime_command(environment, function.handler, self._ric)
        try:
            return _Sandbox(
                self, function, api, bootstrap, [str(self._bootstrap), *command], environment
            )
        except OSError:
            api.close()
            raise

    def _take(self, function: str) -> _Sandbox | None:
        """Return the most recently used idle process of ``function`` (lock held)."""
        idle = self._idle[function]
        while idle:
            sandbox = idle.pop()
            if sandbox.alive:
                return sandbox
            self._live[function].discard(sandbox)  # exited while idle
            sandbox.stop()
        return None

    def _release(self, sandbox: _Sandbox) -> None:
        """Make ``sandbox`` idle again, ready for the next invocation."""
        with self._lock:
            if not self._closed and sandbox in self._live[sandbox.function.name]:
                self._idle[sandbox.function.name].append(sandbox)

    def _discard(self, sandbox: _Sandbox) -> None:
        """Take ``sandbox`` out of service: it no longer counts against the concurrency."""
        name = sandbox.function.name
        with self._lock:
            self._live[name].discard(sandbox)
            if sandbox in self._idle[name]:
                self._idle[name].remove(sandbox)

    def _forget(self, sandbox: _Sandbox) -> None:
        """Drop ``sandbox`` once its process and threads are gone."""
        with self._lock:
            self._sandboxes.discard(sandbox)
