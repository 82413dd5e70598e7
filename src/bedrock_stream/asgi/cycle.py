"""One HTTP request served by an ASGI app: its ``receive`` and ``send``, and the body as it comes.

Invariants:

* The app runs as one task on the adapter's event loop. Until the response's writer (the
  response driver, iterating the :class:`RequestCycle`) starts, body bytes wait in a queue;
  ``send`` waits when more than :data:`HIGH_WATER` bytes are queued, so memory stays
  bounded. Once the driver has sent the head into the attached sink, each send writes
  straight into that sink from the app's task (the driver writes into it itself: an app's
  response has no heartbeats): no task switch per message, and the sink's backpressure is
  the app's. A write that fails is handed back to the driver, which writes it again and so
  meets the sink's failure as its own. Without a sink (buffered) the queue is all there is.
* ``receive`` gives the request's body once (Lambda delivers it whole), then waits: it
  answers ``http.disconnect`` only once the response is over or the client has gone. Lambda
  says nothing when a client leaves mid-stream; the write that fails is the first sign.
* Once the client has gone, sends are dropped (as uvicorn drops them), the app is told
  ``http.disconnect``, and its task is cancelled so that nothing of it runs on in the next
  invocation.
* The body ends with the app's last body message; then the app's task is awaited, so
  background tasks run before the invocation ends. An exception the app raises after a
  complete response is logged, and the response stays complete: uvicorn's behaviour, and
  Starlette's error middleware re-raises after sending its 500.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, NoReturn

from bedrock_stream.app_head import AppHead
from bedrock_stream.asgi.messages import ASGIProtocolError, ResponseMessages, Stage
from bedrock_stream.sink import current_sink

__all__ = ["HIGH_WATER", "ASGIApp", "RequestCycle"]

ASGIApp = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[MutableMapping[str, Any]]],
        Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ],
    Awaitable[None],
]
"""An ASGI 3 application: ``await app(scope, receive, send)``."""

HIGH_WATER = 64 * 1024
"""Bytes sent and not yet written past which ``send`` waits for the writer."""

_log = logging.getLogger("bedrock_stream")


class RequestCycle:
    """Run ``app`` on one request; :meth:`started` gives its head, iterating it its body."""

    def __init__(self, app: ASGIApp, scope: dict[str, Any], body: bytes) -> None:
        self._loop = asyncio.get_running_loop()
        self._messages = ResponseMessages(head_only=scope.get("method") == "HEAD")
        self._request: dict[str, Any] | None = {
            "type": "http.request",
            "body": body,
            "more_body": False,
        }
        self._chunks: list[bytes] = []
        self._waiting = 0
        self._over = self._loop.create_future()  # the response ended or the client left
        self._ready: asyncio.Future[None] | None = None  # the writer waits on it
        self._drained: asyncio.Future[None] | None = None  # the app waits on it
        self._gone = False
        self._start: AppHead | None = None
        self._write: Callable[..., None] | None = None  # the sink's, once the head is out
        self._unsent: bytes | None = None  # what the sink refused, for the driver to write
        self._complete = False  # the body ended, or the cycle was abandoned
        self._sink = current_sink()  # the driver's, when it streams (see the invariants)
        call = app(scope, self.receive, self.send)
        self.task: asyncio.Future[None] = asyncio.ensure_future(call, loop=self._loop)
        self.task.add_done_callback(self._wake)

    # -- the app's side ---------------------------------------------------------------

    async def receive(self) -> dict[str, Any]:
        """Give the app the request, then ``http.disconnect`` once the response is over."""
        request, self._request = self._request, None
        if request is not None:
            return request
        await asyncio.shield(self._over)  # a cancelled wait must not cancel the shared future
        return {"type": "http.disconnect"}

    async def send(self, message: MutableMapping[str, Any]) -> None:
        """Check a message the app sends; write what it carries, or queue it for the writer."""
        if self._gone:
            return
        part = self._messages.send(message)
        if isinstance(part, AppHead):
            self._start = part
        elif part and self._write is not None:
            try:
                self._write(part)
            except Exception:  # the client is gone: the driver meets it on its own write
                self._write, self._unsent, self._gone = None, part, True
            else:
                if self._messages.stage is not Stage.DONE:
                    return  # written, and nothing for the writer to wake up for
        elif part:
            self._chunks.append(part)
            self._waiting += len(part)
        if self._messages.stage is Stage.DONE:
            _settle(self._over)
        self._wake()
        if self._waiting > HIGH_WATER:  # every sender waiting shares one future
            if self._drained is None or self._drained.done():
                self._drained = self._loop.create_future()
            await asyncio.shield(self._drained)  # a cancelled sender leaves it to the others

    # -- the writer's side ------------------------------------------------------------

    async def started(self) -> AppHead:
        """Wait for ``http.response.start``.

        Raises:
            Exception: what the app raised before it started a response.
            ASGIProtocolError: the app returned without starting one.
        """
        while self._start is None:
            if self.task.done():
                self._raise_from_task("the ASGI app returned without starting a response")
            await self._wait()
        return self._start

    # The body, as the response driver pulls it: an async iterator whose ``aclose`` always
    # stops the app (a generator never started would run no ``finally`` when closed).

    def __aiter__(self) -> RequestCycle:
        return self

    async def __anext__(self) -> bytes:
        """Return the body's next bytes as the app sends them, until its last body message.

        Raises:
            Exception: what the app raised before its response was complete.
            ASGIProtocolError: the app returned before its last body message.
        """
        while True:
            if self._unsent is not None:
                unsent, self._unsent = self._unsent, None
                return unsent  # the driver's write meets the sink's failure
            if self._chunks:
                chunks, self._chunks = self._chunks, []
                self._waiting = 0
                if self._drained is not None:
                    _settle(self._drained)
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)
            if self._messages.stage is Stage.DONE:
                if not self._complete:
                    self._complete = True
                    await self._finish()
                raise StopAsyncIteration
            if self.task.done():
                self._raise_from_task("the ASGI app returned without completing its response")
            if self._sink is not None:
                self._write = self._sink.write  # the queue is empty: straight in from now on
            await self._wait()

    async def aclose(self) -> None:
        """End the cycle: after a complete body, nothing; else :meth:`abandon` it."""
        if not self._complete:
            await self.abandon()

    def _raise_from_task(self, returned: str) -> NoReturn:
        """Raise what ended the app's (done) task: its exception, a cancellation, ``returned``."""
        if self.task.cancelled():  # not by us: the app awaited something that was cancelled
            raise ASGIProtocolError("the ASGI app's task was cancelled")
        self.task.result()
        raise ASGIProtocolError(returned)

    async def _finish(self) -> None:
        """Let the app's task run to its end (background tasks); log what ends it badly."""
        await asyncio.wait([self.task])
        if self.task.cancelled():
            _log.error("the ASGI app's task was cancelled after its response was complete")
        elif (error := self.task.exception()) is not None:
            _log.error("the ASGI app raised after its response was complete", exc_info=error)

    async def abandon(self) -> None:
        """Give up the response: tell the app the client is gone, and stop its task."""
        self._complete = True
        self._gone = True
        _settle(self._over)
        if self._drained is not None:
            _settle(self._drained)
        if not self.task.done():
            self.task.cancel()
            await asyncio.wait([self.task])
        if not self.task.cancelled():
            self.task.exception()  # retrieved: the writer raised it, or it no longer matters

    async def _wait(self) -> None:
        self._ready = self._loop.create_future()
        await self._ready

    def _wake(self, _task: object = None) -> None:
        if self._ready is not None:
            _settle(self._ready)


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
