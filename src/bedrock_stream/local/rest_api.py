"""API Gateway REST API behaviour, sans I/O: routing, proxy events, buffered responses.

The local REST API server is a thin shell around this module: it parses HTTP with
h11, asks :class:`Router` for the route, builds the Lambda proxy event (payload
format 1.0) with :func:`proxy_event`, invokes the function, and turns a buffered
result into an HTTP response with :func:`buffered_response` (streamed results go
through :class:`~bedrock_stream.http_integration.PreludeDecoder`).

Answers API Gateway itself generates use its JSON shape ``{"message": ...}``.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from bedrock_stream.http_integration import PreludeDecoder, PreludeError
from bedrock_stream.local.deployment import ACCOUNT
from bedrock_stream.local.messages import (
    GatewayResponse,
    Request,
    forwarded_headers,
    host_parts,
    read_proxy_fields,
)
from bedrock_stream.protocol.headers import header

if TYPE_CHECKING:
    from bedrock_stream.local.deployment import RestApi, Route

GatewayResponseType = str
"""An API Gateway response type, e.g. ``MISSING_AUTHENTICATION_TOKEN``."""

__all__ = [
    "INTERNAL_ERROR",
    "MISSING_TOKEN",
    "Match",
    "Router",
    "buffered_response",
    "customized",
    "proxy_event",
]

MAX_REQUEST_BODY = 10 * 1024 * 1024
"""API Gateway's payload limit: larger requests are answered 413."""


MISSING_TOKEN = GatewayResponse.message(403, "Missing Authentication Token")
"""What API Gateway answers for an unknown route or method."""
INTERNAL_ERROR = GatewayResponse.message(500, "Internal server error")
BAD_GATEWAY = GatewayResponse.message(502, "Internal server error")
"""A Lambda proxy response API Gateway cannot read."""
TOO_LARGE = GatewayResponse.message(413, "Request Too Long")
TIMEOUT = GatewayResponse.message(504, "Endpoint request timed out")
THROTTLED = GatewayResponse.message(429, "Too Many Requests")
"""The function is at its concurrency limit (the status AWS returns is not verified)."""


@dataclass(frozen=True)
class Match:
    """A request matched to an API, stage and route, with its path parameters."""

    api: RestApi
    route: Route
    path: str
    """The path after the stage, e.g. ``/ask``."""
    path_parameters: Mapping[str, str]


class Router:
    """Match ``/{stage}/{path}`` against the routes of the REST APIs behind one port."""

    def __init__(self, apis: Iterable[RestApi]) -> None:
        self._routes: list[tuple[RestApi, Route, re.Pattern[str]]] = []
        for api in apis:
            for route in api.routes:
                self._routes.append((api, route, _path_pattern(route.path)))
        # Most specific first, as in API Gateway: segment by segment a literal beats a
        # parameter, which beats a greedy one; on one path a method beats ANY.
        self._routes.sort(key=lambda item: _precedence(item[1]))

    def match(self, method: str, target: str) -> Match | None:
        """Return the route for ``method`` and request ``target``, or None (API Gateway's 403)."""
        raw_path = target.split("?", 1)[0]
        stage, _, rest = raw_path.lstrip("/").partition("/")
        path = "/" + rest
        for api, route, pattern in self._routes:
            if api.stage != stage or route.method not in (method.upper(), "ANY"):
                continue
            found = pattern.fullmatch(path)
            if found is not None:
                parameters = {k.rstrip("+"): unquote(v) for k, v in found.groupdict().items()}
                return Match(api, route, path, _restore_names(route.path, parameters))
        return None


def _precedence(route: Route) -> tuple[tuple[int, ...], bool]:
    """Sort key of a route: each segment's kind (0 literal, 1 ``{x}``, 2 ``{x+}``), then ANY."""
    kinds = tuple(
        2 if segment.endswith("+}") else 1 if segment.startswith("{") else 0
        for segment in route.path.strip("/").split("/")
    )
    return kinds, route.method == "ANY"


def _path_pattern(resource: str) -> re.Pattern[str]:
    parts = []
    for segment in resource.strip("/").split("/") if resource != "/" else []:
        name = re.fullmatch(r"\{([A-Za-z0-9_]+)(\+?)\}", segment)
        if name is None:
            parts.append(re.escape(segment))
        elif name[2]:
            parts.append(f"(?P<{name[1]}>.+)")
        else:
            parts.append(f"(?P<{name[1]}>[^/]+)")
    return re.compile("/" + "/".join(parts))


def _restore_names(resource: str, parameters: dict[str, str]) -> dict[str, str]:
    """Greedy parameters keep their ``+`` in the event, as API Gateway sends them."""
    greedy = set(re.findall(r"\{([A-Za-z0-9_]+)\+\}", resource))
    return {f"{k}+" if k in greedy else k: v for k, v in parameters.items()}


def proxy_event(
    request: Request,
    match: Match,
    *,
    request_id: str | None = None,
    now: float | None = None,
    binary_media_types: Sequence[str] = (),
    trace_id: str | None = None,
    extended_request_id: str | None = None,
) -> dict[str, Any]:
    """Build the Lambda proxy integration event (payload format 1.0) for ``request``.

    The body travels as text unless its content type is one of
    ``binary_media_types`` or it is not valid UTF-8; then it is base64. The headers
    API Gateway adds are added (:func:`~bedrock_stream.local.messages.forwarded_headers`);
    ``extended_request_id`` (the ``x-amz-apigw-id`` answered) defaults to ``request_id``.
    Identity fields of callers the local stack has no notion of (Cognito, an IAM user)
    are null, as on AWS for an unauthenticated caller.
    """
    request_id = request_id or str(uuid.uuid4())
    now = time.time() if now is None else now
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in forwarded_headers(request, trace_id):
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query = request.target.partition("?")[2]
    multi_query: dict[str, list[str]] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        multi_query.setdefault(key, []).append(value)
    body, is_base64 = _event_body(request.body, headers, binary_media_types)
    stage = match.api.stage
    domain = request.header("host") or "localhost"
    return {
        "resource": match.route.path,
        "path": match.path,
        "httpMethod": request.method.upper(),
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(match.path_parameters) or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": match.route.path,
            "httpMethod": request.method.upper(),
            "path": f"/{stage}{match.path}",
            "stage": stage,
            "requestId": request_id,
            "extendedRequestId": extended_request_id or request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": int(now * 1000),
            "accountId": ACCOUNT,
            "apiId": match.api.name.lower()[:10],
            "resourceId": "local",
            "protocol": "HTTP/1.1",
            "domainName": domain,
            "domainPrefix": host_parts(domain)[0].split(".", 1)[0],
            "identity": {
                **dict.fromkeys(_NULL_IDENTITY),
                "sourceIp": request.source_ip,
                "userAgent": request.header("user-agent"),
            },
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


_NULL_IDENTITY = (
    "accessKey",
    "accountId",
    "caller",
    "cognitoAuthenticationProvider",
    "cognitoAuthenticationType",
    "cognitoIdentityId",
    "cognitoIdentityPoolId",
    "principalOrgId",
    "user",
    "userArn",
)
"""``requestContext.identity`` fields API Gateway sends as null for an anonymous caller."""


def _event_body(
    body: bytes, headers: Mapping[str, str], binary_media_types: Sequence[str]
) -> tuple[str | None, bool]:
    if not body:
        return None, False
    content_type = header(headers.items(), "content-type") or ""
    media = content_type.split(";", 1)[0].strip().lower()
    if media and any(_media_matches(media, pattern) for pattern in binary_media_types):
        return base64.b64encode(body).decode("ascii"), True
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True


def _media_matches(media: str, pattern: str) -> bool:
    kind, _, subtype = pattern.lower().partition("/")
    media_kind, _, media_subtype = media.partition("/")
    return (kind in ("*", media_kind)) and (subtype in ("*", media_subtype))


def customized(
    api: RestApi | None, response_type: GatewayResponseType, response: GatewayResponse
) -> GatewayResponse:
    """Apply the API's gateway response for ``response_type`` to an answer it generated.

    The type's own customization wins, else ``DEFAULT_4XX`` / ``DEFAULT_5XX`` by status
    class, as API Gateway falls back. Headers are added (e.g. CORS on errors).
    """
    if api is None:
        return response
    default = "DEFAULT_4XX" if response.status < 500 else "DEFAULT_5XX"
    spec = api.gateway_responses.get(response_type) or api.gateway_responses.get(default)
    if spec is None:
        return response
    names = {name.lower() for name, _ in spec.headers}
    headers = tuple(h for h in response.headers if h[0].lower() not in names) + spec.headers
    return GatewayResponse(spec.status or response.status, headers, response.body)


def buffered_response(payload: bytes) -> GatewayResponse:
    """Read a Lambda proxy integration response, as a BUFFERED REST integration does.

    ``headers`` and ``multiValueHeaders`` are merged (multi-values win for a name
    in both); a base64 body is decoded. A streaming function's output (a prelude,
    8 NULs, a body) gives the prelude's status and headers without the body, as
    AWS documents for a streaming function behind a BUFFERED integration. Anything
    else API Gateway cannot read gives 502 ``{"message": "Internal server error"}``.
    """
    try:
        response = json.loads(payload)
    except (ValueError, RecursionError):
        return _prelude_without_body(payload)
    if not isinstance(response, dict):
        return BAD_GATEWAY
    status = response.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    headers = response.get("headers") or {}
    multi = response.get("multiValueHeaders") or {}
    if not isinstance(headers, dict) or not isinstance(multi, dict):
        return BAD_GATEWAY
    pairs: list[tuple[str, str]] = []
    lowered_multi = {str(k).lower() for k in multi}
    for name, value in headers.items():
        if str(name).lower() not in lowered_multi:
            pairs.append((str(name), _scalar(value)))
    for name, values in multi.items():
        if not isinstance(values, list):
            return BAD_GATEWAY
        pairs.extend((str(name), _scalar(value)) for value in values)
    read = read_proxy_fields(status, pairs, response.get("body"), response.get("isBase64Encoded"))
    return BAD_GATEWAY if read is None else read


def _prelude_without_body(payload: bytes) -> GatewayResponse:
    decoder = PreludeDecoder()
    try:
        decoder.feed(payload)
    except PreludeError:
        return BAD_GATEWAY
    prelude = decoder.prelude
    if prelude is None:
        return BAD_GATEWAY
    return GatewayResponse(prelude.status_code, tuple(prelude.fields()), b"")


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
