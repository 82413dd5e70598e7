"""The Lambda Runtime API, without I/O: its paths, its fields, ``/next``, the invocation states.

Names are spelled here once, for both sides: the runtime (:mod:`bedrock_stream.runtime`)
builds requests with them and the local Runtime API (:mod:`bedrock_stream.local`) routes
and answers with them. Header names are given as sent; HTTP names are case-insensitive,
and a parser that lower-cases them compares with ``name.lower()``.

The ``/next`` answer is one encode/decode pair: :func:`encode_next` gives the headers for a
:class:`NextInvocation`, :func:`decode_next` rebuilds it from the headers and body.

One invocation moves through :class:`InvocationState` by :class:`Step` along
:data:`TRANSITIONS`, the whole state machine::

    queued --NEXT--> dispatched --RESPOND--> responding --END--> done
                          |                                      ^
                          +----------------FAIL------------------+

``FAIL`` is an ``/error`` report, or a ``/response`` refused before its body. Any other step
raises :class:`InvalidStateTransition` (RAPID answers it ``403 InvalidStateTransition``).
"""

from __future__ import annotations

from enum import Enum
from types import MappingProxyType

from bedrock_stream.errors import LocalProtocolError

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: the runtime's cold path does not need typing
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "CLIENT_CONTEXT",
    "COGNITO_IDENTITY",
    "CONTENT_TYPE",
    "DEADLINE_MS",
    "ERROR_BODY",
    "ERROR_TYPE",
    "FUNCTION_ARN",
    "INIT_ERROR",
    "INVOCATION",
    "MAX_CONCURRENCY",
    "NEXT",
    "PREFIX",
    "REQUEST_ID",
    "RESPONSE_MODE",
    "RESTORE_ERROR",
    "RESTORE_NEXT",
    "STREAMING",
    "STREAM_TRAILERS",
    "TENANT_ID",
    "TRACE_ID",
    "TRANSITIONS",
    "XRAY_ERROR_CAUSE",
    "InvalidStateTransition",
    "InvocationState",
    "NextInvocation",
    "Step",
    "advance",
    "decode_next",
    "encode_next",
    "error_path",
    "response_path",
    "split_invocation_path",
]

PREFIX = "/2018-06-01/runtime"
"""The API version prefix of every path."""
NEXT = f"{PREFIX}/invocation/next"
"""``GET``: long-poll for the next invocation."""
INVOCATION = f"{PREFIX}/invocation/"
"""Prefix of ``{request_id}/response`` and ``{request_id}/error``."""
INIT_ERROR = f"{PREFIX}/init/error"
"""``POST``: the function failed to initialize."""
RESTORE_NEXT = f"{PREFIX}/restore/next"
"""``GET`` (SnapStart): returns once the snapshot was restored."""
RESTORE_ERROR = f"{PREFIX}/restore/error"
"""``POST`` (SnapStart): an after-restore hook failed."""

MAX_CONCURRENCY = "AWS_LAMBDA_MAX_CONCURRENCY"
"""The environment variable of Lambda Managed Instances: invocations one environment serves
at once (the runtime forks that many workers)."""

REQUEST_ID = "Lambda-Runtime-Aws-Request-Id"
DEADLINE_MS = "Lambda-Runtime-Deadline-Ms"
FUNCTION_ARN = "Lambda-Runtime-Invoked-Function-Arn"
TRACE_ID = "Lambda-Runtime-Trace-Id"
CLIENT_CONTEXT = "Lambda-Runtime-Client-Context"
COGNITO_IDENTITY = "Lambda-Runtime-Cognito-Identity"
TENANT_ID = "Lambda-Runtime-Aws-Tenant-Id"
CONTENT_TYPE = "Content-Type"
RESPONSE_MODE = "Lambda-Runtime-Function-Response-Mode"
"""Request header of a ``/response``: :data:`STREAMING`, or absent for a buffered one."""
STREAMING = "streaming"
ERROR_TYPE = "Lambda-Runtime-Function-Error-Type"
"""Header of ``/error`` and ``/init/error``; trailer of a streamed ``/response`` that failed."""
ERROR_BODY = "Lambda-Runtime-Function-Error-Body"
"""Trailer of a streamed ``/response`` that failed: the error JSON, base64."""
XRAY_ERROR_CAUSE = "Lambda-Runtime-Function-XRay-Error-Cause"
STREAM_TRAILERS = f"{ERROR_TYPE}, {ERROR_BODY}"
"""The ``Trailer`` header of a streamed ``/response``: the trailers it may end with."""


def response_path(request_id: str) -> str:
    """Return the ``/response`` path of an invocation."""
    return f"{INVOCATION}{request_id}/response"


def error_path(request_id: str) -> str:
    """Return the ``/error`` path of an invocation."""
    return f"{INVOCATION}{request_id}/error"


def split_invocation_path(target: str) -> tuple[str, str] | None:
    """Return ``(request_id, action)`` of an invocation's path, None for any other path."""
    if not target.startswith(INVOCATION):
        return None
    request_id, _, action = target[len(INVOCATION) :].partition("/")
    return request_id, action


class NextInvocation:
    """One invocation as ``/next`` hands it out: its headers' values and the event."""

    __slots__ = (
        "body",
        "client_context",
        "cognito_identity",
        "content_type",
        "deadline_ms",
        "function_arn",
        "request_id",
        "tenant_id",
        "trace_id",
    )

    def __init__(
        self,
        *,
        request_id: str,
        deadline_ms: int,
        function_arn: str | None,
        trace_id: str | None,
        client_context: str | None,
        cognito_identity: str | None,
        tenant_id: str | None,
        content_type: str | None,
        body: bytes,
    ) -> None:
        self.request_id = request_id
        self.deadline_ms = deadline_ms
        self.function_arn = function_arn
        self.trace_id = trace_id
        self.client_context = client_context
        self.cognito_identity = cognito_identity
        self.tenant_id = tenant_id
        self.content_type = content_type
        self.body = body


def encode_next(invocation: NextInvocation) -> list[tuple[str, str]]:
    """Return the ``/next`` response headers for ``invocation``; absent values are left out."""
    headers = [(REQUEST_ID, invocation.request_id), (DEADLINE_MS, str(invocation.deadline_ms))]
    for name, value in (
        (CONTENT_TYPE, invocation.content_type),
        (FUNCTION_ARN, invocation.function_arn),
        (TRACE_ID, invocation.trace_id),
        (CLIENT_CONTEXT, invocation.client_context),
        (COGNITO_IDENTITY, invocation.cognito_identity),
        (TENANT_ID, invocation.tenant_id),
    ):
        if value is not None:
            headers.append((name, value))
    return headers


def decode_next(headers: Mapping[str, str], body: bytes) -> NextInvocation:
    """Rebuild what :func:`encode_next` encoded from lower-cased ``headers`` and the body."""
    h = headers
    return NextInvocation(
        request_id=h.get(REQUEST_ID.lower(), ""),
        deadline_ms=int(h.get(DEADLINE_MS.lower()) or 0),
        function_arn=h.get(FUNCTION_ARN.lower()),
        trace_id=h.get(TRACE_ID.lower()),
        client_context=h.get(CLIENT_CONTEXT.lower()),
        cognito_identity=h.get(COGNITO_IDENTITY.lower()),
        tenant_id=h.get(TENANT_ID.lower()),
        content_type=h.get(CONTENT_TYPE.lower()),
        body=body,
    )


class InvocationState(str, Enum):
    """Where an invocation is (a ``str``, so ``state == "done"`` reads as before)."""

    QUEUED = "queued"
    DISPATCHED = "dispatched"
    RESPONDING = "responding"
    DONE = "done"


class Step(str, Enum):
    """What moves an invocation on."""

    NEXT = "next"
    """``/next`` handed it to the runtime."""
    RESPOND = "respond"
    """The runtime began its ``/response``."""
    END = "end"
    """The ``/response`` body ended: complete, with error trailers, or cut."""
    FAIL = "fail"
    """The runtime reported an error, or its ``/response`` was refused before the body."""


TRANSITIONS: Mapping[tuple[InvocationState, Step], InvocationState] = MappingProxyType(
    {
        (InvocationState.QUEUED, Step.NEXT): InvocationState.DISPATCHED,
        (InvocationState.DISPATCHED, Step.RESPOND): InvocationState.RESPONDING,
        (InvocationState.DISPATCHED, Step.FAIL): InvocationState.DONE,
        (InvocationState.RESPONDING, Step.END): InvocationState.DONE,
    }
)
"""The invocation state machine: ``(state, step)`` to the next state; nothing else is valid."""


class InvalidStateTransition(LocalProtocolError, RuntimeError):
    """A step the state machine does not allow from the invocation's state."""

    def __init__(self, state: InvocationState | None, step: Step) -> None:
        name = "unknown" if state is None else state.value
        super().__init__(f"State transition from {name} by {step.value} failed for runtime")
        self.state = state
        self.step = step


def advance(state: InvocationState, step: Step) -> InvocationState:
    """Return the state ``step`` leads to from ``state``.

    Raises:
        InvalidStateTransition: :data:`TRANSITIONS` has no such move.
    """
    try:
        return TRANSITIONS[state, step]
    except KeyError:
        raise InvalidStateTransition(state, step) from None
