"""The HTTP exchanges of the local front doors: a request read, a response to write."""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import time
from dataclasses import dataclass

from bedrock_stream.protocol.headers import FIELD_NAME, header, header_values

__all__ = [
    "GatewayResponse",
    "Request",
    "forwarded_headers",
    "host_parts",
    "new_trace_root",
    "read_proxy_fields",
]


@dataclass(frozen=True)
class Request:
    """An HTTP request as the server read it: the raw target and header pairs, in order."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    source_ip: str = "127.0.0.1"

    def header(self, name: str) -> str | None:
        """Return the first header ``name`` (any case), or None."""
        return header(self.headers, name)


def new_trace_root() -> str:
    """Return a new X-Ray trace id, ``Root=1-<time>-<24 hex digits>``, as a front door adds."""
    return f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"


def host_parts(host: str) -> tuple[str, str | None]:
    """Split a ``Host`` field into its host and its port, if any (``[::1]:3000``: ``::1``)."""
    name = host[1:].partition("]")[0] if host.startswith("[") else host.partition(":")[0]
    port = re.search(r":(\d+)$", host)
    return name, None if port is None else port[1]


_FORWARDED = ("x-forwarded-for", "x-forwarded-port", "x-forwarded-proto")


def forwarded_headers(request: Request, trace_id: str | None = None) -> list[tuple[str, str]]:
    """Return ``request``'s headers with those API Gateway and function URLs add to the event.

    ``X-Forwarded-For`` gets the client's address appended (after any value the client sent),
    ``X-Forwarded-Port`` is the port of the ``Host`` the client called (80 without one) and
    ``X-Forwarded-Proto`` is ``http``: the local stack serves plain HTTP where AWS serves
    HTTPS on 443. ``X-Amzn-Trace-Id`` is ``trace_id`` unless the client sent its own.
    """
    kept = [(k, v) for k, v in request.headers if k.lower() not in _FORWARDED]
    chain = header_values(request.headers, "x-forwarded-for")
    port = host_parts(request.header("host") or "")[1] or "80"
    added = [
        ("X-Forwarded-For", ", ".join([*chain, request.source_ip])),
        ("X-Forwarded-Port", port),
        ("X-Forwarded-Proto", "http"),
    ]
    if trace_id is not None and request.header("x-amzn-trace-id") is None:
        added.append(("X-Amzn-Trace-Id", trace_id))
    return kept + added


@dataclass(frozen=True)
class GatewayResponse:
    """A response API Gateway generates itself, or a function's buffered response."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @classmethod
    def message(
        cls, status: int, message: str, error_type: str | None = None, *, key: str = "message"
    ) -> GatewayResponse:
        """Build the JSON error shape API Gateway uses: ``{"message": ...}`` as JSON.

        ``error_type`` becomes the ``x-amzn-ErrorType`` header; ``key`` is ``Message`` in
        the answers to a Lambda authorizer's denial.
        """
        body = json.dumps({key: message}, separators=(",", ":")).encode()
        headers = [("Content-Type", "application/json")]
        if error_type is not None:
            headers.append(("x-amzn-ErrorType", error_type))
        return cls(status, tuple(headers), body)


def read_proxy_fields(
    status: object, headers: list[tuple[str, str]], body: object, is_base64: object
) -> GatewayResponse | None:
    """Build the response a Lambda proxy result's fields describe.

    Returns None when API Gateway could not read them: a status outside 100-599, a
    header name that is not an HTTP token, a CR, LF or NUL in a header, a body that is
    not a string, or invalid base64.
    """
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        return None
    if not all(FIELD_NAME.fullmatch(name) for name, _ in headers):
        return None
    if any(ch in text for pair in headers for text in pair for ch in "\r\n\0"):
        return None
    if body is None:
        data = b""
    elif not isinstance(body, str):
        return None
    elif is_base64 is True:
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return None
    else:
        data = body.encode()
    return GatewayResponse(status, tuple(headers), data)
