"""The local HTTP server: framing by h11, bodies under a cap, streams that end or abort."""

from __future__ import annotations

import http.client
import json
import resource
import socket
import threading
from collections.abc import Iterator

import pytest

from bedrock_stream.local.http_exchange import BodyTooLarge, Exchange
from bedrock_stream.local.http_head import Refusal
from bedrock_stream.local.http_server import HTTPServer


def _serve(handler: object) -> Iterator[HTTPServer]:
    with HTTPServer(handler, io_timeout=5, idle_timeout=5) as server:  # type: ignore[arg-type]
        yield server


@pytest.fixture
def echo() -> Iterator[HTTPServer]:
    def handler(exchange: Exchange) -> None:
        try:
            body = exchange.read_body(limit=100)
        except BodyTooLarge:
            exchange.respond_json(413, {"message": "too large"})
            return
        document = {
            "method": exchange.method,
            "target": exchange.target,
            "body": body.decode(),
            "trailers": exchange.trailers,
            "x": exchange.header("X-Repeat"),
        }
        exchange.respond_json(200, document)

    yield from _serve(handler)


def _raw(server: HTTPServer, data: bytes) -> bytes:
    with socket.create_connection((server.host, server.port)) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_keep_alive_serves_several_requests_on_one_connection(echo: HTTPServer) -> None:
    connection = http.client.HTTPConnection(echo.host, echo.port)
    try:
        for n in range(3):
            connection.request("POST", f"/p?n={n}", body=b"hello", headers={"X-Repeat": "a"})
            response = connection.getresponse()
            document = json.loads(response.read())
            assert (document["target"], document["body"]) == (f"/p?n={n}", "hello")
            assert response.getheader("Connection") is None  # reusable
    finally:
        connection.close()


def test_chunked_request_body_and_trailers_are_read(echo: HTTPServer) -> None:
    raw = _raw(
        echo,
        b"POST /t HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nX-Repeat: a\r\n"
        b"X-Repeat: b\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n",
    )
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    document = json.loads(body)
    assert document["body"] == "abcde"
    assert document["trailers"] == [["T", "1"]]
    assert document["x"] == "a, b"


def test_declared_oversized_body_is_refused_without_reading_it(echo: HTTPServer) -> None:
    raw = _raw(echo, b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 413")
    assert b"connection: close" in raw.lower()


def test_chunked_body_over_the_cap_is_refused(echo: HTTPServer) -> None:
    chunk = b"40\r\n" + b"x" * 64 + b"\r\n"
    raw = _raw(
        echo,
        b"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk * 3,
    )
    assert raw.startswith(b"HTTP/1.1 413")


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GARBAGE\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", b"431"),
        (b"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", b"400"),
    ],
)
def test_malformed_requests_get_a_json_error_and_the_connection_closes(
    echo: HTTPServer, request_bytes: bytes, status: bytes
) -> None:
    raw = _raw(echo, request_bytes)
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == status
    assert b"connection: close" in head.lower()
    assert json.loads(body)["message"] in ("Bad request", "Request header fields too large")


def test_handler_errors_become_a_generic_500_without_details() -> None:
    def handler(exchange: Exchange) -> None:
        raise RuntimeError("secret detail")

    for server in _serve(handler):
        raw = _raw(server, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 500")
    assert b"secret" not in raw
    assert raw.endswith(b'{"message":"Internal server error"}')


def test_a_stream_is_sent_chunk_by_chunk_and_an_abort_truncates_it() -> None:
    release = threading.Event()

    def handler(exchange: Exchange) -> None:
        exchange.start(200, [("Content-Type", "text/plain")])
        exchange.send(b"first ")
        release.wait(5)
        exchange.send(b"second")
        if exchange.target == "/abort":
            exchange.abort()
        else:
            exchange.end([("X-Done", "yes")])

    for server in _serve(handler):
        for target in ("/end", "/abort"):
            release.clear()
            connection = http.client.HTTPConnection(server.host, server.port)
            try:
                connection.request("GET", target)
                response = connection.getresponse()
                assert response.read1(100) == b"first "  # arrived before the handler went on
                release.set()
                if target == "/end":
                    assert response.read() == b"second"
                else:
                    with pytest.raises(http.client.IncompleteRead):
                        response.read()
            finally:
                connection.close()


def test_a_streamed_answer_without_a_body_is_framed_as_one() -> None:
    """A 204 or 304 says nothing of chunks (RFC 9112 6.1); a HEAD's answer sends no body."""

    def handler(exchange: Exchange) -> None:
        exchange.start(int(exchange.target.strip("/")), [("Content-Type", "text/plain")])
        exchange.send(b"dropped")
        exchange.end([("X-Done", "yes")])

    for server in _serve(handler):
        connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
        try:
            for method, status in (("GET", 204), ("GET", 304), ("HEAD", 200), ("GET", 200)):
                connection.request(method, f"/{status}")
                response = connection.getresponse()
                chunked = response.getheader("Transfer-Encoding") == "chunked"
                assert (response.status, chunked) == (status, status == 200)
                assert response.read() == (b"dropped" if chunked and method == "GET" else b"")
        finally:
            connection.close()


def test_peer_closed_sees_a_live_client_on_a_descriptor_past_1024() -> None:
    # A stack with ~200 warm functions holds over 1024 descriptors; select() cannot watch
    # those (FD_SETSIZE), and a client must not then be taken for gone.
    seen: list[bool] = []
    answered = threading.Event()

    def handler(exchange: Exchange) -> None:
        seen.append(exchange.peer_closed())
        answered.set()
        exchange.respond_json(200, {})

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1200:
        pytest.skip(f"needs 1200 descriptors, the limit is {soft}")
    ballast = [socket.socket()]
    try:
        while ballast[-1].fileno() < 1100:
            ballast.append(socket.socket())
        for server in _serve(handler):
            connection = http.client.HTTPConnection(server.host, server.port)
            try:
                connection.request("GET", "/")
                assert connection.getresponse().status == 200
            finally:
                connection.close()
    finally:
        for sock in ballast:
            sock.close()
    assert answered.is_set()
    assert seen == [False]


def test_every_refusal_status_has_a_message_for_the_client() -> None:
    assert Refusal(501, "h11").message == "Not implemented"
    # A status a later h11 might hint is answered, not a KeyError in the connection thread.
    assert Refusal(414, "h11").message == "Request-URI Too Long"
