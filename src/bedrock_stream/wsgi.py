"""``wsgi_handler``: a WSGI app (Flask, Django, Bottle ...) as a streaming Lambda handler.

Each invocation's event becomes a PEP 3333 ``environ`` (:func:`wsgi_environ`), the app is
called, and its iterable goes through the same driver as a ``@streaming_handler``'s body:
each non-empty item is streamed as the app yields it. As PEP 3333 asks, the head waits for
the first non-empty item (or the end of the iterable), so ``start_response`` may still be
called again with ``exc_info`` until then, and an exception before it is a 500 with a
generic JSON body; after it, a failed stream. The iterable's ``close()`` is always called.
Data given to ``start_response``'s legacy ``write`` callable commits the head, as PEP 3333
says (``start_response`` with ``exc_info`` then re-raises), and goes out before the next
item, once the app has returned its iterable: ``write`` does not stream, a generator does.
The environ also holds the invocation's ``aws.event`` and ``aws.context``.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes

from bedrock_stream.app_head import AppHead, adapter_options, app_head, wire
from bedrock_stream.errors import AppAdapterError
from bedrock_stream.handler import handler_of
from bedrock_stream.protocol.runtime_api import MAX_CONCURRENCY
from bedrock_stream.proxy_request import HTTPRequest, http_request

if TYPE_CHECKING:
    from bedrock_stream.response import StreamingResponse

__all__ = ["WSGIApp", "WSGIError", "wsgi_environ", "wsgi_handler"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
"""A PEP 3333 application: ``app(environ, start_response)`` returns an iterable of bytes."""

_OPTIONS = adapter_options(eager_head=False)
"""The head goes out with the first non-empty item, as PEP 3333 asks."""


class WSGIError(AppAdapterError, RuntimeError):
    """A WSGI app broke PEP 3333: no ``start_response``, a malformed status, a non-bytes item."""


def wsgi_handler(app: WSGIApp) -> Callable[[Any, Any], Any]:
    """Return a Lambda handler that serves API Gateway and function URL requests with ``app``.

    ::

        from flask import Flask
        from bedrock_stream.wsgi import wsgi_handler

        app = Flask(__name__)
        handler = wsgi_handler(app)
    """

    def respond(event: Any, context: Any) -> StreamingResponse:
        environ = wsgi_environ(http_request(event))
        environ["aws.event"], environ["aws.context"] = event, context
        return _Call(app, environ).response()

    return handler_of(respond, _OPTIONS)


def wsgi_environ(request: HTTPRequest) -> dict[str, Any]:
    """Return the PEP 3333 ``environ`` of ``request``.

    ``SCRIPT_NAME`` is the stage prefix (:attr:`~HTTPRequest.root_path`) and ``PATH_INFO``
    the rest, both percent-decoded into Latin-1 strings of the path's bytes; header values
    are Latin-1 strings of their bytes too. Repeated headers are comma-joined, the cookies
    with ``; ``. A header whose name has an underscore is dropped, as gunicorn and waitress
    drop it: ``X_Forwarded_For`` would otherwise merge into ``HTTP_X_FORWARDED_FOR``.
    ``wsgi.multiprocess`` is true on Lambda Managed Instances with more than one worker
    process (the runtime forks one per concurrent invocation).
    """
    raw, root = request.raw_path, wire(request.root_path)
    script, rest = (raw[: len(root)], raw[len(root) :]) if raw.startswith(root) else (b"", raw)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": _decoded(script),
        "PATH_INFO": _decoded(rest),
        "QUERY_STRING": request.query_string.decode("latin-1"),
        "SERVER_PROTOCOL": f"HTTP/{request.http_version}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": request.scheme,
        "wsgi.input": io.BytesIO(request.body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": _workers() > 1,
        "wsgi.run_once": False,
        "wsgi.input_terminated": True,
    }
    name, port = request.server or ("localhost", 443 if request.scheme == "https" else 80)
    environ["SERVER_NAME"], environ["SERVER_PORT"] = name, str(port)
    if request.client is not None:
        environ["REMOTE_ADDR"] = request.client[0]
    for name, text in request.headers:
        if "_" in name:
            continue
        value = wire(text).decode("latin-1")
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        joiner = "; " if key == "HTTP_COOKIE" else ","
        environ[key] = environ[key] + joiner + value if key in environ else value
    if request.body:
        environ["CONTENT_LENGTH"] = str(len(request.body))
    return environ


def _workers() -> int:
    """Return how many workers the runtime forks on Lambda Managed Instances (else 1)."""
    value = os.environ.get(MAX_CONCURRENCY, "")
    return int(value) if value.isascii() and value.isdigit() else 1


def _decoded(path: bytes) -> str:
    return unquote_to_bytes(path).decode("latin-1")


class _Call:
    """One call of the app: ``start_response``, ``write`` and the iterable it returned."""

    def __init__(self, app: WSGIApp, environ: dict[str, Any]) -> None:
        self._head: AppHead | None = None
        self._sent = False  # the head is committed: an item or ``write`` data went out
        self._written: list[bytes] = []
        self._result = app(environ, self._start_response)

    def _start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        if exc_info is not None and self._sent:
            raise exc_info[1].with_traceback(exc_info[2])
        if self._head is not None and exc_info is None:
            raise WSGIError("start_response was called twice without exc_info")
        code = status.split(" ", 1)[0] if isinstance(status, str) else ""
        if len(code) != 3 or not code.isdigit():
            raise WSGIError(f"start_response: the status must be like '200 OK', not {status!r}")
        self._head = app_head(int(code), headers)
        return self._write

    def _write(self, data: bytes) -> None:
        """Send ``data`` before the next item (the legacy ``write``); commit the head.

        It is held until the app has returned its iterable (the app and its ``write`` calls
        run in one thread): an app that streams yields its items instead.
        """
        if not isinstance(data, bytes):
            raise WSGIError(f"write() takes bytes, not {type(data).__name__}")
        if data:
            self._sent = True
        self._written.append(data)

    def response(self) -> StreamingResponse:
        """Advance the iterable to its first non-empty item, then return head and body."""
        try:
            items = iter(self._result)
            first = self._first(items)
            if self._head is None:
                raise WSGIError("the WSGI app returned without calling start_response")
            self._head.check()
        except BaseException:
            self._close()
            raise
        self._sent = True
        return self._head.response(self._body(first, items))

    def _first(self, items: Iterator[bytes]) -> bytes:
        for item in items:
            if self._written or item:
                return self._take(item)
        return self._take(b"")

    def _take(self, item: object) -> bytes:
        """Return what goes out next: data given to ``write`` first, then ``item``."""
        if not isinstance(item, bytes):
            raise WSGIError(f"a WSGI app must yield bytes, not {type(item).__name__}")
        if not self._written:
            return item
        written, self._written = self._written, []
        return b"".join([*written, item])

    def _body(self, first: bytes, items: Iterator[bytes]) -> Iterator[bytes]:
        try:
            yield first
            for item in items:
                yield self._take(item)
            if self._written:
                yield self._take(b"")
        finally:
            self._close()

    def _close(self) -> None:
        close = getattr(self._result, "close", None)
        if close is not None:
            close()
