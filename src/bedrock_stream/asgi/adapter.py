"""``asgi_handler``: an ASGI app (FastAPI, Starlette ...) as a streaming Lambda handler.

Each invocation's event becomes an ``http`` scope (:mod:`bedrock_stream.asgi.scope`), the app
runs on it (:class:`~bedrock_stream.asgi.cycle.RequestCycle`), and its response goes through
the same driver as a ``@streaming_handler``'s: streamed through an attached sink, with the
head sent as soon as the app sends ``http.response.start``, or buffered into a proxy
response without one. What a failure becomes is the driver's policy: before the response
started, a 500 with a generic JSON body (the traceback goes to the log); after it, a failed
stream, never one that looks complete. The scope also holds the invocation's ``aws.event``
and ``aws.context``, under the names Mangum gives them. The app's lifespan shutdown is
bedrock-stream's runtime's shutdown work (:mod:`bedrock_stream.shutdown`), run once no
response is open; on another host the adapter takes SIGTERM itself.
"""

from __future__ import annotations

import atexit
import functools
import logging
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bedrock_stream import _aio, shutdown
from bedrock_stream.app_head import adapter_options
from bedrock_stream.asgi.cycle import ASGIApp, RequestCycle
from bedrock_stream.asgi.lifespan import Lifespan, LifespanMode
from bedrock_stream.asgi.scope import http_scope
from bedrock_stream.handler import handler_of
from bedrock_stream.proxy_request import http_request

if TYPE_CHECKING:
    from bedrock_stream.response import StreamingResponse

__all__ = ["asgi_handler"]

_log = logging.getLogger("bedrock_stream")

_OPTIONS = adapter_options(eager_head=True)
"""The head goes out when the app starts its response."""


def asgi_handler(app: ASGIApp, *, lifespan: LifespanMode = "auto") -> Callable[[Any, Any], Any]:
    """Return a Lambda handler that serves API Gateway and function URL requests with ``app``.

    Call it at module level, so the app's lifespan startup runs during the function's init
    (captured by SnapStart and provisioned concurrency); its shutdown runs on ``SIGTERM``, or
    when the interpreter exits::

        from fastapi import FastAPI
        from bedrock_stream.asgi import asgi_handler

        app = FastAPI()
        handler = asgi_handler(app)

    Args:
        app: an ASGI 3 application.
        lifespan: ``"auto"`` (the default: run the lifespan protocol if the app speaks it),
            ``"on"`` (it must) or ``"off"``, as uvicorn's ``--lifespan``.

    Raises:
        LifespanError: the app's startup failed.
    """
    span = Lifespan(app, lifespan)
    if _aio.loop_running():
        # An ASGI server imported the module inside its own loop (uvicorn's --reload and
        # --workers do): the server runs the app's lifespan and serves it, not this handler.
        level = logging.WARNING if lifespan == "on" else logging.INFO
        _log.log(level, "asgi_handler in a running event loop (an ASGI server's): no lifespan")
    else:
        span.startup()
    sigterm = None
    if span.running:
        atexit.register(span.shutdown)  # a process that ends without SIGTERM shuts down too
        if not shutdown.at_shutdown(span.shutdown):  # bedrock-stream's runtime runs it
            sigterm = _Sigterm(span)

    async def respond(event: Any, context: Any) -> StreamingResponse:
        request = http_request(event)
        scope = http_scope(request, span.state)
        scope["aws.event"], scope["aws.context"] = event, context  # Mangum's names
        cycle = RequestCycle(app, scope, request.body)
        head = await cycle.started()
        try:
            head.check()
        except ValueError:
            await cycle.abandon()  # the driver answers 500; nothing of the app runs on
            raise
        return head.response(cycle)

    serve = handler_of(respond, _OPTIONS)
    if sigterm is None:
        return serve

    @functools.wraps(serve)
    def handler(event: Any, context: Any) -> Any:
        return sigterm.serve(serve, event, context)

    return handler


class _Sigterm:
    """Runs the app's shutdown on SIGTERM, then whatever handled SIGTERM before.

    Used on a host other than bedrock-stream's runtime (awslambdaric, a script), which takes
    SIGTERM itself and runs the shutdown once the response is reported. A SIGTERM that
    arrives during an invocation is held until the handler has returned: the shutdown must
    not close what a request still uses.
    """

    def __init__(self, span: Lifespan) -> None:
        self.span = span
        self.serving = False
        self.held: tuple[int, Any] | None = None
        if threading.current_thread() is not threading.main_thread():
            _log.warning("asgi_handler was called outside the main thread: no shutdown on SIGTERM")
            return
        self.previous = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, self.on_sigterm)

    def on_sigterm(self, signum: int, frame: Any) -> None:
        """Shut down now, or after the invocation in progress."""
        if self.serving:
            self.held = (signum, frame)
        else:
            self._stop(signum, frame)

    def serve(self, serve: Callable[[Any, Any], Any], event: Any, context: Any) -> Any:
        """Run one invocation; act on a SIGTERM held meanwhile once it has returned."""
        self.serving = True
        try:
            return serve(event, context)
        finally:
            self.serving = False
            if self.held is not None:
                held, self.held = self.held, None
                self._stop(*held)

    def _stop(self, signum: int, frame: Any) -> None:
        if _aio.loop_running():  # an ASGI server's (uvicorn re-raising the signal it caught)
            _log.info("SIGTERM in a running event loop (an ASGI server's): no lifespan shutdown")
        else:
            self.span.shutdown()
        if callable(self.previous):
            self.previous(signum, frame)
        elif self.previous != signal.SIG_IGN:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.raise_signal(signal.SIGTERM)
