"""The HTTP request inside an API Gateway or function URL event, as a web server would see it.

An app adapter (:mod:`bedrock_stream.asgi`, :mod:`bedrock_stream.wsgi`) gives the app the
request a web server in front of it would have parsed; :func:`http_request` rebuilds it from
the proxy event, sans I/O:

* **REST APIs (payload 1.0).** ``path`` is the path after the stage, still percent-encoded
  as the client sent it; ``requestContext.path`` is the whole path, stage prefix included
  (``/Prod/ask``). The prefix is the request's :attr:`~HTTPRequest.root_path` and
  :attr:`~HTTPRequest.path` keeps it, as under uvicorn's ``--root-path``: an app behind a
  stage builds its URLs with the stage in them. On a custom domain the prefix is the base
  path mapping's, or nothing. Headers and the query come from the ``multiValue`` fields;
  API Gateway decodes the query, so it is encoded again, keys in first-seen order.
* **Function URLs (payload 2.0).** ``rawPath`` and ``rawQueryString`` are the client's;
  there is no prefix. Cookies arrive apart (``cookies``) and go back into one ``Cookie``
  header; a repeated header arrives comma-joined, which HTTP allows for all but cookies.

The client's port is not in either format: :attr:`~HTTPRequest.client` carries port 0.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import unquote, urlencode

from bedrock_stream.errors import AppAdapterError
from bedrock_stream.proxy import payload_version

__all__ = ["HTTPRequest", "NotAnHTTPEvent", "http_request"]


class NotAnHTTPEvent(AppAdapterError, TypeError):
    """The event is not an API Gateway or function URL request (a raw invocation, say)."""


class HTTPRequest(NamedTuple):
    """One HTTP request, with the fields ASGI's scope and WSGI's environ are made of."""

    method: str
    """Upper case."""
    path: str
    """Percent-decoded, :attr:`root_path` included."""
    raw_path: bytes
    """:attr:`path` as the client sent it (percent-encoded)."""
    root_path: str
    """The stage prefix (``/Prod``) or base path the API serves the app under, or ``""``."""
    query_string: bytes
    """Percent-encoded, without the ``?``."""
    headers: list[tuple[str, str]]
    """Lower-case names, in order, repeats kept; the cookies as one ``cookie`` header."""
    body: bytes
    client: tuple[str, int] | None
    server: tuple[str, int] | None
    scheme: str
    """``https`` unless ``X-Forwarded-Proto`` says otherwise."""
    http_version: str
    """``1.1``, ``2`` ...: the client's protocol version, as API Gateway reports it."""


def http_request(event: Any) -> HTTPRequest:
    """Return the request that ``event`` carries.

    Raises:
        NotAnHTTPEvent: ``event`` is not a payload 1.0 or 2.0 proxy event.
    """
    version = payload_version(event)
    if (
        version is None
        and isinstance(event, Mapping)
        and "connectionId" in (event.get("requestContext") or {})
    ):
        raise NotAnHTTPEvent(
            "a WebSocket API event: an app adapter serves HTTP requests only (Lambda keeps no "
            "connection for an ASGI websocket scope)"
        )
    if version is None:
        raise NotAnHTTPEvent(
            "not an API Gateway or function URL event: an app adapter serves HTTP requests only"
        )
    context: Mapping[str, Any] = event["requestContext"]
    if version == "1.0":
        method = str(event.get("httpMethod") or "GET")
        raw, root = _rest_path(event, context)
        query = _rest_query(event)
        headers = _rest_headers(event)
        source = (context.get("identity") or {}).get("sourceIp")
        protocol = context.get("protocol")
    else:
        http = context.get("http") or {}
        method = str(http.get("method") or "GET")
        raw, root = str(event.get("rawPath") or "/"), ""
        query = str(event.get("rawQueryString") or "").encode("utf-8", "replace")
        headers = _url_headers(event)
        source = http.get("sourceIp")
        protocol = http.get("protocol")
    scheme = _scheme(_last(headers, "x-forwarded-proto"))
    return HTTPRequest(
        method=method.upper(),
        path=unquote(raw),
        raw_path=raw.encode("utf-8", "replace"),
        root_path=root,
        query_string=query,
        headers=headers,
        body=_body(event),
        client=(str(source), 0) if source else None,
        server=_server(headers, context, scheme),
        scheme=scheme,
        http_version=_version(protocol),
    )


def _rest_path(event: Mapping[str, Any], context: Mapping[str, Any]) -> tuple[str, str]:
    """Return the whole raw path and the prefix before the path the API routed.

    The routed path is the ``resource`` with its path parameters filled in: on a custom
    domain with a base path mapping, ``path`` itself starts with the base path.
    """
    path = str(event.get("path") or "/")
    whole = str(context.get("path") or path)
    routed = _routed(event)
    if routed == "/" and whole.startswith("/"):  # the root: "/Prod" (stage), "/v1" (base path)
        root = whole.rstrip("/")
        return root + "/", unquote(root)
    decoded = unquote(whole)
    if routed is not None and decoded.endswith(routed):
        return whole, decoded[: len(decoded) - len(routed)].rstrip("/")
    if whole.endswith(path):
        root = whole[: len(whole) - len(path)]
    elif path == "/" and whole.startswith("/"):
        root = whole.rstrip("/")  # "/Prod" for the stage's root
    else:
        root = ""
    root = root.rstrip("/")
    return root + path, unquote(root)


def _routed(event: Mapping[str, Any]) -> str | None:
    """Return the ``resource`` with its ``pathParameters`` in place, or None if one is missing."""
    resource = event.get("resource")
    parameters = event.get("pathParameters") or {}
    if not isinstance(resource, str) or not isinstance(parameters, Mapping):
        return None
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1)
        found = parameters.get(name, parameters.get(name + "+"))
        missing = missing or found is None
        return str(found or "")

    routed = _PARAMETER.sub(value, resource)
    return None if missing else routed


_PARAMETER = re.compile(r"\{([^{}+]+)\+?\}")
"""A path parameter in a REST resource: ``{id}``, or greedy ``{proxy+}``."""


def _rest_query(event: Mapping[str, Any]) -> bytes:
    multi = event.get("multiValueQueryStringParameters")
    if not multi:
        single = event.get("queryStringParameters") or {}
        multi = {key: [value] for key, value in single.items()}
    pairs = [(key, value) for key, values in multi.items() for value in values or ()]
    return urlencode(pairs).encode("ascii")


def _rest_headers(event: Mapping[str, Any]) -> list[tuple[str, str]]:
    multi = event.get("multiValueHeaders")
    if not multi:
        single = event.get("headers") or {}
        multi = {name: [value] for name, value in single.items()}
    return [(name.lower(), str(value)) for name, values in multi.items() for value in values or ()]


def _url_headers(event: Mapping[str, Any]) -> list[tuple[str, str]]:
    cookies = event.get("cookies")
    headers = [
        (name.lower(), str(value))
        for name, value in (event.get("headers") or {}).items()
        if not (cookies and name.lower() == "cookie")  # the same cookies, in their own field
    ]
    if cookies:
        headers.append(("cookie", "; ".join(cookies)))
    return headers


def _body(event: Mapping[str, Any]) -> bytes:
    body = event.get("body")
    if not body:
        return b""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return str(body).encode("utf-8")


def _last(headers: list[tuple[str, str]], name: str) -> str | None:
    found = [value for key, value in headers if key == name]
    return found[-1].split(",")[-1].strip() if found else None


def _scheme(forwarded: str | None) -> str:
    """``http`` or ``https`` as ``X-Forwarded-Proto`` says (any case), else ``https``."""
    scheme = (forwarded or "").lower()
    return scheme if scheme in ("http", "https") else "https"


def _server(
    headers: list[tuple[str, str]], context: Mapping[str, Any], scheme: str
) -> tuple[str, int] | None:
    host = _last(headers, "host") or context.get("domainName")
    if not host:
        return None
    name, colon, port = str(host).rpartition(":")
    if not (colon and port.isdigit() and not name.endswith(":")):  # no port, or bare IPv6
        name, port = str(host), _last(headers, "x-forwarded-port") or ""
    if not port.isdigit():
        port = "80" if scheme == "http" else "443"
    return name.strip("[]"), int(port)  # an IPv6 address without brackets, as uvicorn


def _version(protocol: object) -> str:
    """``HTTP/1.1`` → ``1.1``; ``HTTP/2.0`` → ``2``, as ASGI spells the versions after 1.1."""
    version = str(protocol or "HTTP/1.1").partition("/")[2] or "1.1"
    return version.removesuffix(".0") if not version.startswith("1.") else version
