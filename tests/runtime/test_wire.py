"""Property tests: the runtime's framing against h11, an independent HTTP/1.1 implementation."""

from __future__ import annotations

import base64
import decimal
import json
import math
from typing import Any

import h11
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bedrock_stream.runtime import wire
from bedrock_stream.runtime.diagnostic import error_trailers, make_error
from bedrock_stream.runtime.marshal import to_json

token = st.text(
    st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-"), min_size=1
)
value = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40)
bodies = st.lists(st.binary(max_size=200), max_size=10)
writes = st.lists(  # small chunks are copied into one part, large ones never
    st.one_of(st.binary(max_size=200), st.binary(min_size=wire.SMALL, max_size=wire.SMALL + 64)),
    max_size=6,
)
_RESERVED = {"content-length", "transfer-encoding", "connection", "date", "server", "host"}
_FRAMING = {"transfer-encoding", "content-length"}  # never valid as trailer fields


def _not_framing(name: str) -> bool:
    return name.lower() not in _FRAMING


def _not_reserved(name: str) -> bool:
    return name.lower() not in _RESERVED


trailer_fields = st.lists(st.tuples(token.filter(_not_framing), value), max_size=3)


def _h11_parse_request(data: bytes) -> Any:
    server = h11.Connection(h11.SERVER)
    server.receive_data(data)
    headers, body, trailers = [], b"", []
    while True:
        event = server.next_event()
        if isinstance(event, h11.Request):
            headers = [(k.decode(), v.decode()) for k, v in event.headers]
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            trailers = [(k.decode(), v.decode()) for k, v in event.headers]
            return headers, body, trailers
        else:
            raise AssertionError(event)


@given(chunks=writes, trailers=trailer_fields)
def test_chunked_request_is_read_back_by_h11(
    chunks: list[bytes], trailers: list[tuple[str, str]]
) -> None:
    # wire.frame is what StreamingSink sends: one write's chunks, empty ones included.
    parts: list[bytes | memoryview] = [
        wire.request_head("POST", "/r", [("Host", "x"), ("Transfer-Encoding", "chunked")])
    ]
    size = wire.frame(chunks, parts)
    assert size == sum(map(len, parts[1:]))
    large = [data for data in chunks if len(data) >= wire.SMALL]
    assert all(any(part is data for part in parts) for data in large)  # never copied
    parts.append(wire.last_chunk(trailers))
    _, body, got = _h11_parse_request(b"".join(parts))
    assert body == b"".join(chunks)
    assert got == [(n.lower(), v.strip()) for n, v in trailers]


@given(chunks=bodies)
def test_a_chunk_never_ends_the_body_early(chunks: list[bytes]) -> None:
    evil = [c + b"\r\n0\r\n\r\n" for c in chunks]
    parts: list[bytes | memoryview] = [
        wire.request_head("POST", "/r", [("Host", "x"), ("Transfer-Encoding", "chunked")])
    ]
    for data in evil:  # one write each, as the hot path sends a small one
        if len(data) < wire.SMALL:
            parts.append(wire.small_chunk(data))
        else:
            wire.frame([data], parts)
    parts.append(wire.last_chunk())
    assert _h11_parse_request(b"".join(parts))[1] == b"".join(evil)


@pytest.mark.parametrize("bad", ["a\r\nb", "a\nb", "a\rb", "a\0b"])
def test_header_values_cannot_break_the_framing(bad: str) -> None:
    with pytest.raises(wire.WireError):
        wire.request_head("GET", "/", [("X", bad)])
    with pytest.raises(wire.WireError):
        wire.last_chunk([("X", bad)])


@given(
    status=st.sampled_from([200, 202, 400, 403, 413, 500]),
    body=st.binary(max_size=500),
    chunked=st.booleans(),
    pieces=st.lists(st.integers(min_value=1, max_value=50), max_size=30),
    headers=st.lists(st.tuples(token.filter(_not_reserved), value), max_size=4),
    interim=st.booleans(),
)
def test_parser_reads_what_h11_writes(
    status: int,
    body: bytes,
    chunked: bool,
    pieces: list[int],
    headers: list[tuple[str, str]],
    interim: bool,
) -> None:
    server = h11.Connection(h11.SERVER)
    server.receive_data(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    server.next_event()
    data = b""
    if interim:
        data += server.send(h11.InformationalResponse(status_code=100, headers=[]))
    framing = (
        [("Transfer-Encoding", "chunked")] if chunked else [("Content-Length", str(len(body)))]
    )
    data += server.send(h11.Response(status_code=status, headers=[*headers, *framing]))
    if chunked:
        cut = len(body) // 2
        for part in (body[:cut], body[cut:]):
            if part:
                data += server.send(h11.Data(data=part))
    else:
        data += server.send(h11.Data(data=body)) if body else b""
    data += server.send(h11.EndOfMessage())
    parser = wire.ResponseParser()
    response = None
    offset = 0
    for size in [*pieces, len(data)]:
        piece = data[offset : offset + size]
        offset += size
        if piece:
            response = parser.feed(piece)
            if response is not None:
                break
    assert response is not None
    assert response.status == status
    assert response.body == body
    for name, val in headers:
        assert val.strip() in response.headers[name.lower()]


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        b"HTTP/1.1 200 OK\r\nContent-Le",
    ],
)
def test_parser_rejects_truncated_responses(data: bytes) -> None:
    parser = wire.ResponseParser()
    assert parser.feed(data) is None
    with pytest.raises(wire.WireError):
        parser.feed(b"")


@pytest.mark.parametrize(
    "data",
    [
        b"NOPE\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nbad header\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    ],
)
def test_parser_rejects_malformed_responses(data: bytes) -> None:
    with pytest.raises(wire.WireError):
        wire.ResponseParser().feed(data)


@given(
    message=st.text(),
    error_type=st.text(min_size=1),
    trace=st.lists(st.text(), max_size=3),
)
def test_error_trailers_are_single_line_base64_of_single_line_json(
    message: str | None, error_type: str, trace: list[str]
) -> None:
    error = make_error(message, error_type, trace, "req")
    fields = error_trailers(error)
    block = wire.last_chunk(fields)  # raises if a field could break the framing
    assert block.count(b"\r\n") == len(fields) + 2
    (type_name, type_value), (body_name, body_value) = fields
    assert type_name == "Lambda-Runtime-Function-Error-Type"
    assert body_name == "Lambda-Runtime-Function-Error-Body"
    assert type_value.isascii() and type_value.isprintable() and type_value == type_value.strip()
    printable = "".join(c if " " <= c <= "~" else "_" for c in error_type)
    assert type_value == (" ".join(printable.split()) or "Runtime.Unknown")
    decoded = base64.b64decode(body_value, validate=True)
    assert b"\n" not in decoded and b"\r" not in decoded
    assert json.loads(decoded) == error.to_object()
    # h11 reads the trailer block back unchanged.
    head = wire.request_head("POST", "/", [("Host", "x"), ("Transfer-Encoding", "chunked")])
    _, _, got = _h11_parse_request(head + block)
    assert dict(got)["lambda-runtime-function-error-body"] == body_value


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text()
    | st.decimals(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


@given(value=json_values, utf8=st.booleans())
def test_to_json_matches_awslambdarics_simplejson_encoder(value: Any, utf8: bool) -> None:
    simplejson = pytest.importorskip("simplejson")

    def default(obj: Any) -> Any:
        if isinstance(obj, decimal.Decimal):
            return math.nan if obj.is_nan() else simplejson.RawJSON(str(obj))
        raise TypeError

    import os

    saved = os.environ.get("AWS_EXECUTION_ENV")
    os.environ["AWS_EXECUTION_ENV"] = "AWS_Lambda_python3.13" if utf8 else "AWS_Lambda_python3.9"
    try:
        ours = to_json(value)
    finally:
        if saved is None:
            del os.environ["AWS_EXECUTION_ENV"]
        else:
            os.environ["AWS_EXECUTION_ENV"] = saved
    theirs = simplejson.dumps(
        value, use_decimal=False, default=default, allow_nan=True, ensure_ascii=not utf8
    )
    assert ours == theirs
