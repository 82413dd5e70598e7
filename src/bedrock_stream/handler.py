"""``@streaming_handler``: one generator serves streaming and buffered APIs.

The invocation contract (the streaming runtime depends on it)
-------------------------------------------------------------
The decorated function is always called as ``handler(event, context)``.

* **No sink attached** (the standard Python runtime, ``sam local``, a unit test):
  the body is drained and the call returns a buffered API Gateway proxy response
  dict for HTTP events (payload 1.0 or 2.0), or the body ``bytes`` for a raw
  invocation.
* **A sink attached** (:mod:`bedrock_stream.sink`; the streaming runtime attaches
  one to every invocation): the call calls ``sink.start(content_type)`` once,
  writes the prelude (HTTP responses) and each chunk into the sink as it is
  produced, and returns ``None`` only when the stream has ended. Decorators
  stacked outside the handler therefore span the whole stream.

Errors:

* Before the first chunk, the body iterator is advanced to its first chunk
  *before* any byte is written, so an error still becomes a proper response:
  :class:`~bedrock_stream.errors.HTTPError` gives its status and a JSON
  ``{"message": ...}``; any other exception gives 500 with a generic message and
  the request id (the exception and traceback go to the log only). A raw
  invocation has no HTTP status to use: the exception propagates.
* After the first chunk, the call raises
  :class:`~bedrock_stream.errors.MidStreamError` wrapping the exception; the
  runtime reports it as error trailers. Server-Sent Events responses
  (``text/event-stream``) first get an in-band ``event: error``.
* Buffered, nothing has been sent yet, so any failure gives the error response.
* When ``sink.write`` raises (the connection is gone), the body iterator is closed
  (``close()`` / ``aclose()``, so its ``finally`` blocks run) and that exception
  propagates unchanged.

With ``heartbeat`` set (Server-Sent Events only), the prelude goes out as soon as
the handler's function has returned its body, and an SSE comment is written
whenever the stream has been idle for ``heartbeat`` seconds. Errors raised before
the body was returned (validation in a plain function) still get their status;
later ones are reported in-band.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeVar, overload

from bedrock_stream import settings
from bedrock_stream._driver import ResponseDriver
from bedrock_stream._encoders import DEFAULT_CONTENT_TYPE as DEFAULT_CONTENT_TYPE
from bedrock_stream._encoders import FORMATS, Format
from bedrock_stream.response import (
    CORS,
    Headers,
    ResponseHead,
    StreamingResponse,
    header_items,
    override,
)
from bedrock_stream.sse import HEARTBEAT as HEARTBEAT

__all__ = ["is_streaming_handler", "streaming_handler"]

F = TypeVar("F", bound=Callable[..., Any])

_MARK = "__bedrock_stream_handler__"


class HandlerOptions(NamedTuple):
    """A decorated handler's options, checked and resolved once, when it is decorated."""

    status_code: int
    content_type: str
    headers: list[tuple[str, str]]
    cookies: list[str]
    cors: CORS | None
    encode: Callable[[object], bytes]
    """The chunk encoder of the handler's ``format``."""
    http: bool | None
    heartbeat: float
    verbatim: bool = False
    """Use a response's head as given: no default ``Content-Type``, no SSE ``Cache-Control``
    (an app adapter's: the app set every header itself)."""
    eager_head: bool = False
    """Stream the head as soon as the function returns its response, not with the first
    chunk (an app adapter's: the app chose to send its head then)."""

    def head(self, response: StreamingResponse | None) -> ResponseHead:
        """Build the success head: these options, overridden by a response's fields."""
        if self.verbatim and response is not None:
            status = response.status_code or self.status_code
            cookies = list(response.cookies or ())
            return ResponseHead(status, header_items(response.headers), cookies)
        headers = [("Content-Type", self.content_type), *self.headers]
        cookies = self.cookies
        status = self.status_code
        if response is not None:
            if response.content_type is not None:
                headers = override(headers, [("Content-Type", response.content_type)])
            headers = override(headers, header_items(response.headers))
            cookies = list(response.cookies) if response.cookies is not None else cookies
            status = response.status_code if response.status_code is not None else status
        head = ResponseHead(status, headers, list(cookies))
        if (head.content_type() or "").startswith("text/event-stream"):
            head.headers = override([("Cache-Control", "no-cache")], head.headers)
        if self.cors is not None:
            head.headers = override(head.headers, self.cors.headers())
        return head


@overload
def streaming_handler(func: F, /) -> Callable[[Any, Any], Any]: ...


@overload
def streaming_handler(
    *,
    status_code: int = 200,
    content_type: str | None = None,
    headers: Headers | None = None,
    cookies: Sequence[str] | None = None,
    cors: CORS | bool | None = None,
    format: Format | None = None,
    http: bool | None = None,
    heartbeat: float | None = None,
) -> Callable[[F], Callable[[Any, Any], Any]]: ...


def streaming_handler(
    func: Callable[..., Any] | None = None,
    /,
    *,
    status_code: int = 200,
    content_type: str | None = None,
    headers: Headers | None = None,
    cookies: Sequence[str] | None = None,
    cors: CORS | bool | None = None,
    format: Format | None = None,
    http: bool | None = None,
    heartbeat: float | None = None,
) -> Any:
    """Turn a generator of text or bytes into a Lambda handler that streams it.

    Use it bare or with options::

        @streaming_handler(content_type="text/plain; charset=utf-8")
        def handler(event, context):
            yield "Hello, "
            yield "world"

    The function may be a generator function, an async generator function, or
    return a (sync or async) iterable, a :class:`StreamingResponse`, or an
    awaitable of either. Chunks may be ``str`` (sent as UTF-8), ``bytes``,
    ``bytearray`` or ``memoryview``; empty chunks are skipped. With
    ``format="sse"`` a ``str`` chunk becomes one event's data and an
    :class:`~bedrock_stream.sse.SSEEvent` is encoded as given; with
    ``format="ndjson"`` every non-bytes chunk becomes one JSON line.

    Args:
        func: the function, when the decorator is used bare.
        status_code: status of a successful response.
        content_type: defaults to plain UTF-8 text, or to the ``format``'s type.
        headers: extra response headers (a sequence value repeats the header).
        cookies: ``Set-Cookie`` values.
        cors: ``True`` or a :class:`CORS` to add cross-origin headers and answer
            preflight requests.
        format: ``"sse"`` (Server-Sent Events) or ``"ndjson"``.
        http: force (``True``) or suppress (``False``) the HTTP prelude; by
            default it is used for API Gateway and function URL events only.
        heartbeat: seconds between SSE heartbeats, sent from the start of the
            stream; 0 disables. Falls back to ``BEDROCK_STREAM_HEARTBEAT``, which
            applies to ``format="sse"`` handlers only.

    Raises:
        ValueError: an option is invalid (checked at decoration time).
    """
    body_format = FORMATS.get(format)
    if body_format is None:
        raise ValueError(f"format: must be 'sse', 'ndjson' or None, got {format!r}")
    if heartbeat is not None:
        if format != "sse":
            raise ValueError("heartbeat: needs format='sse' (heartbeats are SSE comments)")
        if not 0 <= heartbeat < float("inf"):
            raise ValueError(
                f"heartbeat: must be a non-negative number of seconds, not {heartbeat}"
            )
    options = HandlerOptions(
        status_code=status_code,
        content_type=content_type or body_format.content_type,
        headers=header_items(headers),
        cookies=list(cookies or ()),
        cors=CORS() if cors is True else cors or None,
        encode=body_format.encode,
        http=http,
        heartbeat=settings.HEARTBEAT.resolve(heartbeat) if format == "sse" else 0.0,
    )
    # Fail at deployment, not on the first request: build a prelude from the options.
    options.head(None).to_prelude("1.0")

    def decorate(inner: Callable[..., Any]) -> Callable[[Any, Any], Any]:
        return functools.wraps(inner)(handler_of(inner, options))

    return decorate if func is None else decorate(func)


def handler_of(inner: Callable[..., Any], options: HandlerOptions) -> Callable[[Any, Any], Any]:
    """Return the Lambda handler that answers with ``inner`` under ``options``.

    What :func:`streaming_handler` decorates with, and the app adapters build on.
    """

    def handler(event: Any, context: Any) -> Any:
        return ResponseDriver(options, event, context).run(inner)

    setattr(handler, _MARK, True)
    return handler


def is_streaming_handler(func: object) -> bool:
    """Whether ``func`` is, or wraps (``__wrapped__``), a ``@streaming_handler``."""
    seen = 0
    while func is not None and seen < 100:
        if getattr(func, _MARK, False):
            return True
        func = getattr(func, "__wrapped__", None)
        seen += 1
    return False
