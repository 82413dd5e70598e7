"""The Runtime API of a Managed Instances environment: several invocations at once.

:class:`ManagedRuntimeAPI` is a :class:`~bedrock_stream.local.runtime_api.RuntimeAPIServer`
(which already serves concurrent ``/next`` polls, one thread per connection, each taking the
next queued invocation) with what AWS's Managed Instances RAPID adds for many workers:

* the first ``/init/error`` is taken (``202``), any later one refused ``403
  InvalidStateTransition``: every worker of a failed init reports it, and the runtime
  clients ignore that 403;
* an invocation the platform timed out (:meth:`ManagedRuntimeAPI.expire`) is forgotten; a
  late ``/response`` or ``/error`` for it is answered ``410 InvokeTimeout``, once, as
  RAPID's timeout cache does, and a response in progress is cut;
* :meth:`ManagedRuntimeAPI.cut` ends one invocation's response stream, not the API;
* there is no ``/restore/next`` (no SnapStart there): ``404``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from bedrock_stream.local.invocation import TRUNCATED_RESPONSE
from bedrock_stream.local.runtime_api import RuntimeAPIServer, _fail, _Reject
from bedrock_stream.protocol import runtime_api as names
from bedrock_stream.protocol.runtime_api import InvocationState

if TYPE_CHECKING:
    from bedrock_stream.local.bandwidth import Bandwidth
    from bedrock_stream.local.http_exchange import Exchange
    from bedrock_stream.local.invocation import InvocationRecord
    from bedrock_stream.protocol.runtime_api import Step

__all__ = ["ManagedRuntimeAPI"]


DONE = InvocationState.DONE


class ManagedRuntimeAPI(RuntimeAPIServer):
    """A Runtime API on loopback for a multi-concurrent runtime.

    Args:
        function_arn: the ARN handed out with each invocation.
        bandwidth: shape delivery to the invoker like Lambda; off by default.
    """

    def __init__(self, *, function_arn: str, bandwidth: Bandwidth | None = None) -> None:
        super().__init__(function_arn=function_arn, bandwidth=bandwidth)
        self._timed_out: set[str] = set()  # RAPID's timeout cache
        self._responding: dict[str, Exchange] = {}  # request id -> its /response
        self._init_failed = False
        self._served = False  # an invocation went out: init is over, a later init error is 403
        self._managed = threading.Lock()  # guards the four above; taken before _lock

    @property
    def overdue(self) -> int:
        """Invocations timed out or cut whose runtime has not reported on them yet."""
        with self._managed:
            return len(self._timed_out)

    def expire(self, request_id: str) -> None:
        """Forget a timed-out invocation: a late report gets ``410``, a response is cut.

        A response in progress was the runtime's report: it is cut, and no other is awaited.
        """
        with self._managed:
            exchange = self._responding.get(request_id)
            with self._lock:
                record = self._invocations.pop(request_id, None)
            if exchange is None and record is not None and record.state is not DONE:
                self._timed_out.add(request_id)  # its report, when it comes, is refused
        if exchange is not None:
            exchange.abort()

    def cut(self, invocation: InvocationRecord) -> None:
        """End ``invocation``'s response stream (its client left); the others go on.

        A response in progress is reset: the invocation ends ``Runtime.TruncatedResponse``
        and the runtime's write fails. One not begun ends so now, and its runtime's
        report, when it comes, is refused as late.
        """
        with self._managed:
            exchange = self._responding.get(invocation.request_id)
        if exchange is not None:
            exchange.abort()
            return
        self.expire(invocation.request_id)
        _fail(invocation, TRUNCATED_RESPONSE)

    def _route(self, exchange: Exchange) -> None:
        target, method = exchange.target, exchange.method
        if method == "GET" and target == names.RESTORE_NEXT:
            exchange.respond_json(404, {"errorMessage": "not found", "errorType": "NotFound"})
            return
        if method == "POST" and target == names.INIT_ERROR:
            with self._managed:
                repeated = self._init_failed or self._served
                self._init_failed = True
            if repeated:
                exchange.read_body()
                exchange.respond_json(
                    403,
                    {
                        "errorMessage": "init error already reported",
                        "errorType": "InvalidStateTransition",
                    },
                )
                return
        super()._route(exchange)

    def _take(self) -> InvocationRecord | None:
        # One timed out while queued was already answered: it never reaches a worker.
        while (invocation := super()._take()) is not None:
            with self._managed:
                with self._lock:
                    live = invocation.request_id in self._invocations
                if live:
                    self._served = True
                    return invocation
                self._timed_out.discard(invocation.request_id)
        return None

    def _claim(self, request_id: str, step: Step) -> InvocationRecord:
        with self._managed:  # held across the claim, so that expire() cannot come between
            if request_id in self._timed_out:
                self._timed_out.discard(request_id)
                raise _Reject(410, "InvokeTimeout", "Invoke timeout")
            return super()._claim(request_id, step)

    def _response(self, exchange: Exchange, request_id: str) -> None:
        with self._managed:
            self._responding[request_id] = exchange
        try:
            super()._response(exchange, request_id)
        finally:
            with self._managed:
                self._responding.pop(request_id, None)
