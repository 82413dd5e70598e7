"""An ASGI app's lifespan, run the way uvicorn runs it: startup once, shutdown at the end.

The modes are uvicorn's ``--lifespan``: ``"on"`` requires the protocol; ``"auto"`` takes an
app that raises before completing its startup as one without lifespan support (logged) and
serves it anyway; ``"off"`` never calls it. An app that reports ``lifespan.startup.failed``
fails in every mode but ``"off"``: :class:`LifespanError` carries its message.

The lifespan's task stays suspended on the adapter's event loop between invocations, waiting
for ``lifespan.shutdown``, so the resources the startup opened stay bound to that loop, which
every request runs on. The ``state`` the startup fills is copied into each request's scope.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Literal

from bedrock_stream import _aio
from bedrock_stream.asgi.messages import ASGIProtocolError
from bedrock_stream.asgi.scope import lifespan_scope
from bedrock_stream.errors import AppAdapterError

if TYPE_CHECKING:
    from bedrock_stream.asgi.cycle import ASGIApp

__all__ = ["Lifespan", "LifespanError", "LifespanMode"]

LifespanMode = Literal["auto", "on", "off"]

_log = logging.getLogger("bedrock_stream")

_REPLIES = {
    "lifespan.startup": frozenset({"lifespan.startup.complete", "lifespan.startup.failed"}),
    "lifespan.shutdown": frozenset({"lifespan.shutdown.complete", "lifespan.shutdown.failed"}),
}
"""What the app may answer to each event it receives."""


class LifespanError(AppAdapterError, RuntimeError):
    """An ASGI app's lifespan startup failed (or, with ``lifespan="on"``, is unsupported)."""


class Lifespan:
    """The lifespan protocol of one app, driven synchronously on the adapter's event loop."""

    def __init__(self, app: ASGIApp, mode: LifespanMode) -> None:
        if mode not in ("auto", "on", "off"):
            raise ValueError(f"lifespan: must be 'auto', 'on' or 'off', got {mode!r}")
        self.app = app
        self.mode = mode
        self.state: dict[str, Any] = {}
        self.running = False
        """Whether the startup completed, so a shutdown is owed."""
        self._events: asyncio.Queue[dict[str, Any]] | None = None
        self._replies: asyncio.Queue[dict[str, Any] | Exception | None] | None = None
        self._awaiting: frozenset[str] = frozenset()
        self._task: asyncio.Task[None] | None = None

    def startup(self) -> None:
        """Run the app's startup; return once it completed (or the app has no lifespan).

        Raises:
            LifespanError: the startup failed.
        """
        if self.mode != "off":
            _aio.run(self._startup())

    def shutdown(self) -> None:
        """Run the app's shutdown, if its startup completed; a failure is logged."""
        if self.running:
            self.running = False
            _aio.run(self._shutdown())

    async def _startup(self) -> None:
        self._events, self._replies = asyncio.Queue(), asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._main())
        reply = await self._exchange("lifespan.startup")
        if isinstance(reply, dict) and reply["type"] == "lifespan.startup.complete":
            self.running = True
        elif isinstance(reply, dict):
            raise LifespanError(f"ASGI lifespan startup failed: {reply.get('message', '')}")
        elif isinstance(reply, Exception) and self.mode == "on":
            raise LifespanError(
                f"ASGI lifespan startup raised {type(reply).__name__}: {reply}"
            ) from reply
        elif isinstance(reply, Exception):
            _log.info("the ASGI app has no lifespan support (it raised %r): served without", reply)

    async def _shutdown(self) -> None:
        reply = await self._exchange("lifespan.shutdown")
        if isinstance(reply, dict) and reply["type"] == "lifespan.shutdown.failed":
            _log.error("ASGI lifespan shutdown failed: %s", reply.get("message", ""))
        elif isinstance(reply, Exception):
            _log.error("ASGI lifespan shutdown raised", exc_info=reply)

    async def _exchange(self, event: str) -> dict[str, Any] | Exception | None:
        """Send ``event``; return the app's reply, what it raised, or None if it returned."""
        assert self._events is not None and self._replies is not None
        self._awaiting = _REPLIES[event]
        await self._events.put({"type": event})
        return await self._replies.get()

    async def _main(self) -> None:
        assert self._replies is not None
        try:
            await self.app(lifespan_scope(self.state), self._receive, self._send)  # type: ignore[arg-type]
        except (Exception, asyncio.CancelledError) as exc:  # the app's failure is its reply
            self._replies.put_nowait(
                exc
                if isinstance(exc, Exception)
                else LifespanError("the ASGI app's lifespan task was cancelled")
            )
        else:
            self._replies.put_nowait(None)

    async def _receive(self) -> dict[str, Any]:
        assert self._events is not None
        return await self._events.get()

    async def _send(self, message: dict[str, Any]) -> None:
        assert self._replies is not None
        kind = message.get("type")
        if kind not in self._awaiting:
            raise ASGIProtocolError(f"unexpected ASGI lifespan message {kind!r}")
        self._awaiting = frozenset()
        self._replies.put_nowait(message)
