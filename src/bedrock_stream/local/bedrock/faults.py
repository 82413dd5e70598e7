"""Fault injection for the Bedrock emulator: what can go wrong, and which request it hits.

A fault is chosen per request, either by a server-side rule (:meth:`Faults.add`,
matched on operation, model id and prompt text, for the next N requests) or by the
request header ``X-Bedrock-Stream-Fault`` (a spec string, see :func:`parse_fault`).
The header wins over the rules. No I/O here: the server carries the faults out.

Faults (``after_tokens`` counts output tokens already sent; the fault fires at the
first chunk boundary at or past it, and at the latest just before the stop events; or, with
``event``, right after the ``nth`` event of that kind, one of :data:`EVENT_KINDS`, see
:func:`fires`):

- :class:`ErrorResponse`: an HTTP error before the stream, e.g. :func:`throttling` (429).
- :class:`StreamFault`: an exception frame mid-stream, then the stream ends.
- :class:`Stall`: stop sending for ``seconds`` (None: until the client leaves).
- :class:`Guardrail`: the rest of the answer replaced by a guardrail's blocked message.
- :class:`Truncate`: the HTTP body ends cleanly, without the stop events.
- :class:`Disconnect`: the connection is closed mid-body.

On the buffered operations (InvokeModel, Converse) a stream exception becomes the
matching HTTP error, a stall delays the response, a truncation or disconnect closes
the connection without a response.

An exception frame carries only a code the streaming operation's service model defines
(:data:`STREAM_EXCEPTIONS`), since an SDK reports any other with an empty code: a spec
naming no streaming operation's exception is refused, a rule for a streaming operation
that does not define it is refused when added, and a request a rule without an operation
would hit so is answered 400 (:func:`stream_refusal`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

from .fault_events import EVENT_KINDS as EVENT_KINDS
from .fault_events import fires as fires
from .fault_events import stop_events as stop_events
from .fault_events import trigger

__all__ = [
    "EVENT_KINDS",
    "STREAM_EXCEPTIONS",
    "Disconnect",
    "ErrorResponse",
    "Fault",
    "Faults",
    "Guardrail",
    "InjectedFault",
    "MidStreamFault",
    "Rule",
    "Stall",
    "StreamException",
    "StreamFault",
    "Truncate",
    "access_denied",
    "fires",
    "parse_fault",
    "resource_not_found",
    "service_unavailable",
    "stream_refusal",
    "throttling",
]

OperationFilter = Literal["invoke", "invoke-stream", "converse", "converse-stream", "stream"]


@dataclass(frozen=True)
class ErrorResponse:
    """A REST-JSON error before anything is streamed (``x-amzn-ErrorType`` + message)."""

    status: int
    code: str
    message: str


@dataclass(frozen=True)
class StreamFault:
    """An exception frame after ``after_tokens`` tokens (code as sent: lowerCamelCase)."""

    code: str = "modelStreamErrorException"
    after_tokens: int = 0
    message: str | None = None
    event: str | None = None
    """Fire after the ``nth`` event of this kind instead (one of :data:`EVENT_KINDS`)."""
    nth: int = 1

    @property
    def text(self) -> str:
        """The message sent (a Bedrock-like default per code)."""
        return self.message or _STREAM_MESSAGES.get(self.code, "The request failed.")


StreamException = StreamFault
"""The old name of :class:`StreamFault` (a fault rule, not an exception)."""


@dataclass(frozen=True)
class Stall:
    """Send nothing after ``after_tokens`` tokens for ``seconds`` (None: until the client goes)."""

    after_tokens: int = 0
    seconds: float | None = None
    event: str | None = None
    """Fire after the ``nth`` event of this kind instead (one of :data:`EVENT_KINDS`)."""
    nth: int = 1


@dataclass(frozen=True)
class Guardrail:
    """A guardrail intervention after ``after_tokens`` tokens: ``message`` replaces the rest."""

    after_tokens: int = 0
    message: str = "Sorry, the model cannot answer this question."


@dataclass(frozen=True)
class Truncate:
    """End the response body cleanly after ``after_tokens`` tokens, without the stop events."""

    after_tokens: int = 0
    event: str | None = None
    """Fire after the ``nth`` event of this kind instead (one of :data:`EVENT_KINDS`)."""
    nth: int = 1


@dataclass(frozen=True)
class Disconnect:
    """Close the connection after ``after_tokens`` tokens (no terminating HTTP chunk)."""

    after_tokens: int = 0
    event: str | None = None
    """Fire after the ``nth`` event of this kind instead (one of :data:`EVENT_KINDS`)."""
    nth: int = 1


InjectedFault = ErrorResponse | StreamFault | Stall | Guardrail | Truncate | Disconnect
"""Any fault the emulator can inject (a type, not an exception)."""
MidStreamFault = StreamFault | Stall | Truncate | Disconnect
"""A fault that fires at a point of the stream."""
Fault = InjectedFault
"""The old name of :data:`InjectedFault`, apart from the runtime's exception ``Fault``."""

_STREAM_MESSAGES = {
    "throttlingException": "Too many requests, please wait before trying again.",
    "modelStreamErrorException": "Bedrock is unable to process your request.",
    "internalServerException": "The system encountered an unexpected error during processing. "
    "Try your request again.",
    "serviceUnavailableException": "Bedrock is unable to process your request.",
    "modelTimeoutException": "Model has timed out in processing the request. "
    "Try your request again.",
    "validationException": "The model returned the following errors: invalid output.",
}

STREAM_EXCEPTIONS: dict[str, frozenset[str]] = {
    "invoke-stream": frozenset(
        {
            "internalServerException",
            "modelStreamErrorException",
            "validationException",
            "throttlingException",
            "modelTimeoutException",
            "serviceUnavailableException",
        }
    ),
    "converse-stream": frozenset(
        {
            "internalServerException",
            "modelStreamErrorException",
            "validationException",
            "throttlingException",
            "serviceUnavailableException",
        }
    ),
}
"""The exception events each streaming operation defines: the exception members of
``ResponseStream`` (InvokeModelWithResponseStream) and ``ConverseStreamOutput``
(ConverseStream) in botocore's ``bedrock-runtime`` service model."""
_ANY_STREAM_EXCEPTION = STREAM_EXCEPTIONS["invoke-stream"] | STREAM_EXCEPTIONS["converse-stream"]
_OPERATION_NAMES = {
    "invoke-stream": "InvokeModelWithResponseStream",
    "converse-stream": "ConverseStream",
}


def stream_refusal(fault: InjectedFault, operation: str | None) -> str | None:
    """Say why ``fault`` cannot be carried out on ``operation``; None when it can.

    Only an exception frame can be refused: on a streaming operation, for a code its
    service model does not define.
    """
    if not isinstance(fault, StreamFault):
        return None
    allowed = STREAM_EXCEPTIONS.get(operation or "", _ANY_STREAM_EXCEPTION)
    if fault.code in allowed:
        return None
    codes = ", ".join(sorted(allowed))
    if operation in _OPERATION_NAMES:
        name = _OPERATION_NAMES[operation]
        return f"{name}'s event stream defines no exception {fault.code!r}; it defines {codes}"
    return f"no Bedrock event stream defines exception {fault.code!r}; they define {codes}"


STREAM_TO_HTTP: dict[str, tuple[int, str]] = {
    "throttlingException": (429, "ThrottlingException"),
    "modelStreamErrorException": (424, "ModelStreamErrorException"),
    "internalServerException": (500, "InternalServerException"),
    "serviceUnavailableException": (503, "ServiceUnavailableException"),
    "modelTimeoutException": (408, "ModelTimeoutException"),
    "validationException": (400, "ValidationException"),
}
"""An in-stream exception code -> the buffered operations' HTTP status and error code."""


def throttling(
    message: str = "Too many requests, please wait before trying again.",
) -> ErrorResponse:
    """429 ``ThrottlingException``."""
    return ErrorResponse(429, "ThrottlingException", message)


def access_denied(
    message: str = "You don't have access to the model with the specified model ID.",
) -> ErrorResponse:
    """403 ``AccessDeniedException`` (model access not granted)."""
    return ErrorResponse(403, "AccessDeniedException", message)


def resource_not_found(
    message: str = "This model version has reached the end of its life. "
    "Please refer to the AWS documentation for more details.",
) -> ErrorResponse:
    """404 ``ResourceNotFoundException`` (e.g. a model past its end of life)."""
    return ErrorResponse(404, "ResourceNotFoundException", message)


def service_unavailable(
    message: str = "Bedrock is unable to process your request.",
) -> ErrorResponse:
    """503 ``ServiceUnavailableException``."""
    return ErrorResponse(503, "ServiceUnavailableException", message)


_NAMED = {
    "throttling": throttling,
    "access-denied": access_denied,
    "not-found": resource_not_found,
    "unavailable": service_unavailable,
}


def parse_fault(spec: str) -> InjectedFault:
    """Parse a fault spec: ``kind`` then ``;``-separated ``key=value`` options.

    Kinds: ``throttling``, ``access-denied``, ``not-found``, ``unavailable``
    (option ``message``); ``error`` (``status``, ``code``, ``message``);
    ``exception`` (``code``, ``after``, ``message``); ``stall`` (``after``, ``seconds``);
    ``guardrail`` (``after``, ``message``); ``truncate`` and ``disconnect`` (``after``).
    The mid-stream kinds (``exception``, ``stall``, ``truncate``, ``disconnect``) take
    ``event=KIND`` and ``nth=N`` (default 1) instead of ``after``: after the Nth event of
    that kind (:data:`EVENT_KINDS`).
    Examples: ``exception; code=throttlingException; after=5``,
    ``exception; code=throttlingException; event=tool-input``.

    Raises:
        ValueError: the spec is not one of these.
    """
    kind, *rest = [part.strip() for part in spec.split(";")]
    options: dict[str, str] = {}
    for item in rest:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"fault option {item!r} is not key=value")
        options[key.strip()] = value.strip()
    try:
        when = trigger(options, kind)
        after = int(options.pop("after", "0"))
        message = options.pop("message", None)
        fault: InjectedFault
        if kind in _NAMED:
            fault = _NAMED[kind](message) if message else _NAMED[kind]()
        elif kind == "error":
            code = options.pop("code", "InternalServerException")
            fault = ErrorResponse(int(options.pop("status", "500")), code, message or code)
        elif kind == "exception":
            code = options.pop("code", "modelStreamErrorException")
            fault = StreamFault(code[:1].lower() + code[1:], after, message, *when)
            refusal = stream_refusal(fault, None)
            if refusal is not None:
                raise ValueError(refusal)
        elif kind == "stall":
            seconds = options.pop("seconds", None)
            fault = Stall(after, None if seconds is None else float(seconds), *when)
        elif kind == "guardrail":
            fault = Guardrail(after, message) if message else Guardrail(after)
        elif kind == "truncate":
            fault = Truncate(after, *when)
        elif kind == "disconnect":
            fault = Disconnect(after, *when)
        else:
            raise ValueError(f"unknown fault kind {kind!r}")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"invalid fault spec {spec!r}: {exc}") from None
    if options:
        raise ValueError(f"invalid fault spec {spec!r}: unknown option(s) {sorted(options)}")
    return fault


@dataclass
class Rule:
    """A server-side fault rule; ``None`` filters match everything."""

    fault: InjectedFault
    operation: OperationFilter | None = None
    """An operation, or ``stream`` for both streaming operations."""
    model: str | None = None
    """A substring of the model id (as sent, percent-decoded)."""
    prompt: str | None = None
    """A substring of the prompt text the model reads."""
    times: int | None = 1
    """How many more requests it hits; None: every matching request."""
    hits: int = 0

    def matches(self, operation: str, model_id: str, prompt: str) -> bool:
        """Whether the rule applies to this request (and is not used up)."""
        if self.times is not None and self.times <= 0:
            return False
        if self.operation == "stream":
            if operation not in ("invoke-stream", "converse-stream"):
                return False
        elif self.operation is not None and self.operation != operation:
            return False
        if self.model is not None and self.model not in model_id:
            return False
        return self.prompt is None or self.prompt in prompt


class Faults:
    """The emulator's fault rules, first added first matched; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Rule] = []

    def add(
        self,
        fault: InjectedFault | str,
        *,
        operation: OperationFilter | None = None,
        model: str | None = None,
        prompt: str | None = None,
        times: int | None = 1,
    ) -> Rule:
        """Add a rule: ``fault`` (or a :func:`parse_fault` spec) for matching requests.

        Raises:
            ValueError: the spec does not parse, or names an exception code an operation the
                rule covers does not define (a rule without an operation is checked per
                request instead, see :func:`stream_refusal`).
        """
        rule = Rule(parse_fault(fault) if isinstance(fault, str) else fault)
        names = ("invoke-stream", "converse-stream") if operation == "stream" else (operation,)
        for name in names:
            refusal = stream_refusal(rule.fault, name)
            if refusal is not None:
                raise ValueError(refusal)
        rule.operation, rule.model, rule.prompt, rule.times = operation, model, prompt, times
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove(self, rule: Rule) -> None:
        """Remove ``rule`` (no error if it is gone)."""
        with self._lock:
            self._rules = [r for r in self._rules if r is not rule]

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> list[Rule]:
        """A copy of the rules, in match order."""
        with self._lock:
            return list(self._rules)

    def take(self, operation: str, model_id: str, prompt: str) -> InjectedFault | None:
        """Return the fault for this request, if a rule matches; use up one of its ``times``."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(operation, model_id, prompt):
                    rule.hits += 1
                    if rule.times is not None:
                        rule.times -= 1
                    return rule.fault
        return None
