"""The local HTTP server over TLS (what the Bedrock emulator's HTTPS stands on).

ALPN picks the protocol; the TLS socket replaces the plain one among the connections that
``close()`` shuts down, so an idle HTTPS client, or one that never finishes its handshake,
cannot hold the server open.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator

import pytest

from bedrock_stream.local.http_server import Exchange, HTTPServer
from bedrock_stream.local.tls import ALPN, LoopbackCertificate


def hello(exchange: Exchange) -> None:
    exchange.respond_json(200, {"version": exchange.http_version})


@pytest.fixture
def certificate() -> Iterator[LoopbackCertificate]:
    certificate = LoopbackCertificate()
    yield certificate
    certificate.close()
    assert not certificate.ca_bundle.exists()


def client_context(certificate: LoopbackCertificate, alpn: list[str]) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(certificate.ca_bundle))
    context.set_alpn_protocols(alpn)
    return context


def test_alpn_offers_h2_then_http1(certificate: LoopbackCertificate) -> None:
    server = HTTPServer(hello, http2=True, tls=certificate.context).start()
    try:
        assert server.url.startswith("https://127.0.0.1:")
        for offered, chosen in ((["h2", "http/1.1"], "h2"), (["http/1.1"], "http/1.1")):
            raw = socket.create_connection((server.host, server.port), timeout=5)
            with client_context(certificate, offered).wrap_socket(
                raw, server_hostname="localhost"
            ) as sock:
                assert sock.selected_alpn_protocol() == chosen
    finally:
        server.close()
    assert ALPN == ("h2", "http/1.1")


def test_a_server_without_http2_offers_http1_alone() -> None:
    certificate = LoopbackCertificate(http2=False)
    server = HTTPServer(hello, tls=certificate.context).start()
    try:
        raw = socket.create_connection((server.host, server.port), timeout=5)
        context = client_context(certificate, ["h2", "http/1.1"])
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
            assert sock.selected_alpn_protocol() == "http/1.1"
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert sock.recv(4096).startswith(b"HTTP/1.1 200 ")
    finally:
        server.close()
        certificate.close()


@pytest.mark.parametrize("handshake", [True, False], ids=["idle-after-handshake", "no-handshake"])
def test_close_does_not_wait_for_an_idle_tls_client(
    certificate: LoopbackCertificate, handshake: bool
) -> None:
    server = HTTPServer(hello, http2=True, tls=certificate.context, idle_timeout=60).start()
    raw = socket.create_connection((server.host, server.port), timeout=5)
    sock = raw
    if handshake:
        sock = client_context(certificate, ["h2"]).wrap_socket(raw, server_hostname="127.0.0.1")
    deadline = time.monotonic() + 5
    while server.connections == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)  # past the handshake, into the wait for the first bytes
    started = time.monotonic()
    server.close()
    assert time.monotonic() - started < 5
    assert server.connections == 0
    sock.close()
