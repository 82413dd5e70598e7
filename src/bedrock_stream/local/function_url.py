"""Lambda function URL behaviour, sans I/O: payload 2.0 events and buffered responses.

A function URL passes every path and method to its function as a payload format
2.0 event. In ``BUFFERED`` mode it reads the function's result as a 2.0 response;
in ``RESPONSE_STREAM`` mode a result with the HTTP integration content type is
split with :class:`~bedrock_stream.http_integration.PreludeDecoder`, and any
other content type is passed through raw with status 200.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

from bedrock_stream.local.deployment import ACCOUNT
from bedrock_stream.local.messages import (
    GatewayResponse,
    Request,
    forwarded_headers,
    read_proxy_fields,
)
from bedrock_stream.protocol.headers import header_values, joined_headers
from bedrock_stream.proxy import is_text

__all__ = ["FORBIDDEN", "buffered_response", "iam_authorizer", "url_event"]

BAD_GATEWAY = GatewayResponse.message(502, "Internal Server Error")
THROTTLED = GatewayResponse.message(429, "Too Many Requests")
"""The function is at its concurrency limit."""
FORBIDDEN = GatewayResponse.message(403, "Forbidden", "AccessDeniedException", key="Message")
"""An ``AWS_IAM`` URL's answer to a request that is not signed by a known principal."""


def iam_authorizer(access_key: str) -> dict[str, Any]:
    """Return ``requestContext.authorizer`` of a request an ``AWS_IAM`` URL authenticated."""
    return {
        "iam": {
            "accessKey": access_key,
            "accountId": ACCOUNT,
            "callerId": access_key,
            "cognitoIdentity": None,
            "principalOrgId": None,
            "userArn": f"arn:aws:iam::{ACCOUNT}:user/local",
            "userId": access_key,
        }
    }


def url_event(
    request: Request,
    *,
    url_id: str = "local",
    request_id: str | None = None,
    now: float | None = None,
    trace_id: str | None = None,
) -> dict[str, Any]:
    """Build the payload format 2.0 event a function URL sends for ``request``.

    Header names are lower case and repeated headers comma-joined; ``Cookie``
    headers become ``cookies``. A body whose content type is not textual travels
    base64-encoded. The headers a function URL adds are added
    (:func:`~bedrock_stream.local.messages.forwarded_headers`).
    """
    request_id = request_id or str(uuid.uuid4())
    now = time.time() if now is None else now
    cookies = [
        part.strip()
        for value in header_values(request.headers, "cookie")
        for part in value.split(";")
        if part.strip()
    ]
    headers = joined_headers(forwarded_headers(request, trace_id), separator=",")
    headers.pop("cookie", None)
    path, _, query = request.target.partition("?")
    parameters: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        parameters[key] = f"{parameters[key]},{value}" if key in parameters else value
    domain = headers.get("host", "localhost")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": url_id,
            "domainName": domain,
            "domainPrefix": domain.split(".", 1)[0],
            "http": {
                "method": request.method.upper(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if parameters:
        event["queryStringParameters"] = parameters
    if request.body:
        text = _utf8(request.body) if is_text(headers.get("content-type")) else None
        event["isBase64Encoded"] = text is None
        event["body"] = text if text is not None else base64.b64encode(request.body).decode()
    return event


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def buffered_response(payload: bytes) -> GatewayResponse:
    """Read a function's buffered result as a function URL does (payload format 2.0).

    An object with ``statusCode`` is a response: ``headers``, ``cookies``, ``body``
    and ``isBase64Encoded`` apply. Any other valid JSON is itself the body, sent
    with status 200 and ``Content-Type: application/json``. Anything else is a 502.
    """
    try:
        result = json.loads(payload)
    except (ValueError, RecursionError):
        return BAD_GATEWAY
    if not isinstance(result, dict) or "statusCode" not in result:
        return GatewayResponse(200, (("Content-Type", "application/json"),), payload)
    headers = result.get("headers") or {}
    cookies = result.get("cookies") or []
    if not isinstance(headers, dict) or not isinstance(cookies, list):
        return BAD_GATEWAY
    pairs = [(str(name), str(value)) for name, value in headers.items()]
    pairs += [("Set-Cookie", str(cookie)) for cookie in cookies]
    read = read_proxy_fields(
        result["statusCode"], pairs, result.get("body"), result.get("isBase64Encoded")
    )
    return BAD_GATEWAY if read is None else read
