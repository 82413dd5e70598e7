"""The local Lambda service: a pool of warm sandboxes per function, and the invoke path.

A function runs in execution environments (:class:`~bedrock_stream.local.sandbox.Sandbox`):
one OS process each, serving one invocation at a time through its own
:class:`~bedrock_stream.local.runtime_api.RuntimeAPIServer`. A sandbox stays warm between
invocations; a function scales out to ``concurrency`` sandboxes, beyond which
:meth:`LambdaService.invoke` raises :class:`~bedrock_stream.local.invoker.TooManyRequests`.
An invocation (:class:`ServiceInvocation`) yields the Runtime API's events; what the Runtime
API cannot see (a timeout, a crash, a failed init) its sandbox reports as Lambda reports it,
an :class:`~bedrock_stream.local.invocation.InvocationError` then ``Done("failure")``. A
sandbox that failed so, or whose runtime broke off mid-response, is retired: the next
invocation starts a fresh process.

Processes start as on Lambda's managed runtimes, whose bootstrap is a ``/bin/sh``
script: :data:`MANAGED_BOOTSTRAP`, written to a temporary directory (the local
``LAMBDA_RUNTIME_DIR``), with the environment :func:`lambda_environment` builds
(:mod:`bedrock_stream.local.sandbox_environment`). A Python function's command line is
``<python> -m awslambdaric <handler>`` under an exec wrapper or where awslambdaric is
installed (Linux), else ``<python> -m bedrock_stream.runtime --buffered <handler>``, buffered
like the managed runtime; the code directory comes first on ``PYTHONPATH``. A Node.js
function's is ``<node> <aws-lambda-ric>/index.mjs <handler>``, AWS's own runtime client,
found as :mod:`bedrock_stream.local.runtimes` says; any other runtime is refused when the
service is made.

A SnapStart function's process gets its credentials from the service's
:class:`~bedrock_stream.local.container_credentials.ContainerCredentials` endpoint.

A Lambda Managed Instances function (:attr:`Function.max_concurrency
<bedrock_stream.local.deployment.Function.max_concurrency>`, or every function when the
service is given ``max_concurrency``) runs in one environment
(:class:`~bedrock_stream.local.slots.ManagedSandbox`): one process tree serving up to that
many invocations at once, through a
:class:`~bedrock_stream.local.managed_runtime_api.ManagedRuntimeAPI`; an invocation beyond
its busy slots is refused at once (``TooManyRequests``), not queued, and there is no
scale-out to a second environment (Managed Instances provisions ahead of traffic).

Function processes never outlive the service: :meth:`LambdaService.close` kills each one's
process group, and on Linux each dies with the service even on ``kill -9`` (a parent-death
signal; every process is started from one thread that lives as long as the service). The
``LAMBDA_RUNTIME_DIR`` is named for the service's pid: a new service removes those of dead
processes, and never another live one's. POSIX only; on Windows, use WSL.
"""

from __future__ import annotations

import base64
import importlib.util
import itertools
import json
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from bedrock_stream.local.container_credentials import ContainerCredentials
from bedrock_stream.local.deployment import ACCOUNT
from bedrock_stream.local.invoker import TooManyRequests
from bedrock_stream.local.managed_runtime_api import ManagedRuntimeAPI
from bedrock_stream.local.runtime_api import RuntimeAPIServer
from bedrock_stream.local.runtimes import family, find_node_client
from bedrock_stream.local.sandbox import INIT_TIMEOUT as INIT_TIMEOUT
from bedrock_stream.local.sandbox import Forker, Sandbox
from bedrock_stream.local.sandbox_environment import (
    DUMMY_CREDENTIALS,
    make_runtime_dir,
    runtime_command,
)
from bedrock_stream.local.sandbox_environment import MANAGED_BOOTSTRAP as MANAGED_BOOTSTRAP
from bedrock_stream.local.sandbox_environment import Bootstrap as Bootstrap
from bedrock_stream.local.sandbox_environment import lambda_environment as lambda_environment
from bedrock_stream.local.service_invocation import ServiceInvocation as ServiceInvocation
from bedrock_stream.local.slots import ManagedSandbox

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

_logger = logging.getLogger(__name__)


class LambdaService:
    """Runs a template's functions locally, each invocation in a process of its own function.

    A process takes the service's settings when it starts: changing an attribute below
    afterwards reaches only the processes started after the change.

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
        node_ric: where AWS's Node.js runtime client is installed, for ``nodejs*``
            functions (:func:`~bedrock_stream.local.runtimes.find_node_client`).
        max_concurrency: run every function as on Lambda Managed Instances, this many
            invocations at once in one environment, over the template's
            ``PerExecutionEnvironmentMaxConcurrency``; default: as the template says.

    Raises:
        RuntimeUnavailable: a function's runtime is not supported, or a Node.js function
            has no runtime client (:class:`~bedrock_stream.local.runtimes.RuntimeUnavailable`).
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
        node_ric: str | os.PathLike[str] | None = None,
        max_concurrency: int | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {concurrency}")
        if max_concurrency is not None and max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, not {max_concurrency}")
        self.max_concurrency = max_concurrency
        self._node = find_node_client(functions.values(), node_ric)
        self.functions = dict(functions)
        self.region = region
        self.concurrency = concurrency
        self.credentials = credentials
        self.extra_environment = dict(extra_environment or {})
        self.close_on_disconnect = close_on_disconnect
        self.bandwidth = bandwidth
        self.log = log or _logger.info
        self._ric = importlib.util.find_spec("awslambdaric") is not None
        self._runtime_dir = make_runtime_dir()
        self._bootstrap = self._runtime_dir / "bootstrap"
        self._bootstrap.write_text(MANAGED_BOOTSTRAP)
        self._bootstrap.chmod(0o755)
        self._lock = threading.Lock()
        self._closed = False
        # Sandboxes by Function.name, which need not be the function's key in ``functions``.
        self._idle: dict[str, list[Sandbox]] = {f.name: [] for f in self.functions.values()}
        self._live: dict[str, set[Sandbox]] = {f.name: set() for f in self.functions.values()}
        self._sandboxes: set[Sandbox] = set()  # every sandbox not yet shut down
        self._forker = Forker()
        self._container: ContainerCredentials | None = None  # started for a SnapStart function
        self._sockets = itertools.count()  # names of Managed Instances' log sockets

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
            TooManyRequests: the function's ``concurrency`` processes are all busy (a
                Managed Instances function: its environment's slots are).
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
            slots = self._slots(spec)
            sandbox = self._take(spec.name) if slots is None else self._managed(spec, slots)
            if sandbox is None:
                if len(self._live[spec.name]) >= self.concurrency:
                    raise TooManyRequests(
                        f"Rate Exceeded: {function} has {self.concurrency} invocations running"
                    )
                sandbox = self._spawn(spec)
                self._live[spec.name].add(sandbox)
                self._sandboxes.add(sandbox)
            # Under the lock: close() cannot stop the sandbox before the job is queued.
            return self._submit(sandbox, payload, streaming=streaming, client_context=context)

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
        if self._container is not None:
            self._container.close()
        shutil.rmtree(self._runtime_dir, ignore_errors=True)

    def __enter__(self) -> LambdaService:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- sandboxes ------------------------------------------------------------------------

    def _slots(self, function: Function) -> int | None:
        """Return the invocations one environment of ``function`` serves at once, if many."""
        return (
            self.max_concurrency if self.max_concurrency is not None else function.max_concurrency
        )

    def _managed(self, function: Function, slots: int) -> ManagedSandbox | None:
        """Return the environment of a Managed Instances function with a free slot (lock held).

        None when it has none yet (or it was retired); TooManyRequests when all are busy.
        """
        for sandbox in list(self._live[function.name]):
            if not isinstance(sandbox, ManagedSandbox) or not sandbox.alive:
                self._live[function.name].discard(sandbox)  # exited; its supervisor ends it
                continue
            if sandbox.busy >= slots:
                raise TooManyRequests(
                    f"Rate Exceeded: {function.name} has {slots} invocations running in"
                    " its execution environment (Runtime.Unavailable)"
                )
            return sandbox
        return None

    def _spawn(self, function: Function) -> Sandbox:
        """Start a process for ``function``: single-slot, or multi-concurrent (lock held)."""
        arn = f"arn:aws:lambda:{self.region}:{ACCOUNT}:function:{function.name}"
        slots = self._slots(function)
        container = None
        if function.snap_start:
            if self._container is None:
                credentials = self.credentials or DUMMY_CREDENTIALS
                self._container = ContainerCredentials(credentials).start()
            container = self._container.environment()
        api: RuntimeAPIServer
        managed = None  # a multi-concurrent environment's API, slots and log provider socket
        if slots is None:
            api = RuntimeAPIServer(function_arn=arn, bandwidth=self.bandwidth).start()
        else:
            managed_api = ManagedRuntimeAPI(function_arn=arn, bandwidth=self.bandwidth)
            managed_api.start()
            # The log provider's socket path is kept short: AF_UNIX's limit.
            socket = self._runtime_dir / f"{next(self._sockets)}.sock"
            api, managed = managed_api, (managed_api, slots, socket)
        environment = lambda_environment(
            function,
            region=self.region,
            runtime_api=api.address,
            runtime_dir=str(self._runtime_dir),
            credentials=self.credentials,
            extra=self.extra_environment,
            container_credentials=container,
            max_concurrency=slots,
            log_socket=None if managed is None else str(managed[2]),
        )
        node = self._node if family(function) == "nodejs" else None
        bootstrap, command = runtime_command(environment, function.handler, self._ric, node=node)
        argv = [str(self._bootstrap), *command]
        try:
            if managed is None:
                return Sandbox(
                    function,
                    api,
                    bootstrap,
                    argv,
                    environment,
                    forker=self._forker,
                    log=self.log,
                    close_on_disconnect=self.close_on_disconnect,
                    on_idle=self._release,
                    on_retired=self._discard,
                    on_gone=self._forget,
                )
            managed_api, slots, socket = managed
            return ManagedSandbox(
                function,
                managed_api,
                bootstrap,
                argv,
                environment,
                max_concurrency=slots,
                log_socket=socket,
                forker=self._forker,
                log=self.log,
                close_on_disconnect=self.close_on_disconnect,
                on_retired=self._discard,
                on_gone=self._forget,
            )
        except OSError:
            api.close()
            raise

    def _submit(
        self,
        sandbox: Sandbox,
        payload: bytes,
        *,
        streaming: bool,
        client_context: Mapping[str, Any] | None,
    ) -> ServiceInvocation:
        """Queue an invocation in ``sandbox``; its runtime takes it at its next ``/next``."""
        job = ServiceInvocation(
            payload,
            request_id=str(uuid.uuid4()),
            timeout_ms=sandbox.function.timeout * 1000,
            function_arn=sandbox.api.function_arn,
            streaming=streaming,
            client_context=None if client_context is None else json.dumps(client_context),
            function=sandbox.function.name,
            pid=sandbox.process.pid,
            bootstrap=sandbox.bootstrap,
            on_done=sandbox.job_done,
        )
        sandbox.submit(job)
        return job

    def _take(self, function: str) -> Sandbox | None:
        """Return the most recently used idle process of ``function`` (lock held)."""
        idle = self._idle[function]
        while idle:
            sandbox = idle.pop()
            if sandbox.alive:
                return sandbox
            self._live[function].discard(sandbox)  # exited while idle
            sandbox.stop()
        return None

    def _release(self, sandbox: Sandbox) -> None:
        """Make ``sandbox`` idle again, ready for the next invocation."""
        with self._lock:
            if not self._closed and sandbox in self._live[sandbox.function.name]:
                self._idle[sandbox.function.name].append(sandbox)

    def _discard(self, sandbox: Sandbox) -> None:
        """Take ``sandbox`` out of service: it no longer counts against the concurrency."""
        name = sandbox.function.name
        with self._lock:
            self._live[name].discard(sandbox)
            if sandbox in self._idle[name]:
                self._idle[name].remove(sandbox)

    def _forget(self, sandbox: Sandbox) -> None:
        """Drop ``sandbox`` once its process and threads are gone."""
        with self._lock:
            self._sandboxes.discard(sandbox)
