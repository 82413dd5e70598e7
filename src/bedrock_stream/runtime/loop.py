"""The runtime loop: init, then ``/next`` -> handler -> response, for the life of the process.

One process serves one invocation at a time. With ``AWS_LAMBDA_MAX_CONCURRENCY`` set (Lambda
Managed Instances) :func:`run` hands over to :mod:`.managed`, whose forked workers each run
this same init (:func:`init_runtime`) and loop on their own Runtime API connection.
"""

from __future__ import annotations

import os
import sys
import time

from bedrock_stream.protocol.runtime_api import MAX_CONCURRENCY
from bedrock_stream.runtime import logs
from bedrock_stream.runtime.client import NextInvocation, RuntimeAPI, RuntimeAPIError
from bedrock_stream.runtime.context import LambdaContext
from bedrock_stream.runtime.diagnostic import Fault, error_trailers, from_exception, to_body
from bedrock_stream.runtime.marshal import (
    MarshalError,
    UnmarshalError,
    marshal_response,
    unmarshal_request,
)
from bedrock_stream.runtime.sigterm import Sigterm
from bedrock_stream.runtime.stream import StreamingSink
from bedrock_stream.sink import attach_sink, detach_sink

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: the cold path does not import typing
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, NoReturn

    Handler = Callable[[Any, Any], Any]

__all__ = ["MAX_CONCURRENCY", "Runtime", "connect_api", "init_failed", "init_runtime", "run"]

_NEXT_ATTEMPTS = 5
"""Tries of a failed ``/next`` in a worker (awslambdaric's multi-concurrent client)."""
_NEXT_BACKOFF = 0.1


def _log(message: str) -> None:
    logs.write(f"[bedrock-stream] {message}\n")


class Runtime:
    """Serves invocations from ``api`` with ``handler``.

    Args:
        api: the Runtime API client.
        handler: the user's ``handler(event, context)``.
        streaming: attach a :class:`StreamingSink` to each invocation (off under
            ``sam local``, whose emulator buffers: handlers then return buffered responses).
        deadline_guard: seconds before the deadline at which a stream is cut short (0: off).
        next_attempts: tries of a failed ``/next`` (backoff from 0.1 s, doubling) before
            the process exits 1.
        sigterm: the process's SIGTERM, held while an invocation runs (see :mod:`.sigterm`).
    """

    def __init__(
        self,
        api: RuntimeAPI,
        handler: Handler,
        *,
        streaming: bool = True,
        deadline_guard: float = 0,
        next_attempts: int = 1,
        sigterm: Sigterm | None = None,
    ) -> None:
        self.api = api
        self.handler = handler
        self.streaming = streaming
        self.deadline_guard = deadline_guard
        self.next_attempts = next_attempts
        self.sigterm = Sigterm() if sigterm is None else sigterm

    def serve_forever(self, serving: Callable[[str], None] | None = None) -> NoReturn:
        """Serve invocations until the Runtime API goes away (then exit).

        ``serving`` is told each invocation's request id before the handler runs, and
        ``""`` once it is answered. A SIGTERM that came meanwhile then ends the process.
        """
        while True:
            invocation = self._next()
            self.sigterm.begin()
            if serving is not None:
                serving(invocation.request_id)
            self.invoke(invocation)
            if serving is not None:
                serving("")
            if self.sigterm.end():
                _log(f"SIGTERM: ending, invocation {invocation.request_id} answered")
                self.sigterm.stop()

    def _next(self) -> NextInvocation:
        delay = _NEXT_BACKOFF
        for attempt in range(1, self.next_attempts + 1):
            try:
                return self.api.next()
            except RuntimeAPIError as exc:
                if attempt == self.next_attempts:
                    _log(f"FATAL: {exc}")
                    sys.exit(1)
                _log(f"WARNING: {exc}; trying /next again in {delay:.1f} s")
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def invoke(self, invocation: NextInvocation) -> None:
        """Run the handler for one invocation and report its outcome; never raises."""
        request_id = invocation.request_id
        logs.current_request(request_id, invocation.tenant_id)
        if invocation.trace_id is not None:
            os.environ["_X_AMZN_TRACE_ID"] = invocation.trace_id
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        sink: StreamingSink | None = None
        if self.streaming:
            guard_at = None
            if self.deadline_guard > 0:
                guard_at = invocation.deadline_ms - int(self.deadline_guard * 1000)
            sink = StreamingSink(self.api, request_id, invocation.deadline_ms, guard_at)
        token = attach_sink(sink)
        try:
            self._run(invocation, sink)
        except RuntimeAPIError as exc:
            _log(f"ERROR: invocation {request_id}: {exc}")
        finally:
            detach_sink(token)
            if sink is not None:
                sink.close()

    def _run(self, invocation: NextInvocation, sink: StreamingSink | None) -> None:
        request_id = invocation.request_id
        try:
            context = _context(invocation)
            event = unmarshal_request(invocation.body, invocation.content_type)
            result = self.handler(event, context)
            if hasattr(result, "__await__"):
                from bedrock_stream import _aio

                result = _aio.run(result)
        except Exception as exc:
            self._failed(request_id, sink, exc)
            return
        if sink is not None and sink.started:
            self._finish(sink)
            return
        if sink is not None:
            sink.close()  # from now on, a write from a thread the handler left raises
        try:
            body, content_type = marshal_response(result)
        except MarshalError as exc:
            self._post_error(request_id, Fault("Runtime.MarshalError", str(exc)))
            return
        self.api.post_response(request_id, body, content_type)

    def _failed(self, request_id: str, sink: StreamingSink | None, exc: Exception) -> None:
        from bedrock_stream.errors import MidStreamError

        if isinstance(exc, RuntimeAPIError):
            raise exc  # the connection is gone: logged by invoke()
        if sink is None or not sink.sent_head:
            # Nothing is on the wire yet: /error, exactly like awslambdaric.
            if sink is not None:
                sink.close()  # from now on, a write from a thread the handler left raises
            self._post_error(request_id, exc)
            return
        original: BaseException = exc.error if isinstance(exc, MidStreamError) else exc
        error, _ = from_exception(original, request_id)
        logs.log_error(error.to_object())
        self._finish(sink, error_trailers(error))

    def _finish(self, sink: StreamingSink, trailers: list[tuple[str, str]] | None = None) -> None:
        status = sink.finish(trailers)
        if status != 202:
            _log(f"ERROR: the Runtime API answered {status} to streamed response {sink.request_id}")

    def _post_error(self, request_id: str, exc: BaseException) -> None:
        if isinstance(exc, UnmarshalError):
            exc = Fault("Runtime.UnmarshalError", str(exc))
        error, xray = from_exception(exc, request_id)
        logs.log_error(error.to_object())
        self.api.post_error(request_id, to_body(error), error.type_field(), xray)


def _context(invocation: NextInvocation) -> LambdaContext:
    import json

    def parse(text: str | None, what: str) -> Any:
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError as exc:
            raise Fault(
                "Runtime.LambdaContextUnmarshalError", f"Unable to parse {what} JSON: {exc}"
            ) from None

    return LambdaContext(
        invocation.request_id,
        invocation.deadline_ms,
        invocation.function_arn,
        parse(invocation.client_context, "Client Context"),
        parse(invocation.cognito_identity, "Cognito Identity"),
        invocation.tenant_id,
    )


def init_failed(api: RuntimeAPI, exc: BaseException, *, worker: bool = False) -> NoReturn:
    """Log and post ``/init/error``, then exit 1; in a worker a 403 means another one posted."""
    error, _ = from_exception(exc)
    _log("WARNING: the function failed to initialize (unhandled exception during init)")
    logs.log_error(error.to_object())
    try:
        api.post_init_error(to_body(error), error.type_field())
    except RuntimeAPIError as post_exc:
        if worker and post_exc.status == 403:  # another worker's report, or init is over
            _log("the init error was not taken (403): already reported, or the environment serves")
        else:
            _log(f"FATAL: {post_exc}")
    sys.exit(1)


def _prime() -> None:
    """Prepare the Bedrock layer at init, if the handler imported it; a failure is only logged.

    ``bedrock_stream.bedrock.prime()`` creates the client the first call would (the built-in
    transport opens no connection and reads no credentials there), so init, not the first
    invocation, pays for it, and a SnapStart snapshot holds it. A handler that never
    imported the layer imports nothing more here.
    """
    prime = getattr(sys.modules.get("bedrock_stream.bedrock"), "prime", None)
    if prime is None:
        return
    try:
        prime()
    except Exception as exc:
        _log(f"WARNING: bedrock_stream.bedrock.prime() failed, the first call will pay: {exc!r}")


def _snapstart(api: RuntimeAPI) -> None:
    """SnapStart: run before-snapshot hooks, wait for the restore, run after-restore hooks."""
    import importlib

    before: list[Any] = []
    after: list[Any] = []
    try:
        hooks = importlib.import_module("snapshot_restore_py")  # preinstalled on managed runtimes
    except ImportError:
        pass
    else:
        before, after = hooks.get_before_snapshot(), hooks.get_after_restore()
    try:
        while before:
            func, args, kwargs = before.pop()  # reverse order of registration
            func(*args, **kwargs)
        api.restore_next()
    except Exception as exc:
        error, _ = from_exception(exc)
        logs.log_error(error.to_object())
        api.post_init_error(to_body(error), "Runtime.BeforeSnapshotError")
        sys.exit(64)
    try:
        for func, args, kwargs in after:
            func(*args, **kwargs)
    except Exception as exc:
        error, _ = from_exception(exc)
        logs.log_error(error.to_object())
        api.post_restore_error(to_body(error), "Runtime.AfterRestoreError")
        sys.exit(65)


def connect_api(env: Mapping[str, str]) -> RuntimeAPI:
    """Return a client connected to ``AWS_LAMBDA_RUNTIME_API``; exit 1 if it is not there."""
    address = env.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        _log("FATAL: AWS_LAMBDA_RUNTIME_API is not set: not running inside Lambda?")
        sys.exit(1)
    api = RuntimeAPI(address)
    try:
        api.wait_until_up()
    except RuntimeAPIError as exc:
        _log(f"FATAL: {exc}")
        sys.exit(1)
    return api


def init_runtime(
    api: RuntimeAPI,
    handler: str | None,
    streaming: bool | None,
    deadline_guard: float | None,
    env: Mapping[str, str],
    *,
    worker: bool = False,
) -> Runtime:
    """Load the handler and prepare it (``prime()``, SnapStart); exit 1 if that fails."""
    name = handler or env.get("_HANDLER") or ""
    sigterm = Sigterm()
    sigterm.install()  # before the handler's import: its shutdown work registers with it
    try:
        from bedrock_stream.runtime.loader import load_handler, prepare_path

        prepare_path(env)
        function = load_handler(name)
        from bedrock_stream.settings import DEADLINE_GUARD

        guard = DEADLINE_GUARD.resolve(deadline_guard, env)
    except Exception as exc:
        init_failed(api, exc, worker=worker)
    # Before the user's before-snapshot hooks, not one of them: they run last-registered
    # first, so a hook registered at import would run before it; and a failed hook fails the
    # init, which a failed prime() must not.
    _prime()
    if env.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start":
        _snapstart(api)
    if streaming is None:
        streaming = (env.get("AWS_SAM_LOCAL") or "").lower() != "true"
        if not streaming:
            _log("AWS_SAM_LOCAL=true: responses are buffered (the SAM emulator cannot stream)")
    elif not streaming:
        _log("buffered mode: responses are buffered, as without the exec wrapper")
    attempts = _NEXT_ATTEMPTS if worker else 1
    return Runtime(
        api,
        function,
        streaming=streaming,
        deadline_guard=guard,
        next_attempts=attempts,
        sigterm=sigterm,
    )


def run(
    handler: str | None = None,
    *,
    streaming: bool | None = None,
    deadline_guard: float | None = None,
    environ: Mapping[str, str] | None = None,
) -> NoReturn:
    """Run the streaming Lambda runtime: load the handler, then serve invocations forever.

    With ``AWS_LAMBDA_MAX_CONCURRENCY`` set (not empty), fork that many workers first, each
    of which loads the handler and serves one invocation at a time (see :mod:`.managed`).

    Args:
        handler: ``module.function`` (or ``dir/module.function``); default ``_HANDLER``.
        streaming: False posts buffered responses, as the managed runtime does without the
            wrapper; default: stream, except under ``sam local`` (``AWS_SAM_LOCAL=true``).
        deadline_guard: seconds before the deadline at which a stream is cut short;
            default ``BEDROCK_STREAM_DEADLINE_GUARD``, else off.
        environ: the environment to read (default ``os.environ``).
    """
    env = os.environ if environ is None else environ
    logs.setup(dict(env))
    api = connect_api(env)
    concurrency = env.get(MAX_CONCURRENCY)
    if concurrency:
        from bedrock_stream.runtime.managed import run_managed

        run_managed(api, concurrency, handler, streaming, deadline_guard, env)
    init_runtime(api, handler, streaming, deadline_guard, env).serve_forever()
