"""The emulator's admin endpoints: fault rules and the record of requests, for tests.

``POST /_emulator/faults`` adds a rule, ``DELETE /_emulator/faults`` clears them,
``GET /_emulator/requests`` lists requests. They refuse browsers (any ``Origin``, a
``Sec-Fetch-Site`` but ``none``: 403) and a POST body that is not JSON (415).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .. import head_rules
from ..http_exchange import BodyTooLarge

if TYPE_CHECKING:
    from ..http_exchange import Exchange
    from .faults import Faults
    from .record import RequestLog

__all__ = ["serve_admin"]


def serve_admin(exchange: Exchange, path: str, faults: Faults, log: RequestLog) -> None:
    """Answer a request to ``/_emulator/...``: fault rules and the record of requests."""
    refusal = _admin_refusal(exchange)
    if refusal is not None:
        exchange.respond_json(*refusal)
    elif path == "/_emulator/faults" and exchange.method == "POST":
        try:
            spec = json.loads(exchange.read_body(64 * 1024))
            faults.add(
                str(spec["fault"]),
                operation=spec.get("operation"),
                model=spec.get("model"),
                prompt=spec.get("prompt"),
                times=spec.get("times", 1),
            )
        except (ValueError, KeyError, TypeError, RecursionError, BodyTooLarge) as exc:
            exchange.respond_json(400, {"message": f"bad fault rule: {exc}"})
            return
        exchange.respond_json(200, {"rules": len(faults.rules)})
    elif path == "/_emulator/faults" and exchange.method == "DELETE":
        faults.clear()
        exchange.respond_json(200, {"rules": 0})
    elif path == "/_emulator/requests" and exchange.method == "GET":
        exchange.respond_json(200, log.summaries())
    else:
        exchange.respond_json(404, {"message": "not found"})


_JSON = "application/json"


def _admin_refusal(exchange: Exchange) -> tuple[int, dict[str, str]] | None:
    """Return the answer refusing a browser's or a non-JSON admin request; None to serve it."""
    if head_rules.from_browser(exchange.headers):
        return 403, {"message": "admin endpoints refuse browser requests (Origin, Sec-Fetch-Site)"}
    if exchange.method == "POST" and _has_body(exchange) and _media_type(exchange) != _JSON:
        return 415, {"message": f"an admin request body must be Content-Type: {_JSON}"}
    return None


def _has_body(exchange: Exchange) -> bool:
    """Say whether the request announces a body."""
    length = exchange.header("Content-Length")
    chunked = exchange.header("Transfer-Encoding") is not None
    return chunked or (length is not None and length.strip() != "0")


def _media_type(exchange: Exchange) -> str:
    """Return the request's media type, lowercase and without parameters ("" if none)."""
    return (exchange.header("Content-Type") or "").partition(";")[0].strip().lower()
