"""Exceptions a streaming handler raises or reports.

::

    HTTPError            raise before the first chunk to answer with a status and JSON message
    MidStreamError       the body failed after bytes were sent; carries the original exception
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["HTTPError", "MidStreamError"]


class HTTPError(Exception):
    """An error the client should see as an HTTP status with a JSON ``{"message": ...}`` body.

    Raise it from a handler (before its first chunk) for a 4xx or 5xx answer::

        raise HTTPError(400, "message must be a non-empty string")

    Raised after the first chunk, the status line has already gone out; the
    stream is then reported as failed like any other mid-stream error.
    """

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if isinstance(status_code, bool) or not isinstance(status_code, int):
            raise TypeError(f"status_code must be an int, not {type(status_code).__name__}")
        if not 400 <= status_code <= 599:
            raise ValueError(f"status_code must be an error status 400-599, got {status_code}")
        super().__init__(status_code, message)
        self.status_code = status_code
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})

    def __str__(self) -> str:
        return f"{self.status_code}: {self.message}"


class MidStreamError(Exception):
    """A response body that failed after its first bytes were written to the sink.

    The status line and part of the body are already on their way, so the
    failure cannot become an HTTP error response. The streaming runtime reports
    it as Runtime API error trailers built from :attr:`error`, the exception the
    body raised (also chained as ``__cause__``).
    """

    def __init__(self, error: BaseException) -> None:
        super().__init__(f"response stream failed after its first chunk: {type(error).__name__}")
        self.error = error
