"""The HTTP front doors of the local stack: API Gateway REST APIs and function URLs.

Each is a real HTTP server (:class:`~bedrock_stream.local.http_server.HTTPServer`)
and a thin shell: what API Gateway and function URLs do with a request and a response
lives, free of I/O, in :mod:`~bedrock_stream.local.rest_api` and
:mod:`~bedrock_stream.local.function_url`; relaying a function's response lives in
:mod:`~bedrock_stream.local.relay`.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from bedrock_stream.local import function_url, rest_api
from bedrock_stream.local.access import AccessControl, Refused, signed_by
from bedrock_stream.local.bandwidth import API_GATEWAY
from bedrock_stream.local.http_exchange import BodyTooLarge, Exchange
from bedrock_stream.local.http_server import HTTPServer
from bedrock_stream.local.http_service import HTTPService
from bedrock_stream.local.invoker import MAX_EVENT, Invoker, TooManyRequests, event_too_large
from bedrock_stream.local.messages import GatewayResponse, Request, new_trace_root
from bedrock_stream.local.relay import (
    Outcome,
    StreamLimits,
    relay_buffered,
    relay_stream,
    respond,
)
from bedrock_stream.sigv4 import SignatureError

if TYPE_CHECKING:
    from bedrock_stream.local.deployment import Function, RestApi

__all__ = ["FunctionUrlServer", "RestApiServer"]

STREAM_LIMIT = 15 * 60.0
"""The longest a streamed response may last, at API Gateway and at a function URL."""
REST_API_MAX_HEAD = 10_240
"""API Gateway's limit on a request line and its header fields, in bytes (431 beyond it).

Stricter than RFC 9112 requires of a server, and what a client of a REST API meets."""

_log = logging.getLogger("bedrock_stream.local")


EVENT_TOO_LARGE = GatewayResponse.message(413, event_too_large())
"""Lambda's answer to an event over its limit, passed on to the client."""


def _request(exchange: Exchange, body: bytes) -> Request:
    return Request(exchange.method, exchange.target, exchange.headers, body, exchange.client)


def _trace_id(exchange: Exchange) -> str:
    """Return the request's ``X-Amzn-Trace-Id``: the client's own, else a new one."""
    return exchange.header("x-amzn-trace-id") or new_trace_root()


def _extended_request_id() -> str:
    """Return a new extended request id (``x-amz-apigw-id``), like ``HiNnXXJkoAGF3fQ=``."""
    return base64.b64encode(secrets.token_bytes(11)).decode("ascii")


class RestApiServer(HTTPService):
    """The REST APIs of a template behind one port, stage first in the path (``/Prod/ask``).

    A route's URL is ``{url}/{stage}{path}``.

    Args:
        apis: the REST APIs to serve.
        lambdas: invokes the functions behind the routes.
        host: the address to listen on.
        port: the port; 0 picks a free one.
        bandwidth: shape streamed bodies like API Gateway (10 MB, then 2 MB/s).
        idle_timeout: seconds without a byte before a stream is cut (regional: 300).
        binary_media_types: request content types that reach the function base64-encoded.
        access: decides routes that need IAM, an authorizer or an API key; required when
            any route does, so that no protected route is ever served open.

    Raises:
        ValueError: a route needs authorization and ``access`` is None.
    """

    def __init__(
        self,
        apis: Iterable[RestApi],
        lambdas: Invoker,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bandwidth: bool = False,
        idle_timeout: float = 300.0,
        binary_media_types: Sequence[str] = (),
        access: AccessControl | None = None,
    ) -> None:
        self.apis = tuple(apis)
        protected = [
            f"{api.name} {route.method} {route.path}"
            for api in self.apis
            for route in api.routes
            if route.protected
        ]
        if protected and access is None:
            raise ValueError(f"{', '.join(protected)}: protected routes need an AccessControl")
        self._access = access
        self._router = rest_api.Router(self.apis)
        # An unmatched request belongs to the API behind this port when there is just one.
        self._only_api = self.apis[0] if len(self.apis) == 1 else None
        self._lambdas = lambdas
        self._bandwidth = API_GATEWAY if bandwidth else None
        self._idle_timeout = idle_timeout
        self._binary_media_types = tuple(binary_media_types)
        self.server = HTTPServer(
            self._handle, host, port, name="api-gateway", max_head=REST_API_MAX_HEAD
        )

    def _handle(self, exchange: Exchange) -> None:
        outcome = self._serve(exchange)
        _log.info(
            "api-gateway: %s %s -> %d %s",
            exchange.method,
            exchange.target,
            outcome.status,
            outcome.detail,
        )

    def _serve(self, exchange: Exchange) -> Outcome:
        request_id, extended_id, trace_id = (
            str(uuid.uuid4()),
            _extended_request_id(),
            _trace_id(exchange),
        )
        # On every answer, the function's or API Gateway's own, as API Gateway sends them.
        exchange.added_fields = (
            ("x-amzn-RequestId", request_id),
            ("x-amz-apigw-id", extended_id),
            ("X-Amzn-Trace-Id", trace_id),
        )
        match = self._router.match(exchange.method, exchange.target)
        api = match.api if match is not None else self._only_api

        def own(response_type: str, response: GatewayResponse) -> GatewayResponse:
            """Return an answer API Gateway generates itself, with the API's customization."""
            return rest_api.customized(api, response_type, response)

        if match is None:
            respond(exchange, own("MISSING_AUTHENTICATION_TOKEN", rest_api.MISSING_TOKEN))
            return Outcome(403, "no such route")
        route = match.route
        try:
            body = exchange.read_body(rest_api.MAX_REQUEST_BODY)
        except BodyTooLarge:
            respond(exchange, own("REQUEST_TOO_LARGE", rest_api.TOO_LARGE))
            return Outcome(413, "request body over 10 MB")
        request = _request(exchange, body)
        event = rest_api.proxy_event(
            request,
            match,
            request_id=request_id,
            binary_media_types=self._binary_media_types,
            trace_id=trace_id,
            extended_request_id=extended_id,
        )
        if self._access is not None and route.protected:
            decided = self._access.check(request, match, event)
            if isinstance(decided, Refused):
                respond(exchange, own(decided.response_type, decided.response))
                return Outcome(decided.response.status, decided.reason)
            decided.apply(event)
        if route.function is None:  # a MOCK integration: SAM's CORS preflight
            exchange.respond(200, list(route.mock_headers.items()))
            return Outcome(200, "mock integration")
        payload = json.dumps(event).encode()
        if len(payload) > MAX_EVENT:
            respond(exchange, own("REQUEST_TOO_LARGE", EVENT_TOO_LARGE))
            return Outcome(413, "event over Lambda's 6 MB limit")
        try:
            invocation = self._lambdas.invoke(route.function, payload, streaming=route.streaming)
        except TooManyRequests:
            respond(exchange, own("THROTTLED", rest_api.THROTTLED))
            return Outcome(429, "function at its concurrency limit")
        timeout = route.timeout_ms / 1000
        failed = own("INTEGRATION_FAILURE", rest_api.BAD_GATEWAY)
        timed_out = own("INTEGRATION_TIMEOUT", rest_api.TIMEOUT)
        if route.streaming:
            limits = StreamLimits(
                max_duration=min(timeout, STREAM_LIMIT),
                idle_timeout=self._idle_timeout,
                bandwidth=self._bandwidth,
            )
            return relay_stream(
                exchange,
                invocation,
                limits=limits,
                failed=failed,
                malformed=own("DEFAULT_5XX", rest_api.INTERNAL_ERROR),
                timed_out=timed_out,
                raw_allowed=False,
            )

        def read(payload: bytes) -> GatewayResponse:
            response = rest_api.buffered_response(payload)
            return failed if response is rest_api.BAD_GATEWAY else response

        return relay_buffered(
            exchange, invocation, timeout=timeout, read=read, failed=failed, timed_out=timed_out
        )


class FunctionUrlServer(HTTPService):
    """One function's URL (every path and method), ``BUFFERED`` or ``RESPONSE_STREAM``.

    Args:
        function: the function; its :attr:`~bedrock_stream.local.deployment.Function.url`
            gives the invoke mode.
        lambdas: invokes it.
        host: the address to listen on.
        port: the port; 0 picks a free one.
        iam_credentials: secret keys by access key; an ``AWS_IAM`` URL takes requests
            SigV4-signed with one of them (service ``lambda``) and answers others 403.
        region: the region of those signatures.

    Raises:
        ValueError: no ``FunctionUrlConfig``, or ``AWS_IAM`` without ``iam_credentials``.
    """

    def __init__(
        self,
        function: Function,
        lambdas: Invoker,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        iam_credentials: Mapping[str, str] | None = None,
        region: str = "us-east-1",
    ) -> None:
        if function.url is None:
            raise ValueError(f"{function.name} has no FunctionUrlConfig")
        if function.url.auth_type != "NONE" and iam_credentials is None:
            raise ValueError(f"{function.name}: an AWS_IAM function URL needs iam_credentials")
        self._iam = None if function.url.auth_type == "NONE" else dict(iam_credentials or {})
        self._region = region
        self.function = function
        self.streaming = function.url.invoke_mode == "RESPONSE_STREAM"
        self._lambdas = lambdas
        self.server = HTTPServer(self._handle, host, port, name=f"url-{function.name}")

    @property
    def url(self) -> str:
        """``http://host:port/``."""
        return self.server.url + "/"

    def _handle(self, exchange: Exchange) -> None:
        outcome = self._serve(exchange)
        _log.info(
            "url %s: %s %s -> %d %s",
            self.function.name,
            exchange.method,
            exchange.target,
            outcome.status,
            outcome.detail,
        )

    def _serve(self, exchange: Exchange) -> Outcome:
        request_id, trace_id = str(uuid.uuid4()), _trace_id(exchange)
        # On every answer, the function's or the URL's own, as a function URL sends them.
        exchange.added_fields = (("x-amzn-RequestId", request_id), ("X-Amzn-Trace-Id", trace_id))
        try:
            body = exchange.read_body(MAX_EVENT)
        except BodyTooLarge:
            respond(exchange, EVENT_TOO_LARGE)
            return Outcome(413, "request body over 6 MB")
        request = _request(exchange, body)
        event = function_url.url_event(request, request_id=request_id, trace_id=trace_id)
        if self._iam is not None:
            try:
                signed = signed_by(request, self._iam, region=self._region, service="lambda")
            except SignatureError as exc:
                respond(exchange, function_url.FORBIDDEN)
                return Outcome(403, f"IAM: {type(exc).__name__}")
            event["requestContext"]["authorizer"] = function_url.iam_authorizer(signed.access_key)
        payload = json.dumps(event).encode()
        if len(payload) > MAX_EVENT:
            respond(exchange, EVENT_TOO_LARGE)
            return Outcome(413, "event over Lambda's 6 MB limit")
        try:
            invocation = self._lambdas.invoke(self.function.name, payload, streaming=self.streaming)
        except TooManyRequests:
            respond(exchange, function_url.THROTTLED)
            return Outcome(429, "function at its concurrency limit")
        if self.streaming:
            return relay_stream(
                exchange,
                invocation,
                limits=StreamLimits(max_duration=STREAM_LIMIT, idle_timeout=STREAM_LIMIT),
                failed=function_url.BAD_GATEWAY,
                malformed=function_url.BAD_GATEWAY,
                timed_out=function_url.BAD_GATEWAY,
                raw_allowed=True,
                empty_allowed=True,
            )
        return relay_buffered(
            exchange,
            invocation,
            timeout=self.function.timeout + 5.0,  # the function's own timeout fires first
            read=function_url.buffered_response,
            failed=function_url.BAD_GATEWAY,
            timed_out=function_url.BAD_GATEWAY,
        )
