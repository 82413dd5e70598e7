"""Reading an API Gateway proxy event: its headers, and its body as JSON text.

Every route takes JSON only: a body not declared ``application/json`` gets a 415, so that a
cross-site "simple" request (text/plain, a form) cannot skip the CORS preflight. A refusal
is built by the route's ``refuse(status, message)``, in its protocol's error shape.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any

from bedrock_stream import HTTPError

Refuse = Callable[[int, str], HTTPError]
"""Build a route's error response (status, message) in its protocol's shape."""


def header(event: Mapping[str, Any], name: str) -> str:
    """Return request header ``name`` (lower case), or "" when it is absent."""
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return str(value)
    return ""


def json_text(event: Mapping[str, Any], refuse: Refuse) -> str:
    """Return the body's text once it is declared JSON and is UTF-8; refuse it otherwise."""
    media_type = header(event, "content-type").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise refuse(415, "the request body must be sent as Content-Type: application/json")
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(raw, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise refuse(400, "the request body must be UTF-8 JSON") from None
    return str(raw)
