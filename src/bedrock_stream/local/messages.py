"""The HTTP exchanges of the local front doors: a request read, a response to write."""

from __future__ import annotations

import json
from dataclasses import dataclass

__all__ = ["GatewayResponse", "Request"]


@dataclass(frozen=True)
class Request:
    """An HTTP request as the server read it: the raw target and header pairs, in order."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    source_ip: str = "127.0.0.1"


@dataclass(frozen=True)
class GatewayResponse:
    """A response API Gateway generates itself, or a function's buffered response."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @classmethod
    def message(cls, status: int, message: str) -> GatewayResponse:
        """Build the JSON error shape API Gateway uses: ``{"message": ...}`` as JSON."""
        body = json.dumps({"message": message}, separators=(",", ":")).encode()
        return cls(status, (("Content-Type", "application/json"),), body)
