"""``asgi_handler``: an ASGI app (FastAPI, Starlette ...) as a streaming Lambda handler.

Each invocation's event becomes an ``http`` scope (:mod:`bedrock_stream.asgi.scope`), the app
runs on it (:class:`~bedrock_stream.asgi.cycle.RequestCycle`), and its response goes through
the same driver as a ``@streaming_handler``'s: streamed through an attached sink, with the
head sent as soon as the app sends ``http.response.start``, or buffered into a proxy
response without one. What a failure becomes is the driver's policy: before the response
started, a 500 with a generic JSON body (the traceback goes to the log); after it, a failed
stream, never one that looks complete. The scope also holds the invocation's ``aws.event``
and ``aws.context``, under the names Mangum gives them.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bedrock_stream.app_head import adapter_options
from bedrock_stream.asgi.cycle import ASGIApp, RequestCycle
from bedrock_stream.asgi.lifespan import Lifespan, LifespanMode
from bedrock_stream.asgi.scope import http_scope
from bedrock_stream.handler import handler_of
from bedrock_stream.proxy_request import http_request

if TYPE_CHECKING:
    from bedrock_stream.response import StreamingResponse

__all__ = ["asgi_handler"]

_OPTIONS = adapter_options(eager_head=True)
"""The head goes out when the app starts its response."""


def asgi_handler(app: ASGIApp, *, lifespan: LifespanMode = "auto") -> Callable[[Any, Any], Any]:
    """Return a Lambda handler that serves API Gateway and function URL requests with ``app``.

    Call it at module level, so the app's lifespan startup runs during the function's init
    (captured by SnapStart and provisioned concurrency); its shutdown runs on ``SIGTERM``::

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
    span.startup()
    if span.running:
        _shutdown_on_sigterm(span)

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
        return head.response(cycle.body())

    return handler_of(respond, _OPTIONS)


def _shutdown_on_sigterm(span: Lifespan) -> None:
    """Run the app's shutdown on SIGTERM, then whatever handled SIGTERM before."""
    if threading.current_thread() is not threading.main_thread():
        logging.getLogger("bedrock_stream").warning(
            "asgi_handler was called outside the main thread: no shutdown on SIGTERM"
        )
        return
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum: int, frame: Any) -> None:
        try:
            span.shutdown()
        except RuntimeError:  # the signal came in mid-invocation, with the loop running
            logging.getLogger("bedrock_stream").exception("ASGI lifespan shutdown not run")
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.raise_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_sigterm)
