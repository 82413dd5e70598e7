"""Every decoder of hostile input, fuzzed: only its own errors, never a crash or a hang.

* the HTTP integration prelude decoder, on arbitrary bytes in arbitrary splits, against a
  reference model of the 16 KiB window rule;
* the local Runtime API, on random and mutated HTTP requests over a real socket: it
  answers or closes, its threads never die of an exception, and it still serves a
  well-formed request afterwards;
* the Bedrock stream path (botocore's own ``EventStream`` decoding, then the project's
  chunk parsing in :func:`~bedrock_stream.bedrock.stream_text`) on random and mutated
  event-stream frames: only :class:`~bedrock_stream.bedrock.errors.BedrockError` or
  botocore's documented parser errors;
* API Gateway routing and proxy events, and function URL events, on random targets,
  methods, header bytes (decoded latin-1, as the server does) and bodies;
* SigV4 verification of ``AWS_IAM`` requests on random and malformed ``Authorization``
  headers, and Lambda authorizers' answers on any JSON: only their own errors.

Example counts are bounded and ``deadline=None``: the whole file runs in seconds.
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import threading
import types
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from botocore.eventstream import EventStream, ParserError
from botocore.parsers import EventStreamJSONParser, ResponseParserError
from botocore.session import get_session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bedrock_stream import sigv4
from bedrock_stream.bedrock import RetryPolicy, stream_text
from bedrock_stream.bedrock.errors import BedrockError
from bedrock_stream.bedrock.eventstream import encode_message
from bedrock_stream.http_integration import (
    DELIMITER,
    PRELUDE_WINDOW,
    Prelude,
    PreludeDecoder,
    PreludeError,
)
from bedrock_stream.local.authorizers import AuthorizerError, read_answer
from bedrock_stream.local.deployment import RestApi, Route
from bedrock_stream.local.function_url import url_event
from bedrock_stream.local.messages import Request
from bedrock_stream.local.rest_api import Router, proxy_event
from bedrock_stream.local.runtime_api import RuntimeAPIServer

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- the prelude decoder ---------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        b"{",
        b"}",
        b'"statusCode":',
        b"200",
        b'"headers":{"X-A":"b"}',
        b'"cookies":["c=1"]',
        b",",
        b"\x00",
        b"\x00" * 7,
        DELIMITER,
        b"\xff",
        b"\\u0000",
        b"[" * 50,
        b'{"statusCode":200}',
    ]
)
_STREAMS = st.one_of(
    st.binary(max_size=300),
    st.lists(st.one_of(_PIECES, st.binary(max_size=8)), max_size=30).map(b"".join),
)


def _expected(data: bytes, window: int) -> tuple[Prelude, bytes] | None:
    """What the decoder must produce for ``data``: the split, or None for PreludeError."""
    end = data.find(DELIMITER)
    if end < 0 or end + len(DELIMITER) > window:
        return None
    try:
        prelude = Prelude.from_json(json.loads(data[:end].decode("utf-8")))
    except (ValueError, RecursionError):
        return None
    return prelude, data[end + len(DELIMITER) :]


@FAST
@given(
    data=_STREAMS,
    splits=st.lists(st.integers(0, 400), max_size=8),
    window=st.sampled_from([16, 24, 64, 16 * 1024]),
)
def test_prelude_decoder_matches_the_window_model_under_any_split(
    data: bytes, splits: list[int], window: int
) -> None:
    decoder = PreludeDecoder(window=window)
    events: list[Prelude | bytes] = []
    error: PreludeError | None = None
    start = 0
    try:
        for cut in [*sorted(s for s in splits if s < len(data)), len(data)]:
            events.extend(decoder.feed(data[start:cut]))
            start = cut
        decoder.close()
    except PreludeError as exc:  # nothing but its own error escapes
        error = exc
    expected = _expected(data, window)
    if expected is None:
        assert error is not None
        with pytest.raises(PreludeError):  # errors are sticky
            decoder.feed(b"more")
        return
    assert error is None
    prelude, body = expected
    assert events[0] == prelude == decoder.prelude
    assert b"".join(e for e in events[1:] if isinstance(e, bytes)) == body


@settings(max_examples=20, deadline=None)
@given(junk=st.binary(min_size=1, max_size=64).filter(lambda b: b"\x00" not in b))
def test_prelude_decoder_gives_up_at_the_window_without_a_delimiter(junk: bytes) -> None:
    decoder = PreludeDecoder()
    fed = 0
    error: PreludeError | None = None
    while error is None and fed < 2 * PRELUDE_WINDOW:
        try:
            decoder.feed(junk)
        except PreludeError as exc:
            error = exc
        fed += len(junk)
    assert error is not None and str(PRELUDE_WINDOW) in str(error)
    assert PRELUDE_WINDOW <= fed < PRELUDE_WINDOW + len(junk)  # the feed that fills the window


# -- the Runtime API ---------------------------------------------------------------------

_P = "/2018-06-01/runtime"
_BASE_REQUESTS = [
    f"GET {_P}/invocation/next HTTP/1.1\r\nHost: localhost\r\n\r\n".encode(),
    f"GET {_P}/restore/next HTTP/1.1\r\nHost: localhost\r\n\r\n".encode(),
    f"POST {_P}/init/error HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n"
    "Lambda-Runtime-Function-Error-Type: E\r\n\r\n{}".encode(),
    f"POST {_P}/invocation/abc/response HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\n"
    "hello".encode(),
    f"POST {_P}/invocation/abc/response HTTP/1.1\r\nHost: localhost\r\n"
    "Lambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n"
    "Trailer: Lambda-Runtime-Function-Error-Type\r\n\r\n"
    "3\r\nabc\r\n0\r\nLambda-Runtime-Function-Error-Type: X\r\n\r\n".encode(),
    f"POST {_P}/invocation/abc/error HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n"
    "\r\n{}".encode(),
    b"GARBAGE\r\n\r\n",
]
_HOSTILE = st.sampled_from(
    [b"\r\n", b"\n", b"\r", b"\x00", b"\xff", b" ", b":", b"\r\n\r\n", b"0\r\n", b"zz\r\n"]
)
_MUTATION = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 400), st.integers(0, 255)),
    st.tuples(st.just("insert"), st.integers(0, 400), st.one_of(_HOSTILE, st.binary(max_size=6))),
    st.tuples(st.just("delete"), st.integers(0, 400), st.integers(1, 20)),
    st.tuples(st.just("truncate"), st.integers(0, 400), st.just(0)),
    st.tuples(st.just("header"), st.integers(1, 200), st.just(0)),
)


@st.composite
def _runtime_requests(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        return draw(st.binary(max_size=200))
    data = bytearray(draw(st.sampled_from(_BASE_REQUESTS)))
    for kind, where, arg in draw(st.lists(_MUTATION, min_size=1, max_size=4)):
        at = min(where, len(data))
        if kind == "flip" and data:
            data[min(at, len(data) - 1)] = arg  # type: ignore[call-overload]
        elif kind == "insert":
            data[at:at] = arg  # type: ignore[assignment]
        elif kind == "delete":
            del data[at : at + arg]  # type: ignore[operator]
        elif kind == "truncate":
            del data[at:]
        elif kind == "header":
            head_end = data.find(b"\r\n") + 2 if b"\r\n" in data else 0
            data[head_end:head_end] = b"X-Pad: " + b"p" * 100 + b"\r\n" * where  # type: ignore[operator]
    return bytes(data)


def _exchange(address: str, data: bytes) -> bytes:
    """Send ``data``, half-close, read to the end: a hang fails on the socket timeout."""
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        with contextlib.suppress(OSError):  # the server may close before reading it all
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        received = bytearray()
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                received += chunk
    return bytes(received)


@pytest.fixture(scope="module")
def runtime_api() -> Iterator[tuple[RuntimeAPIServer, list[BaseException]]]:
    crashes: list[BaseException] = []
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        crashes.append(args.exc_value or RuntimeError("thread crashed"))

    threading.excepthook = hook
    try:
        with RuntimeAPIServer() as api:
            yield api, crashes
    finally:
        threading.excepthook = previous


@FAST
@given(request=_runtime_requests())
def test_runtime_api_answers_or_closes_on_any_request(
    runtime_api: tuple[RuntimeAPIServer, list[BaseException]], request: bytes
) -> None:
    api, crashes = runtime_api
    api.invoke({"n": 1})  # a request that reaches /next is answered, never left waiting
    answer = _exchange(api.address, request)
    if answer:
        status = answer.split(b" ", 2)[1]
        assert answer.startswith(b"HTTP/1.1 ") and status in (
            b"200",
            b"202",
            b"400",
            b"403",
            b"404",
            b"413",
            b"431",
            b"501",  # a transfer coding h11 does not implement
        ), answer[:200]
    assert crashes == []
    well_formed = _exchange(api.address, _BASE_REQUESTS[1])  # /restore/next
    assert well_formed.startswith(b"HTTP/1.1 200")


def test_runtime_api_serves_a_whole_invocation_after_the_fuzzing(
    runtime_api: tuple[RuntimeAPIServer, list[BaseException]],
) -> None:
    api, crashes = runtime_api
    invocation = api.invoke({"last": True})
    for _ in range(10_000):  # earlier examples left invocations queued: take them in turn
        answer = _exchange(api.address, _BASE_REQUESTS[0])
        if invocation.request_id.encode() in answer:
            break
    response = f"POST {_P}/invocation/{invocation.request_id}/response HTTP/1.1\r\n"
    answer = _exchange(
        api.address, response.encode() + b"Host: localhost\r\nContent-Length: 2\r\n\r\nok"
    )
    assert answer.startswith(b"HTTP/1.1 202")
    assert invocation.result(timeout=10).body == b"ok"
    assert crashes == []


# -- Bedrock streams: botocore's decoding, then the project's parsing ---------------------

_SERVICE = get_session().get_service_model("bedrock-runtime")
_ALLOWED = (BedrockError, ParserError, ResponseParserError)
"""The project's errors, and botocore's own for frames (ParserError) or events it rejects."""


class _RawStream:
    """What botocore's EventStream reads: the HTTP body, in the pieces it arrived in."""

    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = pieces

    def stream(self) -> Iterator[bytes]:
        return iter(self._pieces)

    def close(self) -> None:
        pass


class _FakeBedrock:
    """A bedrock-runtime client whose streams are botocore EventStreams over fixed bytes."""

    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = pieces

    def _stream(self, operation: str, member: str) -> EventStream:
        model = _SERVICE.operation_model(operation)
        shape = model.output_shape.members[member]
        return EventStream(_RawStream(self._pieces), shape, EventStreamJSONParser(), operation)

    @property
    def meta(self) -> Any:
        """What the client checks a request against: botocore's own service model."""
        return types.SimpleNamespace(service_model=_SERVICE)

    def invoke_model_with_response_stream(self, **_: Any) -> dict[str, Any]:
        return {"body": self._stream("InvokeModelWithResponseStream", "body")}

    def converse_stream(self, **_: Any) -> dict[str, Any]:
        return {"stream": self._stream("ConverseStream", "stream")}


def _event(event_type: str, payload: bytes) -> bytes:
    return encode_message(
        {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"},
        payload,
    )


def _chunk(document: bytes) -> bytes:
    return _event("chunk", json.dumps({"bytes": base64.b64encode(document).decode()}).encode())


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_ANTHROPIC_KEYS = st.sampled_from(
    ["type", "delta", "text", "index", "content_block", "stop_reason", "completion"]
)
_CONVERSE_EVENTS = _SERVICE.operation_model("ConverseStream").output_shape.members["stream"]


def _shaped(shape: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """JSON of ``shape``'s types, any member present or not: what botocore's parser accepts.

    botocore parses an event's JSON by its shape and fails with its own AttributeError or
    TypeError on JSON of the wrong types (a service that breaks its model); the project's
    parsing is what is fuzzed here, on everything the parser lets through.
    """
    kind = shape.type_name
    if kind == "structure":
        if depth > 4:
            return st.just({})
        members = {name: _shaped(member, depth + 1) for name, member in shape.members.items()}
        if shape.metadata.get("union"):
            return st.one_of([st.fixed_dictionaries({n: m}) for n, m in members.items()])
        return st.fixed_dictionaries({}, optional=members)
    if kind == "list":
        return st.lists(_shaped(shape.member, depth + 1), max_size=2) if depth <= 4 else st.just([])
    if kind == "map":
        return st.dictionaries(st.text(max_size=4), _shaped(shape.value, depth + 1), max_size=2)
    if kind in ("integer", "long"):
        return st.integers(-3, 3)
    if kind in ("float", "double"):
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "blob":
        return st.binary(max_size=8).map(lambda b: base64.b64encode(b).decode())
    if kind == "timestamp":
        return st.integers(0, 2**31)
    if "document" in shape.metadata or shape.metadata.get("document"):
        return _JSON_VALUES
    if shape.enum:
        return st.sampled_from([*shape.enum, "other"])
    return st.text(max_size=6)


_FRAMES = {
    "invoke": [
        _chunk(b'{"type":"content_block_delta","delta":{"type":"text_delta","text":"Hi"}}'),
        _chunk(b'{"type":"message_delta","delta":{"stop_reason":"end_turn"}}'),
        encode_message(
            {
                ":exception-type": "throttlingException",
                ":content-type": "application/json",
                ":message-type": "exception",
            },
            b'{"message":"slow down"}',
        ),
    ],
    "converse": [
        _event("contentBlockDelta", b'{"contentBlockIndex":0,"delta":{"text":"Hi"}}'),
        _event("messageStop", b'{"stopReason":"end_turn"}'),
        _event("metadata", b'{"usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2}}'),
    ],
}


@st.composite
def _bedrock_streams(draw: st.DrawFn, api: str) -> list[bytes]:
    frames: list[bytes] = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["known", "random-json", "random-bytes", "mutated"]))
        if kind == "known":
            frames.append(draw(st.sampled_from(_FRAMES[api])))
        elif kind == "random-json":
            if api == "invoke":
                document = draw(st.dictionaries(_ANTHROPIC_KEYS, _JSON_VALUES, max_size=4))
                payload = json.dumps(document).encode()
                frames.append(_chunk(payload) if draw(st.booleans()) else _event("chunk", payload))
            else:
                name = draw(st.sampled_from(sorted(_CONVERSE_EVENTS.members)))
                document = draw(_shaped(_CONVERSE_EVENTS.members[name]))
                frames.append(_event(name, json.dumps(document).encode()))
        elif kind == "random-bytes":
            frames.append(draw(st.binary(max_size=40)))
        else:
            frame = bytearray(draw(st.sampled_from(_FRAMES[api])))
            at = draw(st.integers(0, len(frame) - 1))
            frame[at] = draw(st.integers(0, 255))
            frames.append(bytes(frame))
    data = b"".join(frames)
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=4)))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


@FAST
@given(api=st.sampled_from(["invoke", "converse"]), data=st.data())
def test_bedrock_streams_fail_only_with_bedrock_or_botocore_parser_errors(
    api: str, data: st.DataObject
) -> None:
    pieces = data.draw(_bedrock_streams(api))
    stream = stream_text(
        "hi",
        model_id="anthropic.claude-3-haiku-20240307-v1:0",
        api="invoke" if api == "invoke" else "converse",
        client=_FakeBedrock(pieces),
        retry=RetryPolicy(max_attempts=1),
    )
    with contextlib.suppress(*_ALLOWED):
        text = "".join(stream)
        assert isinstance(text, str)


@pytest.mark.parametrize(
    ("api", "frame"),
    [
        ("invoke", _event("chunk", b"{}")),  # a chunk without its bytes
        ("invoke", _chunk(b"[1,")),  # bytes that are not JSON
        ("converse", _event("contentBlockStart", b'{"start":{"toolUse":{"toolUseId":"t"}}}')),
        ("converse", _event("contentBlockDelta", b'{"delta":{}}')),
    ],
)
def test_bedrock_streams_with_members_missing_fail_cleanly(api: str, frame: bytes) -> None:
    stream = stream_text(
        "hi",
        model_id="anthropic.claude-3-haiku-20240307-v1:0",
        api="invoke" if api == "invoke" else "converse",
        client=_FakeBedrock([frame, _FRAMES[api][1]]),
        retry=RetryPolicy(max_attempts=1),
    )
    with contextlib.suppress(*_ALLOWED):
        assert "".join(stream) == ""


# -- API Gateway and function URL requests ---------------------------------------------------

_API = RestApi(
    "Api",
    "Prod",
    (
        Route("POST", "/run", "Run", streaming=True),
        Route("GET", "/items/{id}", "Item"),
        Route("ANY", "/files/{path+}", "Files"),
        Route("ANY", "/", "Root"),
    ),
)
_ROUTER = Router([_API])
_LATIN1 = st.binary(max_size=30).map(lambda b: b.decode("latin-1"))
_PATHS = st.one_of(
    _LATIN1,
    st.sampled_from(["/Prod/run", "/Prod/items/a%20b", "/Prod/files/a/b", "/Prod/", "/Prod"]),
)
_QUERIES = st.one_of(
    st.just(""),
    _LATIN1.map(lambda q: "?" + q),
    st.lists(st.tuples(_LATIN1, _LATIN1), max_size=4).map(
        lambda pairs: "?" + "&".join(f"{k}={v}" for k, v in pairs)
    ),
    st.sampled_from(["?a=%ff%fe&b=%zz&&=&c", "?x=1&x=2&x", "?%00=%00"]),
)
_METHODS = st.one_of(st.sampled_from(["GET", "POST", "PUT", "get", "DELETE", "ANY"]), _LATIN1)
_HEADERS = st.lists(
    st.tuples(
        st.one_of(
            st.sampled_from(["Host", "Content-Type", "Cookie", "User-Agent", "host"]), _LATIN1
        ),
        _LATIN1,
    ),
    max_size=6,
)


@FAST
@given(
    method=_METHODS,
    path=_PATHS,
    query=_QUERIES,
    headers=_HEADERS,
    body=st.binary(max_size=40),
    binary_types=st.lists(st.sampled_from(["*/*", "image/png", "text/*", "application/json"])),
)
def test_api_gateway_routes_and_builds_json_events_for_any_request(
    method: str,
    path: str,
    query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    binary_types: list[str],
) -> None:
    target = path + query
    match = _ROUTER.match(method, target)
    if match is None:
        return
    request = Request(method, target, tuple(headers), body, "127.0.0.1")
    event = proxy_event(request, match, binary_media_types=binary_types)
    assert json.loads(json.dumps(event)) == event
    if event["isBase64Encoded"]:
        assert base64.b64decode(event["body"]) == body
    else:
        assert (event["body"] or "").encode() == body
    assert event["httpMethod"] == method.upper()


@FAST
@given(method=_METHODS, path=_PATHS, query=_QUERIES, headers=_HEADERS, body=st.binary(max_size=40))
def test_function_url_builds_json_events_for_any_request(
    method: str, path: str, query: str, headers: list[tuple[str, str]], body: bytes
) -> None:
    request = Request(method, path + query, tuple(headers), body, "127.0.0.1")
    event = url_event(request)
    assert json.loads(json.dumps(event)) == event
    if event["isBase64Encoded"]:
        assert base64.b64decode(event["body"]) == body
    else:
        assert event.get("body", "").encode() == body
    assert (
        event["rawPath"] + ("?" if "?" in request.target else "") + event["rawQueryString"]
        == request.target
    )


# -- who may call: SigV4 headers, authorizer answers ------------------------------------------

_AUTHORIZATION = st.one_of(
    _LATIN1,
    st.builds(
        lambda parts: "AWS4-HMAC-SHA256 " + ", ".join(parts),
        st.lists(
            st.one_of(
                st.sampled_from(
                    [
                        "Credential=AKIDEXAMPLE/20260101/us-east-1/execute-api/aws4_request",
                        "Credential=AKIDEXAMPLE/2026/us-east-1/execute-api",
                        "SignedHeaders=host;x-amz-date",
                        "SignedHeaders=",
                        "Signature=" + "0" * 64,
                        "Signature=zz",
                    ]
                ),
                _LATIN1,
            ),
            max_size=4,
        ),
    ),
)


@FAST
@given(
    method=_METHODS,
    path=_PATHS,
    query=_QUERIES,
    headers=_HEADERS,
    authorization=_AUTHORIZATION,
    date=st.one_of(_LATIN1, st.just("20260101T000000Z")),
    body=st.binary(max_size=40),
)
def test_sigv4_verification_refuses_any_request_only_with_its_own_errors(
    method: str,
    path: str,
    query: str,
    headers: list[tuple[str, str]],
    authorization: str,
    date: str,
    body: bytes,
) -> None:
    fields = [*headers, ("Authorization", authorization), ("X-Amz-Date", date)]
    with pytest.raises(sigv4.SignatureError):
        sigv4.verify(
            method,
            path + query,
            fields,
            body,
            secret_for={"AKIDEXAMPLE": "secret"}.get,
            region="us-east-1",
            service="execute-api",
            now=datetime(2026, 1, 1, tzinfo=timezone.utc),
        )


_JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
_ANSWERS = st.one_of(
    _JSON,
    st.fixed_dictionaries(
        {},
        optional={
            "principalId": _JSON,
            "policyDocument": st.one_of(
                _JSON,
                st.fixed_dictionaries(
                    {
                        "Statement": st.one_of(
                            _JSON,
                            st.lists(
                                st.dictionaries(
                                    st.sampled_from(["Effect", "Action", "Resource"]), _JSON
                                ),
                                max_size=3,
                            ),
                        )
                    }
                ),
            ),
            "context": _JSON,
            "usageIdentifierKey": _JSON,
        },
    ),
)


@FAST
@given(answer=_ANSWERS, arn=_LATIN1)
def test_any_authorizer_answer_is_a_grant_or_an_authorizer_error(answer: Any, arn: str) -> None:
    try:
        grant = read_answer(json.dumps(answer).encode())
    except AuthorizerError:
        return
    assert isinstance(grant.principal_id, str)
    assert all(isinstance(v, str) for v in grant.context.values())
    assert grant.policy.evaluate("execute-api:Invoke", arn) in (
        "allow",
        "explicit-deny",
        "implicit-deny",
    )
