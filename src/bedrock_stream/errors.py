"""The root of bedrock-stream's exceptions, and those a streaming handler raises or reports.

Every exception the project raises on purpose derives from :class:`BedrockStreamError`, so
``except BedrockStreamError`` catches all of them and nothing else. Classes that callers caught
as a built-in before the tree existed keep that built-in as a second base (shown in brackets),
so such code still works::

    BedrockStreamError
    ├── HTTPError                 raise before the first chunk: a status and a JSON message
    ├── MidStreamError            the body failed after bytes were sent
    ├── ProtocolError             bytes or a sequence of moves that break a protocol
    │   ├── LocalProtocolError    ... made on our side
    │   │   ├── InvalidStateTransition [RuntimeError]  bedrock_stream.protocol.runtime_api
    │   │   ├── ResponseStateError [RuntimeError]  a handler's response (pending, streaming, ended)
    │   │   └── ASGIProtocolError [RuntimeError]   an ASGI app's messages  bedrock_stream.asgi
    │   ├── RemoteProtocolError   ... made by the peer
    │   │   ├── PreludeError [ValueError]          bedrock_stream.http_integration
    │   │   ├── SignatureError [ValueError]        a request SigV4 does not authenticate
    │   │   └── EventStreamDecodeError [ValueError]  bedrock_stream.protocol.eventstream
    │   │       ├── PreludeChecksumError, MessageChecksumError  a CRC32 that does not match
    │   │       ├── HeadersLengthError, PayloadLengthError, MessageLengthError  its lengths
    │   │       ├── HeaderError                    a header block; HeaderTypeError and
    │   │       │                                  DuplicateHeaderError derive from it
    │   │       └── TruncatedStreamError           the stream ended inside a message
    │   └── WireError [ValueError]  HTTP/1.1 framing, either side  bedrock_stream.protocol.http1
    ├── LambdaRuntimeError        the streaming runtime could not serve an invocation
    │   ├── RuntimeAPIError [ConnectionError]      bedrock_stream.runtime.client
    │   ├── Fault                                  bedrock_stream.runtime.diagnostic
    │   │   └── DeadlineGuardExceeded              bedrock_stream.runtime.stream
    │   └── MarshalError, UnmarshalError           bedrock_stream.runtime.marshal
    ├── AppAdapterError           an app adapter cannot serve the app or the event
    │   ├── NotAnHTTPEvent [TypeError]             bedrock_stream.proxy_request
    │   ├── LifespanError [RuntimeError]           an ASGI app's startup or shutdown failed
    │   └── WSGIError [RuntimeError]               a WSGI app broke PEP 3333
    ├── BedrockError              a Bedrock call failed        bedrock_stream.bedrock.errors
    │   └── ThrottlingError, ..., UnknownModelError, UnsupportedOptionError [ValueError]
    └── LocalStackError           the local stack refused its input or could not start
        ├── PortInUse [OSError]                    bedrock_stream.local.stack
        ├── RuntimeUnavailable [ValueError]        a function's runtime cannot run locally
        ├── TemplateError, IntrinsicError [ValueError]  reading a template
        ├── PolicyError [ValueError]               an IAM or authorizer policy document
        ├── Unauthorized, AuthorizerError          a Lambda authorizer's answer
        ├── BadRequest, BodyTooLarge               a request the local servers refuse
        ├── ClientGone [ConnectionError]           the client left mid-exchange
        ├── ServiceError                           the Bedrock emulator's AWS error answers
        │   └── AuthError                          ... refusing its credentials (403)
        └── TooManyRequests                        bedrock_stream.local.invoker

``WireError`` stays one class for both directions: its name is the error type the runtime
reports to Lambda, which callers match on. This module imports nothing, so every layer, the
sans-I/O :mod:`bedrock_stream.protocol` included, may derive from it.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: this module imports nothing
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

__all__ = [
    "AppAdapterError",
    "BedrockStreamError",
    "HTTPError",
    "LambdaRuntimeError",
    "LocalProtocolError",
    "LocalStackError",
    "MidStreamError",
    "ProtocolError",
    "RemoteProtocolError",
]


class BedrockStreamError(Exception):
    """The root: every exception bedrock-stream raises on purpose derives from it."""


class ProtocolError(BedrockStreamError):
    """Bytes, or a sequence of events, that break a protocol the project speaks."""


class LocalProtocolError(ProtocolError):
    """Our side was about to send something, or make a move, that the protocol forbids."""


class RemoteProtocolError(ProtocolError):
    """The peer sent something the protocol forbids."""


class LambdaRuntimeError(BedrockStreamError):
    """The streaming runtime could not serve an invocation as asked."""


class AppAdapterError(BedrockStreamError):
    """An app adapter (ASGI, WSGI) cannot serve the app it wraps, or the event it was given."""


class LocalStackError(BedrockStreamError):
    """The local stack refused its input (a template, a request) or could not start."""


class HTTPError(BedrockStreamError):
    """An error the client should see as an HTTP status with a JSON ``{"message": ...}`` body.

    Raise it from a handler (before its first chunk) for a 4xx or 5xx answer::

        raise HTTPError(400, "message must be a non-empty string")

    A client protocol with its own error shape (OpenAI's ``{"error": {...}}``) passes
    ``body``, a JSON-serializable mapping sent as the whole response body instead.

    Raised after the first chunk, the status line has already gone out; the
    stream is then reported as failed like any other mid-stream error.
    """

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        if isinstance(status_code, bool) or not isinstance(status_code, int):
            raise TypeError(f"status_code must be an int, not {type(status_code).__name__}")
        if not 400 <= status_code <= 599:
            raise ValueError(f"status_code must be an error status 400-599, got {status_code}")
        super().__init__(status_code, message)
        self.status_code = status_code
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})
        self.body: dict[str, Any] | None = None if body is None else dict(body)

    def __str__(self) -> str:
        return f"{self.status_code}: {self.message}"


class MidStreamError(BedrockStreamError):
    """A response body that failed after its first bytes were written to the sink.

    The status line and part of the body are already on their way, so the
    failure cannot become an HTTP error response. The streaming runtime reports
    it as Runtime API error trailers built from :attr:`error`, the exception the
    body raised (also chained as ``__cause__``).
    """

    def __init__(self, error: BaseException) -> None:
        super().__init__(f"response stream failed after its first chunk: {type(error).__name__}")
        self.error = error
