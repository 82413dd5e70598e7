"""Bedrock Runtime's REST-JSON wire format for the four calls, sans I/O.

What botocore's serializer and parsers do for ``Converse``, ``ConverseStream``,
``InvokeModel`` and ``InvokeModelWithResponseStream``, and no more: :func:`encode_request`
turns a call's keyword arguments into a path, headers and a body; :func:`decode_message`
turns each event-stream message into the dict botocore's ``EventStream`` yields, or the
error it raises; :func:`decode_converse` and :func:`invoke_fields` shape the buffered
answers; :func:`error_from_response` reads an HTTP error as botocore's ``RestJSONParser``
does. Errors are :mod:`bedrock_stream.bedrock.errors`' classes, built by
:func:`~bedrock_stream.bedrock.errors.error_for_code` as the boto3 path builds them.

Invariants:

* A blob member is base64 text on the wire, bytes in Python: the blob paths below are the
  service model's (``tests/bedrock/test_transport_operations.py`` holds them to botocore's),
  and a ``str`` sent in one is UTF-8 encoded first, as botocore does.
* Unlike botocore, response members the model does not know are kept, not dropped: a newer
  service's fields reach the parsers, which ignore what they do not read. The one exception
  is each stream event's padding, :data:`PADDING`.
* Nothing here validates a request: the library's request builders and the service do.
"""

from __future__ import annotations

import base64
import json
import operator
from http.client import responses
from urllib.parse import quote

from bedrock_stream.bedrock.errors import BedrockError, MalformedChunkError, error_for_code

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs milliseconds
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any

    from bedrock_stream.protocol.eventstream_decoder import EventStreamMessage

__all__ = [
    "OPERATIONS",
    "Operation",
    "decode_converse",
    "decode_message",
    "encode_request",
    "error_from_response",
    "invoke_fields",
]


class Operation:
    """One call's HTTP binding: its path, its header members, and how its answer comes."""

    __slots__ = ("headers", "name", "path", "streamed")

    def __init__(self, name: str, path: str, headers: Mapping[str, str], *, streamed: bool) -> None:
        self.name = name
        self.path = path  # with "{}" where the URL-encoded model ID goes
        self.headers = dict(headers)  # member name -> header name
        self.streamed = streamed  # an event stream (True) or one body (False)


_INVOKE_HEADERS = {
    "contentType": "Content-Type",
    "trace": "X-Amzn-Bedrock-Trace",
    "guardrailIdentifier": "X-Amzn-Bedrock-GuardrailIdentifier",
    "guardrailVersion": "X-Amzn-Bedrock-GuardrailVersion",
    "performanceConfigLatency": "X-Amzn-Bedrock-PerformanceConfig-Latency",
    "serviceTier": "X-Amzn-Bedrock-Service-Tier",
    "requestMetadata": "X-Amzn-Bedrock-Request-Metadata",
    "projectIdentifier": "X-Amzn-Bedrock-ProjectIdentifier",
}

OPERATIONS = {
    op.name: op
    for op in (
        Operation("Converse", "/model/{}/converse", {}, streamed=False),
        Operation("ConverseStream", "/model/{}/converse-stream", {}, streamed=True),
        Operation(
            "InvokeModel",
            "/model/{}/invoke",
            {**_INVOKE_HEADERS, "accept": "Accept"},
            streamed=False,
        ),
        Operation(
            "InvokeModelWithResponseStream",
            "/model/{}/invoke-with-response-stream",
            {**_INVOKE_HEADERS, "accept": "X-Amzn-Bedrock-Accept"},
            streamed=True,
        ),
    )
}
"""The calls the built-in transport makes, by operation name."""

PADDING = "p"
"""The member Bedrock pads each stream event with, of random length, against traffic analysis:
botocore drops it as unmodelled, and so does :func:`decode_message`."""

_Path = tuple[str, ...]  # member names; "*" is every element of a list

_BLOCK_BLOBS: tuple[_Path, ...] = (
    ("image", "source", "bytes"),
    ("document", "source", "bytes"),
    ("video", "source", "bytes"),
    ("audio", "source", "bytes"),
    ("guardContent", "image", "source", "bytes"),
    ("reasoningContent", "redactedContent"),
    ("toolResult", "content", "*", "image", "source", "bytes"),
    ("toolResult", "content", "*", "document", "source", "bytes"),
    ("toolResult", "content", "*", "video", "source", "bytes"),
)
REQUEST_BLOBS: tuple[_Path, ...] = (
    *(("messages", "*", "content", "*", *path) for path in _BLOCK_BLOBS),
    ("system", "*", "guardContent", "image", "source", "bytes"),
)
"""The blob members of a Converse request, base64 on the wire."""
CONVERSE_BLOBS: tuple[_Path, ...] = tuple(
    ("output", "message", "content", "*", *path) for path in _BLOCK_BLOBS
)
"""The blob members of a Converse answer."""
EVENT_BLOBS: dict[str, tuple[_Path, ...]] = {
    "contentBlockDelta": (
        ("delta", "image", "source", "bytes"),
        ("delta", "reasoningContent", "redactedContent"),
    ),
    "chunk": (("bytes",),),
}
"""The blob members of each event an answer's stream carries, by event type."""


def _map_blobs(value: Any, path: _Path, convert: Callable[[Any], Any]) -> Any:
    """Return ``value`` with ``convert`` applied at ``path``, copying only what changes."""
    if not path:
        return convert(value)
    head, rest = path[0], path[1:]
    if head == "*":
        if not isinstance(value, list):
            return value
        items = [_map_blobs(item, rest, convert) for item in value]
        return value if all(map(operator.is_, items, value)) else items
    if not isinstance(value, dict) or head not in value:
        return value
    member = _map_blobs(value[head], rest, convert)
    return value if member is value[head] else {**value, head: member}


def _with_blobs(value: Any, paths: Iterable[_Path], convert: Callable[[Any], Any]) -> Any:
    for path in paths:
        value = _map_blobs(value, path, convert)
    return value


def _to_base64(value: Any) -> Any:
    if isinstance(value, str):
        value = value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(value).decode("ascii")
    return value  # not a blob: the service says so


def _from_base64(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return base64.b64decode(value)
    except ValueError:
        raise MalformedChunkError("a blob member is not base64", code="") from None


def encode_request(
    operation: Operation, arguments: Mapping[str, Any]
) -> tuple[str, list[tuple[str, str]], bytes]:
    """Return the path, headers and body of a call with ``arguments`` (botocore's names).

    The model ID is percent-encoded whole (an ARN's ``:`` and ``/`` too), as botocore
    encodes a path label. Converse sends the other arguments as a JSON body; invoke sends
    ``body`` as it is and binds the rest to headers.
    """
    arguments = dict(arguments)
    path = operation.path.format(quote(str(arguments.pop("modelId")), safe="-._~"))
    if operation.headers:  # invoke: the body is the model's own
        body = arguments.pop("body", b"")
        headers = [
            (operation.headers[name], str(value))
            for name, value in arguments.items()
            if name in operation.headers and value is not None
        ]
        return path, headers, body.encode("utf-8") if isinstance(body, str) else bytes(body)
    document = _with_blobs(arguments, REQUEST_BLOBS, _to_base64)
    try:
        body = json.dumps(document, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError):  # e.g. a Decimal; the text would quote the request
        raise BedrockError("ParamValidationError: invalid request parameters", code="") from None
    return path, [("Content-Type", "application/json")], body


def _json_object(body: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(body) if body else {}
    except ValueError:
        raise MalformedChunkError(f"{what} is not JSON", code="") from None
    if not isinstance(value, dict):
        raise MalformedChunkError(f"{what} is not a JSON object", code="")
    return value


def decode_converse(body: bytes) -> dict[str, Any]:
    """Return a Converse answer as botocore parses it (blobs as bytes)."""
    answer: dict[str, Any] = _with_blobs(
        _json_object(body, "the answer"), CONVERSE_BLOBS, _from_base64
    )
    return answer


def invoke_fields(operation: Operation, headers: Mapping[str, str]) -> dict[str, str]:
    """Return the members an invoke answer binds to its (lowercased) response ``headers``."""
    content_type = "content-type" if not operation.streamed else "x-amzn-bedrock-content-type"
    bound = {
        "contentType": content_type,
        "performanceConfigLatency": "x-amzn-bedrock-performanceconfig-latency",
        "serviceTier": "x-amzn-bedrock-service-tier",
    }
    return {member: headers[name] for member, name in bound.items() if name in headers}


def decode_message(message: EventStreamMessage) -> dict[str, Any] | None:
    """Return the event a stream message carries as ``{event_type: member}``.

    An ``exception`` or ``error`` message raises its error, as botocore's ``EventStream``
    raises ``EventStreamError`` (an exception type botocore does not model keeps its code
    here, where botocore loses it); a message of another type is None (botocore skips it).
    """
    headers = message.headers
    kind = headers.get(":message-type")
    if kind == "event":
        event_type = str(headers.get(":event-type", ""))
        member = _json_object(message.payload, f"the {event_type or 'untyped'} event")
        member.pop(PADDING, None)
        return {event_type: _with_blobs(member, EVENT_BLOBS.get(event_type, ()), _from_base64)}
    if kind == "exception":  # botocore reads the modelled member, "message", alone
        code = str(headers.get(":exception-type", ""))
        raise error_for_code(code, str(_error_body(message.payload).get("message", "")))
    if kind == "error":
        text = str(headers.get(":error-message", ""))
        raise error_for_code(str(headers.get(":error-code", "")), text)
    return None


def _error_body(body: bytes) -> dict[str, Any]:
    """Return an error's JSON body; text that is not JSON is its message, as botocore has it."""
    if not body:
        return {}
    text = body.decode("utf-8", "replace")
    try:
        value = json.loads(text)
    except ValueError:
        return {"message": text}
    return value if isinstance(value, dict) else {}


def _short_code(code: str) -> str:
    return code.split(":", 1)[0].rsplit("#", 1)[-1]


def error_from_response(status: int, headers: Mapping[str, str], body: bytes) -> BedrockError:
    """Return the error an HTTP error answer means; ``headers`` have lowercased names.

    As botocore: a 5xx with no body or an HTML one is its status and reason; otherwise
    the code is ``x-amzn-errortype``, else the body's ``code``, else its ``__type``, else the
    status, each cut at ``:`` and after ``#``; the message is the body's ``message``.
    """
    stripped = body.strip()
    if status >= 500 and (not stripped or stripped.startswith(b"<html>")):
        return error_for_code(str(status), responses.get(status, ""))
    payload = _error_body(body)
    kind = payload.get("__type", str(status))
    code = kind if isinstance(kind, str) else ""  # a null __type is no code, as in botocore
    if "x-amzn-errortype" in headers:
        code = headers["x-amzn-errortype"]
    elif "code" in payload or "Code" in payload:
        code = str(payload.get("code", payload.get("Code", "")))
    message = payload.get("message", payload.get("Message", ""))
    return error_for_code(_short_code(code), str(message))
