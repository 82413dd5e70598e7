"""API Gateway's Lambda proxy formats: recognising HTTP events, building buffered responses.

REST APIs send payload format 1.0 events and read ``multiValueHeaders``;
function URLs (and HTTP APIs) send 2.0 events and read top-level ``cookies``,
with no ``multiValueHeaders``. Anything else is a raw invocation, such as an
SDK ``Invoke`` or ``InvokeWithResponseStream`` call.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bedrock_stream.response import PayloadVersion, ResponseHead

__all__ = ["http_method", "is_text", "payload_version", "proxy_response"]

_TEXT_SUBTYPES = ("json", "xml", "javascript", "x-ndjson", "x-www-form-urlencoded", "yaml")


def payload_version(event: object) -> PayloadVersion | None:
    """Return the proxy payload version of an API Gateway or function URL event, else None."""
    if not isinstance(event, Mapping) or not isinstance(event.get("requestContext"), Mapping):
        return None
    if event.get("version") == "2.0":
        return "2.0"
    if "httpMethod" in event:
        return "1.0"
    return None


def http_method(event: Any) -> str:
    """Return the request method of a 1.0 or 2.0 proxy event (upper case), or ``""``."""
    if not isinstance(event, Mapping):
        return ""
    method = event.get("httpMethod")
    if method is None:
        method = event.get("requestContext", {}).get("http", {}).get("method", "")
    return str(method).upper()


def is_text(content_type: str | None) -> bool:
    """Whether a body of ``content_type`` travels as text rather than base64."""
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    kind, _, subtype = media.partition("/")
    return kind == "text" or subtype.endswith(_TEXT_SUBTYPES)


def proxy_response(head: ResponseHead, body: bytes, version: PayloadVersion) -> dict[str, Any]:
    """Build the buffered proxy response dict for ``head`` and ``body``.

    The body is a string when the content type is textual and the bytes are
    valid UTF-8; otherwise it is base64 with ``isBase64Encoded`` set. For 1.0,
    a repeated header (``Set-Cookie`` included) goes to ``multiValueHeaders``;
    for 2.0, repeated headers are comma-joined and cookies go top-level.
    """
    headers, multi, cookies = head.split(version)
    if version == "1.0" and cookies:
        multi["Set-Cookie"] = cookies
    text: str | None = "" if not body else None
    if text is None and is_text(head.content_type()):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    response: dict[str, Any] = {"statusCode": head.status_code, "headers": headers}
    if multi:
        response["multiValueHeaders"] = multi
    if version == "2.0" and cookies:
        response["cookies"] = cookies
    response["body"] = text if text is not None else base64.b64encode(body).decode("ascii")
    response["isBase64Encoded"] = text is None
    return response
