"""Failures before the first chunk → OpenAI-shaped HTTP errors."""

from __future__ import annotations

import pytest

from bedrock_stream.bedrock.errors import (
    InternalServerError,
    ServiceUnavailableError,
    ThrottlingError,
    UnknownModelError,
    ValidationError,
)
from bedrock_stream.chat_completions import http_error, model_not_found, models_list
from bedrock_stream.errors import HTTPError


@pytest.mark.parametrize(
    ("exc", "status", "type"),
    [
        (ThrottlingError("ThrottlingException: x"), 429, "rate_limit_error"),
        (ServiceUnavailableError("x"), 503, "server_error"),
        (InternalServerError("x"), 502, "server_error"),
        (ValidationError("x"), 400, "invalid_request_error"),
        (UnknownModelError("x"), 404, "invalid_request_error"),
        (RuntimeError("secret"), 500, "server_error"),
        (HTTPError(401, "bad key"), 401, "invalid_request_error"),
    ],
)
def test_status_and_shape(exc: Exception, status: int, type: str) -> None:
    error = http_error(exc)
    assert error.status_code == status
    assert error.body is not None
    assert error.body["error"]["type"] == type
    assert "secret" not in error.body["error"]["message"]
    assert ("Retry-After" in error.headers) == (status == 429)


def test_unknown_model_is_404_model_not_found() -> None:
    error = model_not_found("nope")
    assert error.status_code == 404
    assert error.body is not None and error.body["error"]["code"] == "model_not_found"


def test_models_list() -> None:
    body = models_list(["a", "b"])
    assert body["object"] == "list"
    assert [m["id"] for m in body["data"]] == ["a", "b"]
    assert body["data"][0]["object"] == "model"
