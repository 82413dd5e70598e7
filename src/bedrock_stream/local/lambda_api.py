"""The Lambda service API on loopback: ``Invoke`` and ``InvokeWithResponseStream``.

A real boto3 ``lambda`` client with ``endpoint_url`` drives the local functions
directly. ``Invoke`` answers as Lambda does (the payload; ``X-Amz-Function-Error:
Unhandled`` with the error document when the function failed; 202 for ``Event``,
204 for ``DryRun``). ``InvokeWithResponseStream`` answers with an
``application/vnd.amazon.eventstream`` body: a ``PayloadChunk`` event for each piece
of the response as it arrives, then one ``InvokeComplete`` event whose ``ErrorCode``
and ``ErrorDetails`` carry the runtime's error trailers (decoded), or an error
reported before the response began. The HTTP ``Content-Type`` is the function's own,
which botocore returns as ``ResponseStreamContentType``.

Function names may be given as the template's logical id, an ARN or a partial ARN;
qualifiers are ignored (every function is ``$LATEST``).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from bedrock_stream.local.http_exchange import BodyTooLarge, ClientGone, Exchange
from bedrock_stream.local.http_server import HTTPServer
from bedrock_stream.local.http_service import HTTPService
from bedrock_stream.local.invocation import (
    BodyChunk,
    Done,
    Event,
    InvocationError,
    ResponseStarted,
)
from bedrock_stream.local.invoker import MAX_EVENT, TooManyRequests, event_too_large
from bedrock_stream.protocol.eventstream import encode_message

if TYPE_CHECKING:
    from collections.abc import Collection

    from bedrock_stream.local.invoker import FunctionInvocation, Invoker

__all__ = ["LambdaApiServer", "function_name"]

_INVOKE = "/2015-03-31/functions/"
_STREAM = "/2021-11-15/functions/"
_VERSION = ("X-Amz-Executed-Version", "$LATEST")
_log = logging.getLogger("bedrock_stream.local")
_CLOSE_CHECK = 0.5
"""Seconds between checks, while a function is busy, that the server is not closing."""


def function_name(identifier: str) -> str:
    """Return the function name in a name, an ARN or a partial ARN (``123:function:name``)."""
    parts = identifier.split(":")
    if "function" in parts:
        return parts[parts.index("function") + 1]
    return identifier


def payload_chunk(data: bytes) -> bytes:
    """Encode a ``PayloadChunk`` event carrying ``data``."""
    return encode_message(
        [
            (":event-type", "PayloadChunk"),
            (":content-type", "application/octet-stream"),
            (":message-type", "event"),
        ],
        data,
    )


def invoke_complete(error: InvocationError | None) -> bytes:
    """Encode the ``InvokeComplete`` event, with the error's code and details if any."""
    document: dict[str, str] = {}
    if error is not None:
        document = {
            "ErrorCode": error.error_type,
            "ErrorDetails": error.body.decode("utf-8", "replace"),
        }
    return encode_message(
        [
            (":event-type", "InvokeComplete"),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ],
        json.dumps(document).encode(),
    )


class LambdaApiServer(HTTPService):
    """Lambda's ``Invoke`` and ``InvokeWithResponseStream`` for the given functions.

    :attr:`url` is the ``endpoint_url`` for a boto3 ``lambda`` client.

    Args:
        functions: the names a client may invoke.
        lambdas: runs them.
        host: the address to listen on.
        port: the port; 0 picks a free one.
    """

    def __init__(
        self,
        functions: Collection[str],
        lambdas: Invoker,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.functions = frozenset(functions)
        self._lambdas = lambdas
        self.server = HTTPServer(self._handle, host, port, name="lambda-api", browsers=False)

    def _handle(self, exchange: Exchange) -> None:
        path = exchange.target.partition("?")[0]  # a Qualifier is ignored: all are $LATEST
        streaming = path.startswith(_STREAM)
        prefix = _STREAM if streaming else _INVOKE
        suffix = "/response-streaming-invocations" if streaming else "/invocations"
        if exchange.method != "POST" or not path.startswith(prefix) or not path.endswith(suffix):
            _error(exchange, 404, "UnknownOperationException", f"unknown operation {path}")
            return
        name = function_name(unquote(path[len(prefix) : -len(suffix)]))
        if name not in self.functions:
            message = f"Function not found: arn:aws:lambda:us-east-1:123456789012:function:{name}"
            _error(exchange, 404, "ResourceNotFoundException", message)
            return
        try:
            payload = exchange.read_body(MAX_EVENT)
        except BodyTooLarge:
            _error(exchange, 413, "RequestEntityTooLargeException", event_too_large())
            return
        if payload and not _is_json(payload):
            _error(
                exchange,
                400,
                "InvalidRequestContentException",
                "Could not parse request body into json",
            )
            return
        invocation_type = exchange.header("x-amz-invocation-type") or "RequestResponse"
        if invocation_type not in ("RequestResponse", "Event", "DryRun"):
            message = f"Invalid invocation type: {invocation_type}"
            _error(exchange, 400, "InvalidParameterValueException", message)
            return
        if invocation_type == "DryRun":
            exchange.respond(204, [_VERSION])
            return
        client_context = exchange.header("x-amz-client-context")
        if client_context is not None and not _is_base64_json(client_context):
            _error(
                exchange,
                400,
                "InvalidRequestContentException",
                "Client context must be valid base64 JSON",
            )
            return
        try:
            invocation = self._lambdas.invoke(
                name, payload or b"{}", streaming=streaming, client_context=client_context
            )
        except TooManyRequests:
            _error(
                exchange,
                429,
                "TooManyRequestsException",
                "Rate Exceeded.",
                Reason="ReservedFunctionConcurrentInvocationLimitExceeded",
            )
            return
        if invocation_type == "Event" and not streaming:
            invocation.detach()
            exchange.respond(202, [])
            return
        try:
            answer = _stream if streaming else _buffered
            answer(exchange, _events(invocation, self.server))
        except BaseException:  # the client left, the answer failed, or we close
            invocation.detach()  # the function runs on to its end
            raise


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data)
    except (ValueError, RecursionError):
        return False
    return True


def _is_base64_json(text: str) -> bool:
    try:
        return _is_json(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        return False


def _error(exchange: Exchange, status: int, error_type: str, message: str, **extra: Any) -> None:
    body = json.dumps({"Type": "User", "message": message, **extra}).encode()
    exchange.respond(
        status,
        [("Content-Type", "application/json"), ("x-amzn-ErrorType", f"{error_type}:")],
        body,
    )


def _events(invocation: FunctionInvocation, server: HTTPServer) -> Iterator[Event]:
    """Yield the invocation's events up to :class:`Done`; ClientGone once the server closes.

    A busy function must not keep the server's close (a stop signal) waiting.
    """
    while True:
        try:
            event = invocation.next_event(_CLOSE_CHECK, keep=False)
        except TimeoutError:
            if server.closing:
                raise ClientGone("the Lambda API is closing") from None
            continue
        yield event
        if isinstance(event, Done):
            return


def _buffered(exchange: Exchange, events: Iterator[Event]) -> None:
    body: list[bytes] = []
    error: InvocationError | None = None
    for event in events:
        if isinstance(event, BodyChunk):
            body.append(event.data)
        elif isinstance(event, InvocationError):
            error = event
    headers = [_VERSION, ("Content-Type", "application/json")]
    if error is not None:
        headers.append(("X-Amz-Function-Error", "Unhandled"))
        exchange.respond(
            200, headers, error.body or json.dumps({"errorType": error.error_type}).encode()
        )
    else:
        exchange.respond(200, headers, b"".join(body))


def _stream(exchange: Exchange, events: Iterator[Event]) -> None:
    for event in events:
        if isinstance(event, ResponseStarted):
            exchange.start(200, [_VERSION, ("Content-Type", event.content_type)])
        elif isinstance(event, BodyChunk):
            exchange.send(payload_chunk(event.data))
        elif isinstance(event, InvocationError | Done):
            if not exchange.started:
                exchange.start(200, [_VERSION, ("Content-Type", "application/json")])
            error = event if isinstance(event, InvocationError) else None
            exchange.send(invoke_complete(error))
            exchange.end()
            return
