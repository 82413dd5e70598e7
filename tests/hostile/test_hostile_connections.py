"""Hostile connections against the local HTTP server every front door and emulator runs on.

Load tests, stalled clients and web pages the developer visits: the server caps what it
serves and says so, keeps accepting when the process runs out of file descriptors, bounds
the time a request head may take, refuses heads that a proxy could read differently, and
answers only requests meant for this machine. Outcomes are asserted, never durations.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import pytest

from bedrock_stream.local.http_exchange import Exchange
from bedrock_stream.local.http_server import HTTPServer
from bedrock_stream.local.runtime_api import RuntimeAPIServer
from waiting import read_until_closed, wait_until


def _hello(exchange: Exchange) -> None:
    exchange.respond_json(200, {"target": exchange.target, "host": exchange.header("host")})


@contextlib.contextmanager
def _server(**options: object) -> Iterator[HTTPServer]:
    with HTTPServer(_hello, io_timeout=5, idle_timeout=30, **options) as server:  # type: ignore[arg-type]
        yield server


def _exchange(port: int, data: bytes, *, timeout: float = 10) -> bytes:
    """Send ``data``, then read until the server closes (a reset ends the reading too)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        return read_until_closed(sock)


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def _body(answer: bytes) -> object:
    return json.loads(answer.partition(b"\r\n\r\n")[2])


GET = b"GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


# -- how many it serves -----------------------------------------------------------------------


def test_beyond_the_connection_cap_a_client_gets_503_at_once_and_the_server_goes_on() -> None:
    with _server(max_connections=3) as server:
        held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(3)]
        try:
            for sock in held:  # each is being served (idle) before the next connects
                sock.sendall(b"GET /held HTTP/1.1\r\nHost: localhost\r\n\r\n")
                assert sock.recv(65536).startswith(b"HTTP/1.1 200")
            answer = _exchange(server.port, GET)
            assert _status(answer) == 503
            assert b"\r\nRetry-After: 1\r\n" in answer and b"\r\nConnection: close\r\n" in answer
            assert _body(answer) == {"message": "Too many connections"}
        finally:
            for sock in held:
                sock.close()
        wait_until(lambda: server.connections == 0, "the server closed its connections")
        assert _status(_exchange(server.port, GET)) == 200


_STARVED_SERVER = textwrap.dedent(
    """
    import resource, sys, threading
    from bedrock_stream.local.http_server import HTTPServer

    def hello(exchange):
        exchange.respond_json(200, {"ok": True})

    resource.setrlimit(resource.RLIMIT_NOFILE, (int(sys.argv[1]), int(sys.argv[1])))
    server = HTTPServer(hello, max_connections=10_000, idle_timeout=60).start()
    print(server.port, flush=True)
    sys.stdin.read()  # until the test closes our stdin
    server.close()
    """
)


@pytest.mark.skipif(sys.platform != "linux", reason="counts the server's descriptors in /proc")
def test_out_of_file_descriptors_clients_get_503_and_the_server_recovers() -> None:
    # A process limited to 64 descriptors, and 80 connections that stay open: the server
    # runs out, answers the rest 503 with the descriptor it keeps spare, and serves again
    # once the connections close (before, it stopped accepting for good, silently).
    limit, held_count = 64, 80
    with subprocess.Popen(
        [sys.executable, "-c", _STARVED_SERVER, str(limit)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None and process.stdin is not None
        port = int(process.stdout.readline())
        held: list[socket.socket] = []
        try:
            turned_away = []
            for _ in range(held_count):
                sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                held.append(sock)
                sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
                answer = sock.recv(65536)
                if _status(answer) == 503:
                    turned_away.append(_body(answer))
                else:
                    assert _status(answer) == 200
            assert turned_away and all(
                body == {"message": "Out of file descriptors"} for body in turned_away
            )
        finally:
            for sock in held:
                sock.close()
        # Once the server's threads have closed their connections, the next client is
        # served at once (no client is left waiting for, or answered by, the spare).
        wait_until(
            lambda: len(os.listdir(f"/proc/{process.pid}/fd")) < limit // 2,
            "the server freed its descriptors",
        )
        assert [_status(_exchange(port, GET)) for _ in range(3)] == [200, 200, 200]
        process.stdin.close()
        assert process.wait(timeout=30) == 0


# -- how long a head may take -------------------------------------------------------------------


def test_a_head_trickled_byte_by_byte_is_408_after_the_head_deadline() -> None:
    # Slowloris: every byte arrives well within the read timeout (5 s), but the head never
    # ends. At one byte per 50 ms, a head deadline of 0.5 s answers after about ten bytes;
    # without it the connection stays open for as long as bytes keep coming.
    with _server(head_timeout=0.5) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
            sent = 0
            with contextlib.suppress(OSError):  # the server may close while we write
                while sent < 200 and not _readable(sock):
                    sock.sendall(b"X")
                    sent += 1
                    time.sleep(0.05)
            answer = read_until_closed(sock)
        assert sent < 200, "the connection was still open after 200 bytes over 10 s"
        assert _status(answer) == 408
        assert _body(answer) == {"message": "Request timeout"}
        wait_until(lambda: server.connections == 0, "the server closed its connections")


def _readable(sock: socket.socket) -> bool:
    return bool(select.select([sock], [], [], 0)[0])


# -- heads a proxy could read differently ---------------------------------------------------------

SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n"


@pytest.mark.parametrize(
    "head",
    [
        b"POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"GET /a HTTP/1.1\r\nHost: localhost\r\nX-Folded: one\r\n two\r\n\r\n",
        b"GET /a HTTP/1.1\nHost: localhost\n\n",
        b"GET /a HTTP/1.1\r\nHost: localhost\nX-A: b\r\n\r\n",
        b"GET /a HTTP/1.1\r\nHost: localhost\r\nX-A: b\x01c\r\n\r\n",
        b"GET /a HTTP/1.1\r\nHost: localhost\r\nX-A: b\x7f\r\n\r\n",
        b"GET /a HTTP/1.1\r\nHost: localhost\r\nX-A: b\rc\r\n\r\n",  # h11 refuses it too
    ],
    ids=[
        "content-length-and-chunked",
        "obs-fold",
        "bare-lf",
        "one-bare-lf",
        "ctl",
        "del",
        "bare-cr",
    ],
)
def test_a_head_read_leniently_by_h11_is_400_and_the_connection_closes(head: bytes) -> None:
    with _server() as server:
        answer = _exchange(server.port, head + SMUGGLED)
    assert _status(answer) == 400
    assert answer.count(b"HTTP/1.1 ") == 1  # the bytes after it were never read as a request
    assert _body(answer) == {"message": "Bad request"}


@pytest.mark.parametrize(
    "head",
    [
        b"POST /a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"POST /a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        b"POST /a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n",
    ],
    ids=["gzip", "gzip-then-chunked", "two-transfer-encodings"],
)
def test_a_transfer_coding_h11_does_not_implement_is_501_and_the_connection_closes(
    head: bytes,
) -> None:
    with _server() as server:
        answer = _exchange(server.port, head + SMUGGLED)
        assert _status(_exchange(server.port, GET)) == 200  # the server goes on
    assert _status(answer) == 501
    assert answer.count(b"HTTP/1.1 ") == 1  # the bytes after it were never read as a request
    assert b"\r\nConnection: close\r\n" in answer
    assert _body(answer) == {"message": "Not implemented"}


def test_tabs_and_utf8_in_field_values_are_allowed_and_reach_the_handler_as_utf8() -> None:
    def echo(exchange: Exchange) -> None:
        exchange.respond_json(
            200, {"name": exchange.header("x-name"), "raw": exchange.header("x-raw")}
        )

    with HTTPServer(echo, io_timeout=5, idle_timeout=5) as server:
        answer = _exchange(
            server.port,
            b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Name: caf\xc3\xa9\tcr\xc3\xa8me\r\n"
            b"X-Raw: \xff\xfe\r\nConnection: close\r\n\r\n",
        )
    assert _status(answer) == 200
    # UTF-8 as API Gateway decodes it; bytes that are not UTF-8 arrive one character each.
    assert _body(answer) == {"name": "café\tcrème", "raw": "\xff\xfe"}


def test_pipelined_requests_are_each_checked_as_sent() -> None:
    with _server() as server:
        answer = _exchange(
            server.port,
            b"GET /one HTTP/1.1\r\nHost: localhost\r\n\r\n"
            b"GET /two HTTP/1.1\r\nHost: localhost\r\nX-Folded: a\r\n b\r\n\r\n" + SMUGGLED,
        )
    assert answer.count(b"HTTP/1.1 ") == 2
    first, _, second = answer.partition(b"HTTP/1.1 400")
    assert b'"target":"/one"' in first and b"smuggled" not in answer
    assert json.loads(second.partition(b"\r\n\r\n")[2]) == {"message": "Bad request"}


# -- who is asking ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["localhost", "localhost.", "app.localhost:3000", "127.0.0.1", "127.1.2.3:80", "[::1]:8"],
)
def test_loopback_names_in_host_are_served(host: str) -> None:
    with _server() as server:
        request = f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
        answer = _exchange(server.port, request)
    assert _status(answer) == 200


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:1234", "127.0.0.1.evil.example", "10.0.0.1", "[::2]"]
)
def test_a_foreign_host_is_refused_by_a_loopback_server(host: str) -> None:
    # DNS rebinding: a page on evil.example re-resolves its name to 127.0.0.1, and its
    # requests reach the stack with its own name in Host.
    with _server() as server:
        request = f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
        answer = _exchange(server.port, request)
    assert _status(answer) == 403
    assert _body(answer) == {"message": "Forbidden"}


@pytest.mark.parametrize(
    "fields",
    [
        "Origin: https://evil.example\r\nContent-Type: text/plain",
        "Origin: null",
        "Sec-Fetch-Site: cross-site",
        "Sec-Fetch-Site: same-origin",
    ],
)
def test_the_runtime_api_refuses_what_a_web_page_sends(fields: str) -> None:
    with RuntimeAPIServer() as api:
        invocation = api.invoke({"n": 1})
        port = int(api.address.rsplit(":", 1)[1])
        next_request = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: localhost\r\n"
        answer = _exchange(port, f"{next_request}{fields}\r\nConnection: close\r\n\r\n".encode())
        assert _status(answer) == 403
        assert invocation.state == "queued"  # the page took nothing
        plain = _exchange(
            port, f"{next_request}Sec-Fetch-Site: none\r\nConnection: close\r\n\r\n".encode()
        )
        assert _status(plain) == 200 and invocation.request_id.encode() in plain
