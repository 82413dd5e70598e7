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
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, Literal, NamedTuple, TypeVar, overload

from bedrock_stream import ndjson, settings, sse
from bedrock_stream.errors import HTTPError, MidStreamError
from bedrock_stream.http_integration import CONTENT_TYPE as HTTP_INTEGRATION
from bedrock_stream.proxy import http_method, payload_version, proxy_response
from bedrock_stream.response import (
    CORS,
    Headers,
    PayloadVersion,
    ResponseHead,
    StreamingResponse,
    header_items,
    override,
)
from bedrock_stream.sink import ResponseSink, current_sink

__all__ = ["is_streaming_handler", "streaming_handler"]

Format = Literal["sse", "ndjson"]
F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_CONTENT_TYPE = "text/plain; charset=utf-8"
HEARTBEAT = b": heartbeat\n\n"
_MARK = "__bedrock_stream_handler__"


class _Options(NamedTuple):
    status_code: int
    content_type: str
    headers: list[tuple[str, str]]
    cookies: list[str]
    cors: CORS | None
    format: Format | None
    http: bool | None
    heartbeat: float


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
    if format not in (None, "sse", "ndjson"):
        raise ValueError(f"format: must be 'sse', 'ndjson' or None, got {format!r}")
    if heartbeat is not None:
        if format != "sse":
            raise ValueError("heartbeat: needs format='sse' (heartbeats are SSE comments)")
        if not 0 <= heartbeat < float("inf"):
            raise ValueError(
                f"heartbeat: must be a non-negative number of seconds, not {heartbeat}"
            )
    format_type = {"sse": sse.CONTENT_TYPE, "ndjson": ndjson.CONTENT_TYPE}.get(format or "")
    options = _Options(
        status_code=status_code,
        content_type=content_type or format_type or DEFAULT_CONTENT_TYPE,
        headers=header_items(headers),
        cookies=list(cookies or ()),
        cors=CORS() if cors is True else cors or None,
        format=format,
        http=http,
        heartbeat=settings.HEARTBEAT.resolve(heartbeat) if format == "sse" else 0.0,
    )
    # Fail at deployment, not on the first request: build a prelude from the options.
    _head(options, None).to_prelude("1.0")

    def decorate(inner: Callable[..., Any]) -> Callable[[Any, Any], Any]:
        @functools.wraps(inner)
        def handler(event: Any, context: Any) -> Any:
            return _Invocation(options, event, context).run(inner)

        setattr(handler, _MARK, True)
        return handler

    return decorate if func is None else decorate(func)


def is_streaming_handler(func: object) -> bool:
    """Whether ``func`` is, or wraps (``__wrapped__``), a ``@streaming_handler``."""
    seen = 0
    while func is not None and seen < 100:
        if getattr(func, _MARK, False):
            return True
        func = getattr(func, "__wrapped__", None)
        seen += 1
    return False


def _head(options: _Options, response: StreamingResponse | None) -> ResponseHead:
    """Build the success head: options, overridden by a :class:`StreamingResponse`'s fields."""
    headers = [("Content-Type", options.content_type), *options.headers]
    cookies = options.cookies
    status = options.status_code
    if response is not None:
        if response.content_type is not None:
            headers = override(headers, [("Content-Type", response.content_type)])
        headers = override(headers, header_items(response.headers))
        cookies = list(response.cookies) if response.cookies is not None else cookies
        status = response.status_code if response.status_code is not None else status
    head = ResponseHead(status, headers, list(cookies))
    if (head.content_type() or "").startswith("text/event-stream"):
        head.headers = override([("Cache-Control", "no-cache")], head.headers)
    if options.cors is not None:
        head.headers = override(head.headers, options.cors.headers())
    return head


class _Invocation:
    """One call of a decorated handler: drives the body into a sink or a buffer."""

    def __init__(self, options: _Options, event: Any, context: Any) -> None:
        self.options = options
        self.event = event
        self.context = context
        self.request_id = str(getattr(context, "aws_request_id", "") or "")
        self.version: PayloadVersion | None = payload_version(event)
        if options.http is not None and options.http != (self.version is not None):
            self.version = "1.0" if options.http else None
        self.sink: ResponseSink | None = current_sink()
        self.head = ResponseHead(options.status_code)
        self.chunks: list[bytes] = []
        self.started = False
        self._heartbeat: _Heartbeat | None = None

    # -- entry point ------------------------------------------------------------

    def run(self, func: Callable[..., Any]) -> Any:
        cors = self.options.cors
        if cors is not None and self.version is not None and http_method(self.event) == "OPTIONS":
            self.head = ResponseHead(204, cors.headers(preflight=True))
            return self._finish()
        try:
            body = self._call(func)
        except Exception as exc:
            self._fail(exc)
            return self._finish()
        if self._wants_heartbeat():
            self._start()
            self._heartbeat = _Heartbeat(self)
        try:
            if hasattr(body, "__aiter__"):
                from bedrock_stream import _aio

                _aio.run(self._drain_async(body))
            else:
                self._drain(body)
        finally:
            if self._heartbeat is not None:
                self._heartbeat.stop()
        return self._finish()

    def _call(self, func: Callable[..., Any]) -> Any:
        """Call the function; return its body as an iterator or an async iterable."""
        result = func(self.event, self.context)
        if hasattr(result, "__await__"):
            from bedrock_stream import _aio

            result = _aio.run(result)
        response = result if isinstance(result, StreamingResponse) else None
        self.head = _head(self.options, response)
        self.head.to_prelude(self.version or "1.0")  # validate per-request metadata now
        body: Any = response.body if response is not None else result
        if not hasattr(body, "__aiter__") and not hasattr(body, "__iter__"):
            raise TypeError(
                f"a streaming handler must return an iterable, not {type(body).__name__}"
            )
        if isinstance(body, (str, bytes, bytearray, memoryview)):
            return iter([body])
        return body if hasattr(body, "__aiter__") else iter(body)

    # -- draining the body --------------------------------------------------------

    def _drain(self, iterator: Iterator[Any]) -> None:
        # The hot loop of a stream: bytes skip _encode, and once the stream has started
        # (without heartbeats) chunks go straight to the sink's write, not through _write.
        encode = self._encode
        direct: Callable[[bytes], None] | None = None
        try:
            while True:
                try:
                    chunk = next(iterator)
                    data = chunk if type(chunk) is bytes else encode(chunk)
                except StopIteration:
                    return
                except Exception as exc:
                    self._fail(exc)
                    return
                if not data:
                    continue
                if direct is not None:
                    direct(data)
                    continue
                self._write(data)
                if self.started and self._heartbeat is None and self.sink is not None:
                    direct = self.sink.write
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    async def _drain_async(self, iterable: Any) -> None:
        iterator: AsyncIterator[Any] = iterable.__aiter__()
        try:
            while True:
                try:
                    data = self._encode(await iterator.__anext__())
                except StopAsyncIteration:
                    return
                except Exception as exc:
                    self._fail(exc)
                    return
                if data:
                    self._write(data)
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()

    def _encode(self, chunk: Any) -> bytes:
        if isinstance(chunk, bytes):
            return chunk
        if isinstance(chunk, (bytearray, memoryview)):
            return bytes(chunk)  # a snapshot: the caller may reuse its buffer
        fmt = self.options.format
        if fmt == "sse":
            if isinstance(chunk, str):
                return sse.encode_event(chunk)
            if isinstance(chunk, sse.SSEEvent):
                return chunk.encode()
        elif fmt == "ndjson":
            return ndjson.encode_line(chunk)
        elif isinstance(chunk, str):
            return chunk.encode()
        raise TypeError(
            f"a streaming handler's chunks must be str, bytes, bytearray or memoryview, "
            f"not {type(chunk).__name__}"
        )

    # -- output -------------------------------------------------------------------

    def _wants_heartbeat(self) -> bool:
        return self.options.heartbeat > 0 and self.sink is not None

    def _start(self, *first: bytes) -> None:
        """Start the sink's response: content type, prelude (HTTP), first chunk."""
        assert self.sink is not None
        self.started = True
        if self.version is None:
            self.sink.start(self.head.content_type() or DEFAULT_CONTENT_TYPE)
            if first:
                self.sink.write(*first)
        else:
            self.sink.start(HTTP_INTEGRATION)
            self.sink.write(self.head.to_prelude(self.version).encode(), *first)

    def _write(self, data: bytes) -> None:
        if self.sink is None:
            self.chunks.append(data)
        elif self._heartbeat is not None:
            self._heartbeat.write(data)
        elif self.started:
            self.sink.write(data)
        else:
            self._start(data)

    def _finish(self) -> Any:
        if self.sink is not None:
            if not self.started:
                self._start()
            return None
        body = b"".join(self.chunks)
        if self.version is None:
            return body
        return proxy_response(self.head, body, self.version)

    def _fail(self, exc: Exception) -> None:
        """Turn a failure of the handler's function or body (never of the sink) into its outcome.

        Raises ``MidStreamError`` once the stream has started, re-raises for a raw
        invocation; otherwise the error response replaces the body.
        """
        if self.started:
            if (self.head.content_type() or "").startswith("text/event-stream"):
                self._write(sse.encode_event(_error_json(exc, self.request_id), event="error"))
            raise MidStreamError(exc) from exc
        if self.version is None:
            raise exc
        _log_failure(exc, self.request_id)
        status = exc.status_code if isinstance(exc, HTTPError) else 500
        headers = [("Content-Type", "application/json"), *header_items(_extra_headers(exc))]
        if self.options.cors is not None:
            headers = override(headers, self.options.cors.headers())
        self.head = ResponseHead(status, headers)
        self.chunks = [_error_json(exc, self.request_id).encode()]
        if self.sink is not None:
            self._start(*self.chunks)


def _extra_headers(exc: Exception) -> dict[str, str]:
    return exc.headers if isinstance(exc, HTTPError) else {}


def _error_json(exc: Exception, request_id: str) -> str:
    """Return the client-facing error body: an HTTPError's message, never exception text."""
    import json

    if isinstance(exc, HTTPError):
        body: dict[str, Any] = {"message": exc.message}
    else:
        body = {"message": "Internal server error"}
    if request_id:
        body["requestId"] = request_id
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _log_failure(exc: Exception, request_id: str) -> None:
    import logging

    logger = logging.getLogger("bedrock_stream")
    if isinstance(exc, HTTPError) and exc.status_code < 500:
        logger.info("request %s rejected: %s", request_id, exc)
    else:
        logger.error("request %s failed before its response was sent", request_id, exc_info=exc)


class _Heartbeat:
    """Writes an SSE comment whenever the stream has been idle for the interval.

    User code keeps running on the invoking thread; only heartbeats come from a
    helper thread, and a lock keeps sink writes whole and in order.
    """

    def __init__(self, invocation: _Invocation) -> None:
        import threading
        import time

        assert invocation.sink is not None
        self._sink = invocation.sink
        self._interval = invocation.options.heartbeat
        self._clock = time.monotonic
        self._last = self._clock()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bedrock-stream-heartbeat")
        self._thread.daemon = True
        self._thread.start()

    def write(self, data: bytes) -> None:
        with self._lock:
            self._sink.write(data)
            self._last = self._clock()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _run(self) -> None:
        due = self._last + self._interval
        while not self._stopped.wait(max(0.0, due - self._clock())):
            with self._lock:
                if self._stopped.is_set():
                    return
                if self._clock() >= self._last + self._interval:
                    try:
                        self._sink.write(HEARTBEAT)
                    except Exception:  # the stream is gone; the next body write reports it
                        return
                    self._last = self._clock()
                due = self._last + self._interval
