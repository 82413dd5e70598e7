"""What a client sees when a streaming handler fails: the error policy, in one place.

=====================================  ==========================================
The failure happens                    The client sees
=====================================  ==========================================
before the first byte, HTTP event      an error response: an
                                       :class:`~bedrock_stream.errors.HTTPError`'s
                                       status, headers and ``{"message": ...}``;
                                       500 and a generic message for any other
                                       exception (the exception and its traceback
                                       go to the log only)
before the first byte, raw invocation  nothing: the exception propagates (there is
                                       no HTTP status to use)
after the first byte                   the partial body, ended by error trailers:
                                       :class:`~bedrock_stream.errors.MidStreamError`
                                       wraps the exception; first the response's
                                       ``error_event`` frame (a client protocol's),
                                       else for Server-Sent Events ``event: error``
=====================================  ==========================================

A buffered answer has sent nothing before it returns, so every failure is
"before the first byte" for it. Failures of the sink itself (the connection is
gone) are no part of this policy: they propagate unchanged.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from bedrock_stream import sse
from bedrock_stream.errors import HTTPError
from bedrock_stream.response import CORS, ResponseHead, header_items, override

__all__ = ["Outcome", "error_response", "in_band_error", "outcome"]


class Outcome(enum.Enum):
    """What a failure becomes (see the table above)."""

    ERROR_RESPONSE = "error response"
    PROPAGATE = "propagate"
    MID_STREAM = "mid-stream"


def outcome(*, delivered: bool, http: bool) -> Outcome:
    """Return what a failure becomes, given whether bytes were ``delivered``, for ``http``."""
    if delivered:
        return Outcome.MID_STREAM
    return Outcome.ERROR_RESPONSE if http else Outcome.PROPAGATE


def error_response(
    exc: Exception, request_id: str, cors: CORS | None
) -> tuple[ResponseHead, bytes]:
    """Log ``exc`` and return the head and body of the error response that replaces the body."""
    _log(exc, request_id)
    status = exc.status_code if isinstance(exc, HTTPError) else 500
    extra = exc.headers if isinstance(exc, HTTPError) else {}
    headers = [("Content-Type", "application/json"), *header_items(extra)]
    if cors is not None:
        headers = override(headers, cors.headers())
    return ResponseHead(status, headers), _error_json(exc, request_id).encode()


def in_band_error(
    exc: Exception,
    head: ResponseHead,
    request_id: str,
    error_event: Callable[[Exception], bytes] | None = None,
) -> bytes:
    """Return the in-band error frame of a failed body: the response's own, else SSE's.

    ``error_event`` is a :class:`StreamingResponse`'s (a client protocol's error frame);
    without one, or if it fails (logged), a Server-Sent Events body gets ``event: error``
    and any other ``b""``.
    """
    if error_event is not None:
        try:
            return error_event(exc)
        except Exception as failure:  # a broken frame must not hide the stream's failure
            _log_frame_failure(failure, request_id)
    if not (head.content_type() or "").startswith("text/event-stream"):
        return b""
    return sse.encode_event(_error_json(exc, request_id), event="error")


def _error_json(exc: Exception, request_id: str) -> str:
    """Return the client-facing error body: an HTTPError's message, never exception text.

    An HTTPError with a ``body`` of its own (a client protocol's error shape) is sent as is.
    """
    import json

    if isinstance(exc, HTTPError) and exc.body is not None:
        try:
            return json.dumps(exc.body, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError) as failure:  # not JSON: the default shape instead
            _log_frame_failure(failure, request_id)
    if isinstance(exc, HTTPError):
        body: dict[str, Any] = {"message": exc.message}
    else:
        body = {"message": "Internal server error"}
    if request_id:
        body["requestId"] = request_id
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _log_frame_failure(failure: Exception, request_id: str) -> None:
    import logging

    logging.getLogger("bedrock_stream").error(
        "request %s: the error body or frame could not be made; the default is sent",
        request_id,
        exc_info=failure,
    )


def _log(exc: Exception, request_id: str) -> None:
    import logging

    logger = logging.getLogger("bedrock_stream")
    if isinstance(exc, HTTPError) and exc.status_code < 500:
        logger.info("request %s rejected: %s", request_id, exc)
    else:
        logger.error("request %s failed before its response was sent", request_id, exc_info=exc)
