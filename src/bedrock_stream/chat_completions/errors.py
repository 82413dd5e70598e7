"""OpenAI's error shape: ``{"error": {"message", "type", "param", "code"}}``, as HTTP errors.

:func:`invalid_request` builds the 400 a parser raises; :func:`http_error` maps a failure
before the first chunk (a :class:`~bedrock_stream.bedrock.errors.BedrockError`, say) to the
status OpenAI's API would answer with. Messages never carry an exception's text, except an
:class:`~bedrock_stream.errors.HTTPError`'s, which is written for the client.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple, TypeVar

from bedrock_stream.bedrock.errors import (
    BedrockError,
    InternalServerError,
    ModelStreamError,
    ModelTimeoutError,
    ServiceUnavailableError,
    ThrottlingError,
    UnknownModelError,
    UnsupportedOptionError,
    ValidationError,
)
from bedrock_stream.errors import HTTPError

__all__ = [
    "error_body",
    "http_error",
    "invalid_request",
    "model_not_found",
    "with_http_errors",
]

T = TypeVar("T")

RETRY_AFTER = "1"
"""Seconds a throttled client is told to wait (``Retry-After``)."""


class _Kind(NamedTuple):
    status: int
    type: str
    code: str
    message: str


_GENERIC = _Kind(500, "server_error", "internal_error", "The server had an error.")

_BY_CLASS: dict[type[BedrockError], _Kind] = {
    ThrottlingError: _Kind(429, "rate_limit_error", "rate_limit_exceeded", "Rate limited."),
    ServiceUnavailableError: _Kind(
        503, "server_error", "service_unavailable", "The model is unavailable."
    ),
    ModelTimeoutError: _Kind(503, "server_error", "timeout", "The model timed out."),
    ModelStreamError: _Kind(502, "server_error", "model_error", "The model failed."),
    InternalServerError: _Kind(502, "server_error", "upstream_error", "The model failed."),
    ValidationError: _Kind(
        400, "invalid_request_error", "invalid_request", "The model refused the request."
    ),
    UnsupportedOptionError: _Kind(
        400, "invalid_request_error", "unsupported_parameter", "The model cannot take an option."
    ),
    UnknownModelError: _Kind(404, "invalid_request_error", "model_not_found", "Unknown model."),
}


def error_body(
    message: str, type: str, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    """Return OpenAI's error object: ``{"error": {"message", "type", "param", "code"}}``."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def invalid_request(message: str, param: str | None = None, code: str | None = None) -> HTTPError:
    """Return the 400 ``invalid_request_error`` for bad input at ``param``."""
    body = error_body(message, "invalid_request_error", code, param)
    return HTTPError(400, message, body=body)


def model_not_found(model: str) -> HTTPError:
    """Return the 404 for a model the route does not serve (``model_not_found``)."""
    message = f"The model {model!r} does not exist or you do not have access to it."
    body = error_body(message, "invalid_request_error", "model_not_found", "model")
    return HTTPError(404, message, body=body)


def _kind(exc: BaseException) -> _Kind:
    for cls in type(exc).__mro__:
        kind = _BY_CLASS.get(cls)
        if kind is not None:
            return kind
    return _GENERIC


def http_error(exc: BaseException) -> HTTPError:
    """Return the OpenAI-shaped :class:`HTTPError` for a failure before the first chunk.

    An :class:`HTTPError` without a body gets OpenAI's shape around its own message; one
    with a body is returned as it is. A ``BedrockError``'s class picks the status; anything
    else is a 500 with a generic message.
    """
    if isinstance(exc, HTTPError):
        if exc.body is not None:
            return exc
        name = "invalid_request_error" if exc.status_code < 500 else "server_error"
        body = error_body(exc.message, name)
        return HTTPError(exc.status_code, exc.message, headers=exc.headers, body=body)
    kind = _kind(exc)
    headers = {"Retry-After": RETRY_AFTER} if kind.status == 429 else None
    body = error_body(kind.message, kind.type, kind.code)
    return HTTPError(kind.status, kind.message, headers=headers, body=body)


def frame_error(exc: BaseException) -> dict[str, Any]:
    """Return the ``{"error": {...}}`` object of a failure after the first chunk."""
    error = http_error(exc).body
    assert error is not None
    return {"error": dict(error["error"])}


def with_http_errors(chunks: Iterable[T]) -> Iterator[T]:
    """Yield ``chunks``; a failure is re-raised as :func:`http_error`, OpenAI-shaped.

    Before the first chunk reaches the client, it is the error response. After it, on the
    streaming API, the handler's ``error_event`` turns it into the error frame (the same
    object); behind the buffered API nothing was sent yet, so it is the error response
    there too, in OpenAI's shape rather than the default ``{"message": ...}``.
    """
    try:
        yield from chunks
    except Exception as exc:
        raise http_error(exc) from exc
