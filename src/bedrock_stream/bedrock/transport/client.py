"""The built-in Bedrock Runtime client: the four calls over one kept-alive connection.

:class:`BuiltinClient` answers ``converse``, ``converse_stream``, ``invoke_model`` and
``invoke_model_with_response_stream`` with what a boto3 ``bedrock-runtime`` client's methods
return (the parts :mod:`bedrock_stream.bedrock.client` reads), so the library drives either
one the same way. It signs with SigV4 (service ``bedrock``) or sends a Bedrock API key, and
raises :mod:`bedrock_stream.bedrock.errors`' classes itself: a refused call as the service's
error, a connection that cannot be made or a reply that never starts as a
:class:`~bedrock_stream.bedrock.errors.BedrockError` without a code, a body that breaks off
or stops making sense as an :class:`~bedrock_stream.bedrock.errors.IncompleteStreamError`.
The wire format is :mod:`.operations`'; the connection :mod:`.connection`'s.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import quote

from bedrock_stream import __version__
from bedrock_stream._sigv4.signing import sign
from bedrock_stream.bedrock.errors import BedrockError, IncompleteStreamError
from bedrock_stream.protocol.eventstream_decoder import EventStreamDecodeError, EventStreamDecoder

from .connection import BodyBroken, ConnectFailed, NoResponse, Pool, Response, ResponseTimeout
from .credentials import Bearer
from .operations import (
    OPERATIONS,
    decode_converse,
    decode_message,
    encode_request,
    error_from_response,
    invoke_fields,
)

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs milliseconds
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from .credentials import CredentialSource
    from .endpoints import Endpoint
    from .operations import Operation

__all__ = ["BuiltinClient"]

SIGNING_NAME = "bedrock"
"""The SigV4 service name Bedrock Runtime's requests are signed for."""
USER_AGENT = f"bedrock-stream/{__version__} Python/{sys.version_info[0]}.{sys.version_info[1]}"
_READ_SIZE = 64 * 1024


def _broken(exc: BaseException) -> IncompleteStreamError:
    message = f"the response broke off ({type(exc).__name__}): the answer is incomplete"
    return IncompleteStreamError(message)


class EventStream:
    """An answer's events as botocore's ``EventStream`` yields them; :meth:`close` ends it."""

    def __init__(self, response: Response) -> None:
        self._response = response
        self._decoder = EventStreamDecoder()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        decoder, response = self._decoder, self._response
        try:
            while data := response.read(_READ_SIZE):
                for message in decoder.feed(data):
                    if (event := decode_message(message)) is not None:
                        yield event
            decoder.close()
        except (BodyBroken, EventStreamDecodeError) as exc:
            raise _broken(exc) from exc

    def close(self) -> None:
        """Stop reading; a connection left mid-answer is closed, not reused."""
        self._response.close()


class Body:
    """A buffered answer's body, read once as botocore's ``StreamingBody`` is."""

    def __init__(self, response: Response) -> None:
        self._response = response

    def read(self) -> bytes:
        """Return the whole body."""
        try:
            return self._response.read()
        except BodyBroken as exc:
            raise _broken(exc) from exc

    def close(self) -> None:
        """Discard what is left of the body."""
        self._response.close()


class BuiltinClient:
    """A ``bedrock-runtime`` client on the standard library, for the calls the library makes.

    Args:
        endpoint: Where to send requests, and the region they are signed for.
        auth: A Bedrock API key, or where SigV4 credentials come from (read per request,
            so a refreshing source is asked each time).
        connect_timeout: Seconds to connect (and shake hands).
        read_timeout: Seconds any read may wait, for the head or for the next bytes.
        ca_bundle: A PEM file of the certificate authorities to trust instead of the
            system's (``AWS_CA_BUNDLE``).
    """

    def __init__(
        self,
        endpoint: Endpoint,
        auth: Bearer | CredentialSource,
        *,
        connect_timeout: float,
        read_timeout: float,
        ca_bundle: str | None = None,
    ) -> None:
        self.endpoint = endpoint
        self._auth = auth
        self._pool = Pool(
            endpoint.url,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            ca_bundle=ca_bundle,
        )

    def __repr__(self) -> str:
        return f"BuiltinClient({self.endpoint.url!r}, region={self.endpoint.region!r})"

    def converse(self, **arguments: Any) -> dict[str, Any]:
        """Converse: the answer as botocore parses it."""
        response = self._call(OPERATIONS["Converse"], arguments)
        metadata = _metadata(response.status, response.headers.joined())
        return {**decode_converse(Body(response).read()), **metadata}

    def converse_stream(self, **arguments: Any) -> dict[str, Any]:
        """ConverseStream: ``{"stream": EventStream, ...}``."""
        response = self._call(OPERATIONS["ConverseStream"], arguments)
        metadata = _metadata(response.status, response.headers.joined())
        return {"stream": EventStream(response), **metadata}

    def invoke_model(self, **arguments: Any) -> dict[str, Any]:
        """InvokeModel: ``{"body": Body, "contentType": ..., ...}``."""
        operation = OPERATIONS["InvokeModel"]
        response = self._call(operation, arguments)
        headers = response.headers.joined()
        fields = invoke_fields(operation, headers)
        return {"body": Body(response), **fields, **_metadata(response.status, headers)}

    def invoke_model_with_response_stream(self, **arguments: Any) -> dict[str, Any]:
        """InvokeModelWithResponseStream: ``{"body": EventStream, "contentType": ..., ...}``."""
        operation = OPERATIONS["InvokeModelWithResponseStream"]
        response = self._call(operation, arguments)
        headers = response.headers.joined()
        fields = invoke_fields(operation, headers)
        return {"body": EventStream(response), **fields, **_metadata(response.status, headers)}

    def prepare(self) -> None:
        """Do now what the first call would: build the TLS context (no connection opened).

        Raises:
            BedrockError: the CA bundle cannot be loaded.
        """
        try:
            self._pool.prepare()
        except ConnectFailed as exc:
            raise BedrockError(f"{type(exc).__name__}: {exc}", code="") from exc

    def close(self) -> None:
        """Close the idle connections."""
        self._pool.close()

    def _authorized(
        self, url: str, headers: list[tuple[str, str]], body: bytes
    ) -> list[tuple[str, str]]:
        auth = self._auth
        if isinstance(auth, Bearer):
            if not url.startswith("https://"):  # botocore refuses to send a key in the clear
                raise BedrockError(
                    "InvalidEndpointConfigurationError: "
                    "Bearer authorization requires an HTTPS endpoint.",
                    code="",
                )
            return [*headers, ("Authorization", f"Bearer {auth.token}")]
        signed = sign(
            "POST",
            url,
            headers,
            body,
            credentials=auth.credentials(),
            region=self.endpoint.region,
            service=SIGNING_NAME,
        )
        return [*headers, *signed]

    def _call(self, operation: Operation, arguments: dict[str, Any]) -> Response:
        """Send one request; return the response of a 2xx, raise the error of any other."""
        path, headers, body = encode_request(operation, arguments)
        url = self.endpoint.url + path
        headers = self._authorized(url, [*headers, *_trace(), ("User-Agent", USER_AGENT)], body)
        try:
            response = self._pool.request("POST", path, headers, body)
        except (ConnectFailed, NoResponse) as exc:
            raise BedrockError(f"{type(exc).__name__}: {exc}", code="") from exc
        except ResponseTimeout as exc:
            raise BedrockError(f"ReadTimeoutError: no answer from {url}", code="") from exc
        except ValueError:  # http.client refuses a header value; its text would quote it
            message = (
                "a request header value has a character HTTP cannot carry (CR, LF, non-Latin-1)"
            )
            raise BedrockError(message, code="") from None
        if 200 <= response.status < 300:
            return response
        try:
            error_body = response.read()
        except BodyBroken as exc:
            raise _broken(exc) from exc
        raise error_from_response(response.status, response.headers.joined(), error_body)


def _trace() -> list[tuple[str, str]]:
    """Return the X-Ray trace header botocore adds inside a Lambda function (unsigned)."""
    trace_id = os.environ.get("_X_AMZN_TRACE_ID")
    if not trace_id or "AWS_LAMBDA_FUNCTION_NAME" not in os.environ:
        return []
    return [("X-Amzn-Trace-Id", quote(trace_id, safe="-=;:+&[]{}\"',"))]


def _metadata(status: int, headers: dict[str, str]) -> dict[str, Any]:
    metadata: dict[str, Any] = {"HTTPStatusCode": status, "HTTPHeaders": headers}
    if "x-amzn-requestid" in headers:
        metadata["RequestId"] = headers["x-amzn-requestid"]
    return {"ResponseMetadata": metadata}
