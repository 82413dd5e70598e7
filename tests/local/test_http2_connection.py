"""The local HTTP server over HTTP/2 (h2c, prior knowledge), with h2 itself as the client."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import threading
import time
from collections.abc import Iterator

import h2.events
import pytest

from bedrock_stream.local.http_exchange import ClientGone, Exchange
from bedrock_stream.local.http_server import HTTPServer
from h2_peer import H2Client

INTERNAL_ERROR = 2
REFUSED_STREAM = 7
CHUNK = 64 * 1024
BIG = 16 * CHUNK


class Handlers:
    """Handlers by path, and what they saw."""

    def __init__(self) -> None:
        self.gone = threading.Event()
        self.peer_closed_seen = threading.Event()
        self.barrier = threading.Barrier(2, timeout=5)
        self.release = threading.Event()

    def __call__(self, exchange: Exchange) -> None:
        getattr(self, exchange.target.strip("/").split("?")[0])(exchange)

    def echo(self, exchange: Exchange) -> None:
        body = exchange.read_body()
        exchange.respond_json(
            200,
            {
                "version": exchange.http_version,
                "method": exchange.method,
                "host": exchange.header("host"),
                "x": exchange.header("x-repeat"),
                "size": len(body),
                "sha256": hashlib.sha256(body).hexdigest(),
                "trailers": exchange.trailers,
            },
        )

    def big(self, exchange: Exchange) -> None:
        exchange.start(200, [("Content-Type", "application/octet-stream")], trailers="x-sha256")
        for n in range(BIG // CHUNK):
            exchange.send(bytes([n]) * CHUNK)
        exchange.end([("X-Sha256", _digest())])

    def linger(self, exchange: Exchange) -> None:
        exchange.start(200, [("Content-Type", "text/plain")])
        exchange.send(b"first")
        deadline = time.monotonic() + 5
        while not exchange.peer_closed() and time.monotonic() < deadline:
            time.sleep(0.01)
        if exchange.peer_closed():
            self.peer_closed_seen.set()
        try:
            exchange.send(b"more")
        except ClientGone:
            self.gone.set()

    def meet(self, exchange: Exchange) -> None:
        self.barrier.wait()  # breaks (500) unless both streams are answered at once
        exchange.respond(200, [("Content-Type", "text/plain")], exchange.target.encode())

    def block(self, exchange: Exchange) -> None:
        self.release.wait(10)

    def badhead(self, exchange: Exchange) -> None:
        exchange.respond(200, [("te", "gzip"), ("x-fine", "1")], b"ok")

    def pseudo(self, exchange: Exchange) -> None:
        exchange.respond(200, [(":path", "/elsewhere")], b"no")

    def bodiless(self, exchange: Exchange) -> None:
        exchange.start(int(exchange.target.partition("=")[2]), [("Content-Type", "text/plain")])
        exchange.send(b"dropped")
        exchange.end([("X-Done", "yes")])

    def cut(self, exchange: Exchange) -> None:
        exchange.start(200, [("Content-Type", "text/plain")])
        exchange.send(b"half")
        exchange.abort()


def _digest() -> str:
    return hashlib.sha256(b"".join(bytes([n]) * CHUNK for n in range(BIG // CHUNK))).hexdigest()


@pytest.fixture
def handlers() -> Handlers:
    return Handlers()


@pytest.fixture
def server(handlers: Handlers) -> Iterator[HTTPServer]:
    with HTTPServer(handlers, io_timeout=5, idle_timeout=5, http2=True) as server:
        yield server


@pytest.fixture
def client(server: HTTPServer) -> Iterator[H2Client]:
    with H2Client(server.host, server.port) as client:
        yield client


def test_http2_and_http1_share_the_port(server: HTTPServer, client: H2Client) -> None:
    response = client.response(client.request("POST", "/echo", [("x-repeat", "a")], b"hi"))
    assert response.status == 200 and response.headers["content-type"] == "application/json"
    document = json.loads(response.data)
    assert document["version"] == "2" and document["method"] == "POST"
    assert document["host"] == client.authority and document["x"] == "a"
    assert document["size"] == 2
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        connection.request("POST", "/echo", body=b"hi")
        assert json.loads(connection.getresponse().read())["version"] == "1.1"
    finally:
        connection.close()


def test_a_large_stream_waits_for_window_updates(server: HTTPServer) -> None:
    with H2Client(server.host, server.port, window=16384) as client:
        client.acknowledge = False
        stream_id = client.request("GET", "/big")
        response = client.responses[stream_id]
        client.until(lambda: len(response.data) >= 16384)
        client.sock.settimeout(0.3)
        with pytest.raises(TimeoutError):  # the window is spent: the server waits
            client.read_once()
        assert len(response.data) == 16384
        client.sock.settimeout(5)
        client.acknowledge = True
        client.grant(stream_id, len(response.data))
        client.response(stream_id)
    assert response.ended and len(response.data) == BIG
    assert hashlib.sha256(response.data).hexdigest() == response.trailers["x-sha256"]
    assert response.headers.get("trailer") == "x-sha256"


def test_a_request_body_past_the_initial_window_is_read_whole(client: H2Client) -> None:
    body = bytes(range(256)) * 1200  # 300 KiB: needs the server's WINDOW_UPDATEs
    document = json.loads(client.response(client.request("PUT", "/echo", body=body)).data)
    assert document["size"] == len(body)
    assert document["sha256"] == hashlib.sha256(body).hexdigest()


def test_a_stream_the_client_resets_is_a_client_that_left(
    handlers: Handlers, client: H2Client
) -> None:
    stream_id = client.request("GET", "/linger")
    client.until(lambda: bytes(client.responses[stream_id].data) == b"first")
    client.reset(stream_id)
    assert handlers.peer_closed_seen.wait(5) and handlers.gone.wait(5)
    # The connection goes on: only that stream is over.
    assert client.response(client.request("GET", "/echo")).status == 200


def test_two_streams_on_one_connection_are_answered_at_once(client: H2Client) -> None:
    first, second = client.request("GET", "/meet?1"), client.request("GET", "/meet?2")
    assert bytes(client.response(first).data) == b"/meet?1"
    assert bytes(client.response(second).data) == b"/meet?2"


def test_an_abort_resets_the_stream_and_spares_the_connection(client: H2Client) -> None:
    response = client.response(client.request("GET", "/cut"))
    assert response.reset == INTERNAL_ERROR and not response.ended
    assert bytes(response.data) == b"half"
    assert client.response(client.request("GET", "/echo")).status == 200


def test_a_foreign_authority_is_refused_like_a_foreign_host(client: H2Client) -> None:
    response = client.response(client.request("GET", "/echo", authority="evil.example"))
    assert response.status == 403
    assert json.loads(response.data) == {"message": "Forbidden"}


def test_a_handler_error_is_a_500_over_http2(client: H2Client) -> None:
    response = client.response(client.request("GET", "/missing"))
    assert response.status == 500
    assert json.loads(response.data) == {"message": "Internal server error"}


@pytest.mark.parametrize("then_ping", [False, True], ids=["goaway", "goaway-and-ping-at-once"])
def test_a_graceful_goaway_lets_the_open_streams_finish(client: H2Client, then_ping: bool) -> None:
    stream_id = client.request("GET", "/big")
    client.goaway(then_ping=then_ping)  # as Node.js closes each session, after its request
    response = client.response(stream_id)
    assert client.pings == then_ping  # a frame after the GOAWAY in the same read is served
    assert response.ended and len(response.data) == BIG
    with pytest.raises(ConnectionError):  # then the server ends the connection
        client.until(lambda: False)
    assert client.terminated


@pytest.mark.parametrize(("method", "status"), [("GET", 204), ("GET", 304), ("HEAD", 200)])
def test_a_streamed_answer_without_a_body_sends_no_data(
    client: H2Client, method: str, status: int
) -> None:
    """RFC 9113 8.1.1: a HEAD's answer, a 204 and a 304 carry no content in DATA frames."""
    stream = client.request(method, f"/bodiless?status={status}")
    client.until(lambda: client.responses[stream].done)
    response = client.responses[stream]
    assert (response.status, bytes(response.data), response.ended) == (status, b"", True)


def test_request_trailers_reach_the_handler(client: H2Client) -> None:
    stream_id = client.request("POST", "/echo", body=b"abc", end=False)
    client.conn.send_headers(stream_id, [("x-checksum", "900150983cd24fb0")], end_stream=True)
    client.sock.sendall(client.conn.data_to_send())
    document = json.loads(client.response(stream_id).data)
    assert document["size"] == 3
    assert document["trailers"] == [["x-checksum", "900150983cd24fb0"]]


def test_the_credit_of_a_reset_streams_body_comes_back_to_the_connection(client: H2Client) -> None:
    # The connection's window is shared: credit kept by reset streams would starve the rest.
    head = [(":method", "POST"), (":scheme", "http"), (":authority", client.authority)]
    for _ in range(3):
        # Head, body and reset in one write: the server has them all before the handler reads.
        stream_id = client.conn.get_next_available_stream_id()
        client.conn.send_headers(stream_id, [*head, (":path", "/echo")])
        client.conn.send_data(stream_id, b"x" * 14_000)
        client.conn.send_data(stream_id, b"x" * 14_000)
        client.conn.reset_stream(stream_id, 8)
        client.sock.sendall(client.conn.data_to_send())
        time.sleep(0.3)
        with contextlib.suppress(TimeoutError):
            client.read_once()  # the server's WINDOW_UPDATEs
    body = b"y" * 60_000
    document = json.loads(client.response(client.request("POST", "/echo", body=body)).data)
    assert document["size"] == len(body)


def test_a_te_field_is_dropped_and_a_pseudo_header_is_a_500_that_spares_the_connection(
    client: H2Client,
) -> None:
    dropped = client.response(client.request("GET", "/badhead"))
    assert (
        dropped.status == 200 and "te" not in dropped.headers and dropped.headers["x-fine"] == "1"
    )
    assert client.response(client.request("GET", "/pseudo")).status == 500
    # Header compression is still in step: the next answer decodes.
    assert client.response(client.request("GET", "/echo", [("x-repeat", "b")])).status == 200


def test_streams_reset_at_once_cannot_pile_up_handlers(
    handlers: Handlers, client: H2Client
) -> None:
    try:
        for _ in range(100):  # the concurrent streams the server advertises
            client.reset(client.request("GET", "/block"))
        refused = client.request("GET", "/block")
        assert client.response(refused).reset == REFUSED_STREAM
    finally:
        handlers.release.set()
    time.sleep(0.5)  # the held handlers end; then streams are served again
    assert client.response(client.request("GET", "/echo")).status == 200


def test_a_client_that_expects_100_continue_gets_it_before_sending_its_body(
    client: H2Client,
) -> None:
    stream_id = client.request("POST", "/echo", [("expect", "100-continue")], end=False)
    events: list[object] = []
    while not any(isinstance(event, h2.events.InformationalResponseReceived) for event in events):
        events += client.read_once()
    client.conn.send_data(stream_id, b"body", end_stream=True)
    client.sock.sendall(client.conn.data_to_send())
    assert json.loads(client.response(stream_id).data)["size"] == 4
