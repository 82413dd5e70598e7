"""What the front doors need from the local Lambda service, and Lambda's invoke limits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from bedrock_stream.errors import LocalStackError

if TYPE_CHECKING:
    from bedrock_stream.local.invocation import Event, Result

__all__ = ["MAX_EVENT", "FunctionInvocation", "Invoker", "TooManyRequests", "event_too_large"]

MAX_EVENT = 6 * 1024 * 1024
"""Lambda's limit on a synchronous invocation's event (6 MB)."""


def event_too_large() -> str:
    """Return Lambda's message for an event over :data:`MAX_EVENT`."""
    return f"Request must be smaller than {MAX_EVENT} bytes for the InvokeFunction operation"


class TooManyRequests(LocalStackError):
    """Every execution environment of the function is busy (Lambda's 429)."""


class FunctionInvocation(Protocol):
    """An invocation in progress, as the local Lambda service hands it to a front door."""

    @property
    def request_id(self) -> str:
        """The invocation's request id."""
        ...

    def next_event(self, timeout: float | None = None, *, keep: bool = True) -> Event:
        """Return the next Runtime API event; TimeoutError after ``timeout`` seconds.

        Front doors pass ``keep=False``: body chunks are relayed, not retained. A streamed
        invocation holds at most :data:`~bedrock_stream.local.invocation.STREAM_BUFFER`
        body bytes for its caller; the function's writes wait until they are taken.
        """
        ...

    def result(self, timeout: float | None = None) -> Result:
        """Wait for the end of the invocation and fold its events together.

        Raises:
            TimeoutError: no event came within ``timeout`` seconds.
        """
        ...

    def detach(self) -> None:
        """Say the client went away (the function runs on unless configured otherwise).

        A caller that stops taking a streamed invocation's events must detach it: else
        the function waits, its writes blocked, for a reader that never comes.
        """
        ...


class Invoker(Protocol):
    """Starts invocations: the local Lambda service."""

    def invoke(
        self,
        function: str,
        payload: bytes,
        *,
        streaming: bool,
        client_context: str | None = None,
    ) -> FunctionInvocation:
        """Start an invocation of ``function``.

        ``client_context`` is the base64 JSON of ``X-Amz-Client-Context``.

        Raises:
            TooManyRequests: the function is at its concurrency limit.
        """
        ...
