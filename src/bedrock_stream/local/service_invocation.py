"""An invocation of the local Lambda service, as its sandbox and its invoker see it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bedrock_stream.local.invocation import (
    TRUNCATED_RESPONSE,
    Done,
    Event,
    InvocationError,
    InvocationRecord,
)
from bedrock_stream.local.sandbox_environment import new_trace_id

if TYPE_CHECKING:
    from bedrock_stream.local.sandbox_environment import Bootstrap

__all__ = ["ServiceInvocation"]


class ServiceInvocation(InvocationRecord):
    """An invocation started by :meth:`LambdaService.invoke`.

    Its events (:meth:`next_event`, :meth:`events`, :meth:`result`) are those of
    :class:`~bedrock_stream.local.invocation.InvocationRecord` (and follow its rules),
    ending with ``Done`` whatever happens to the process: the Runtime API emits them
    straight into it (no relay thread), and the sandbox's supervisor adds the failures the
    Runtime API cannot see.
    A detached invocation's function runs to completion, as on AWS, its end logged, unless
    the service was made with ``close_on_disconnect``: then its response stream is closed
    (the runtime's connection is reset) and its sandbox retired.
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
            trace_id=new_trace_id(),
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
