"""The standard-library transport's connection pool, against loopback servers run by each test.

The servers speak raw HTTP/1.1 from scripts (one handler per accepted connection) and count the
connections they accept, so reuse, reconnects and retries are observed on the server's side.
TLS uses throwaway trustme CAs; botocore's URLLib3Session is the reference for ``AWS_CA_BUNDLE``.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import socket
import ssl
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import botocore.exceptions
import pytest
import trustme
from botocore.awsrequest import AWSRequest
from botocore.httpsession import URLLib3Session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bedrock_stream.bedrock.transport.connection import (
    BodyBroken,
    CertificateError,
    ConnectFailed,
    NoResponse,
    Pool,
    Response,
    ResponseTimeout,
)

# -- a scripted loopback server ------------------------------------------------------------------


@dataclass
class Request:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key == name]
        assert len(values) <= 1, self.headers
        return values[0] if values else None


class Peer:
    """One accepted connection, server side."""

    def __init__(self, server: Server, sock: socket.socket, index: int) -> None:
        self.server = server
        self.sock = sock
        self.index = index
        self.file = sock.makefile("rb")

    def read_request(self) -> Request | None:
        """The next request, recorded on the server; None once the client has closed."""
        line = self.file.readline()
        if not line:
            return None
        method, target, _ = line.decode("latin-1").split(" ", 2)
        headers = []
        while (field := self.file.readline()) not in (b"\r\n", b""):
            name, _, value = field.decode("latin-1").partition(":")
            headers.append((name.strip().lower(), value.strip()))
        length = int(dict(headers).get("content-length", "0"))
        request = Request(method, target, headers, self.file.read(length))
        self.server.requests.append(request)
        return request

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def wait(self, gate: threading.Event) -> None:
        """Wait for the test to open ``gate`` (or to stop the server)."""
        while not gate.wait(0.01) and not self.server.stopping.is_set():
            pass

    def close(self) -> None:
        self.file.close()
        self.sock.close()


Handler = Callable[[Peer], None]


class Server:
    """A loopback HTTP/1.1 server: each accepted connection runs ``handler`` in a thread."""

    def __init__(self, handler: Handler, tls: ssl.SSLContext | None = None) -> None:
        self._handler = handler
        self._tls = tls
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.accepts = 0
        self.requests: list[Request] = []
        self.errors: list[BaseException] = []
        self.alpn: list[str | None] = []
        self.stopping = threading.Event()
        self._socks: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept)
        self._acceptor.start()

    def url(self, path: str = "") -> str:
        scheme = "https" if self._tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while True:
            sock, _ = self._listener.accept()
            if self.stopping.is_set():
                sock.close()
                return
            index, self.accepts = self.accepts, self.accepts + 1
            self._socks.append(sock)
            thread = threading.Thread(target=self._serve, args=(sock, index))
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket, index: int) -> None:
        try:
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_side=True)
                self.alpn.append(sock.selected_alpn_protocol())
            peer = Peer(self, sock, index)
            try:
                self._handler(peer)
            finally:
                peer.close()
        except Exception as error:  # the client went away, or refused the certificate
            self.errors.append(error)
        finally:
            sock.close()

    def close(self) -> None:
        self.stopping.set()
        socket.create_connection(("127.0.0.1", self.port)).close()
        self._acceptor.join()
        self._listener.close()
        for sock in self._socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a handler blocked reading
        for thread in self._threads:
            thread.join()


def reply(body: bytes, *fields: str, status: str = "200 OK") -> bytes:
    head = "\r\n".join([f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *fields])
    return f"{head}\r\n\r\n".encode() + body


CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
LAST_CHUNK = b"0\r\n\r\n"


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def answer_all(peer: Peer) -> None:
    """Answer every request with ``<connection index> <target>``."""
    while (request := peer.read_request()) is not None:
        peer.send(reply(f"{peer.index} {request.target}".encode()))


def drain(response: Response, amt: int | None, into: list[bytes]) -> None:
    """Read ``response`` ``amt`` bytes at a time to its end, into ``into``."""
    while data := response.read(amt):
        into.append(data)


def read_all(response: Response, size: int = 7) -> bytes:
    parts: list[bytes] = []
    drain(response, size, parts)
    return b"".join(parts)


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(handler: Handler, tls: ssl.SSLContext | None = None) -> Server:
        servers.append(Server(handler, tls))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def pools() -> Iterator[Callable[..., Pool]]:
    made: list[Pool] = []

    def make(url: str, **options: object) -> Pool:
        options = {"connect_timeout": 5.0, "read_timeout": 10.0, **options}
        made.append(Pool(url, **options))  # type: ignore[arg-type]
        return made[-1]

    yield make
    for pool in made:
        pool.close()


def get(pool: Pool, path: str = "/") -> bytes:
    with pool.request("GET", path, []) as response:
        assert response.status == 200
        return read_all(response)


# -- TLS -----------------------------------------------------------------------------------------


@dataclass
class Authority:
    ca: trustme.CA
    pem: Path

    def server_context(self, *hosts: str) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ca.issue_cert(*(hosts or ("127.0.0.1", "localhost"))).configure_cert(context)
        context.set_alpn_protocols(["h2", "http/1.1"])
        return context


def _authority(directory: Path, name: str) -> Authority:
    ca = trustme.CA()
    pem = directory / f"{name}.pem"
    ca.cert_pem.write_to_path(str(pem))
    return Authority(ca, pem)


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    return _authority(tmp_path_factory.mktemp("ca"), "server-ca")


@pytest.fixture(scope="module")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    """A CA that signed nothing the servers present."""
    return _authority(tmp_path_factory.mktemp("ca"), "other-ca")


def test_tls_succeeds_only_with_the_ca_bundle(serve, pools, authority) -> None:
    server = serve(answer_all, authority.server_context())
    trusted = pools(server.url(), ca_bundle=str(authority.pem))
    assert get(trusted, "/a") == b"0 /a"
    assert server.alpn == ["http/1.1"]  # the server prefers h2: the client offered http/1.1 alone
    with pytest.raises(CertificateError, match="AWS_CA_BUNDLE") as raised:
        get(pools(server.url()))
    assert isinstance(raised.value.__cause__, ssl.SSLCertVerificationError)
    assert server.url() in str(raised.value)


def test_tls_sends_the_host_as_server_name(serve, pools, authority) -> None:
    names: list[str | None] = []
    context = authority.server_context()
    context.sni_callback = lambda sock, name, ctx: names.append(name)  # type: ignore[assignment]
    server = serve(answer_all, context)
    pool = pools(f"https://localhost:{server.port}", ca_bundle=str(authority.pem))
    assert get(pool) == b"0 /"
    assert names == ["localhost"]


def test_tls_rejects_a_certificate_for_another_host(serve, pools, authority) -> None:
    server = serve(answer_all, authority.server_context("elsewhere.test"))
    with pytest.raises(CertificateError, match="AWS_CA_BUNDLE"):
        get(pools(server.url(), ca_bundle=str(authority.pem)))


def test_ca_bundle_replaces_the_system_store_as_in_botocore(
    serve, pools, authority, stranger, monkeypatch
) -> None:
    # OpenSSL's "system store" follows SSL_CERT_FILE: make it the server's CA.
    monkeypatch.setenv("SSL_CERT_FILE", str(authority.pem))
    server = serve(answer_all, authority.server_context())
    assert get(pools(server.url())) == b"0 /"
    with pytest.raises(CertificateError, match=r"other-ca\.pem"):
        get(pools(server.url(), ca_bundle=str(stranger.pem)))

    def botocore_get(verify: str | bool) -> int:
        session = URLLib3Session(verify=verify)
        try:
            return int(session.send(AWSRequest("GET", server.url("/")).prepare()).status_code)
        finally:
            session.close()

    assert botocore_get(str(authority.pem)) == 200
    with pytest.raises(botocore.exceptions.SSLError):
        botocore_get(str(stranger.pem))  # AWS_CA_BUNDLE replaces, it does not add
    with pytest.raises(botocore.exceptions.SSLError):
        botocore_get(True)  # botocore's default is certifi's bundle, not the system store


def test_unreadable_ca_bundle_fails_to_connect(serve, pools, authority, tmp_path) -> None:
    server = serve(answer_all, authority.server_context())
    with pytest.raises(ConnectFailed, match="AWS_CA_BUNDLE"):
        get(pools(server.url(), ca_bundle=str(tmp_path / "missing.pem")))


def test_refused_connection_names_the_origin(pools) -> None:
    with socket.create_server(("127.0.0.1", 0)) as unused:
        port = unused.getsockname()[1]
    with pytest.raises(ConnectFailed, match=re.escape(f"http://127.0.0.1:{port}")) as raised:
        get(pools(f"http://127.0.0.1:{port}"))
    assert isinstance(raised.value.__cause__, ConnectionRefusedError)


# -- keep-alive ----------------------------------------------------------------------------------

SCHEMES = pytest.mark.parametrize("secure", [False, True], ids=["http", "https"])


def _start(serve, authority: Authority, secure: bool, handler: Handler) -> Server:
    return serve(handler, authority.server_context() if secure else None)


def _pool(pools, authority: Authority, server: Server) -> Pool:
    return pools(server.url(), ca_bundle=str(authority.pem))


@SCHEMES
def test_sequential_requests_share_one_connection(serve, pools, authority, secure) -> None:
    server = _start(serve, authority, secure, answer_all)
    pool = _pool(pools, authority, server)
    assert get(pool, "/1") == b"0 /1"
    assert get(pool, "/2") == b"0 /2"
    assert server.accepts == 1


@SCHEMES
def test_idle_connection_closed_by_the_server_is_replaced(serve, pools, authority, secure) -> None:
    closed = threading.Event()

    def once_then_close(peer: Peer) -> None:
        if peer.index == 0:
            peer.read_request()
            peer.send(reply(b"first"))
            peer.close()
            closed.set()
        else:
            answer_all(peer)

    server = _start(serve, authority, secure, once_then_close)
    pool = _pool(pools, authority, server)
    assert get(pool) == b"first"
    assert closed.wait(30)
    assert get(pool, "/again") == b"1 /again"
    assert server.accepts == 2
    assert [request.target for request in server.requests] == ["/", "/again"]


def test_idle_connection_with_unsolicited_bytes_is_not_reused(serve, pools) -> None:
    idle, sent = threading.Event(), threading.Event()

    def then_a_stray_408(peer: Peer) -> None:
        if peer.index == 0:
            peer.read_request()
            peer.send(reply(b"first"))
            peer.wait(idle)
            peer.send(reply(b"idle too long", "Connection: close", status="408 Request Timeout"))
            sent.set()
        answer_all(peer)  # and keeps the connection open

    server = serve(then_a_stray_408)
    pool = pools(server.url())
    assert get(pool) == b"first"
    idle.set()
    assert sent.wait(30)
    assert get(pool, "/again") == b"1 /again"  # not the stray 408 read as this answer
    assert server.accepts == 2


@SCHEMES
def test_a_request_the_server_read_is_never_sent_again(serve, pools, authority, secure) -> None:
    # The server may have acted on it (a generation started, billed): repeating a call is
    # the caller's retry policy's decision, as with botocore's single attempt.
    def drop_the_second(peer: Peer) -> None:
        if peer.index == 0:
            peer.read_request()
            peer.send(reply(b"first"))
            peer.read_request()  # then close without answering
        else:
            answer_all(peer)

    server = _start(serve, authority, secure, drop_the_second)
    pool = _pool(pools, authority, server)
    assert get(pool) == b"first"
    with pytest.raises(NoResponse, match=re.escape(server.url())):
        get(pool, "/again")
    assert server.accepts == 1
    assert [request.target for request in server.requests] == ["/", "/again"]
    assert get(pool, "/then") == b"1 /then"  # on a new connection


def test_fresh_connection_failure_is_not_retried(serve, pools) -> None:
    server = serve(lambda peer: peer.read_request())  # reads, closes without answering
    with pytest.raises(NoResponse, match=re.escape(server.url())):
        get(pools(server.url()))
    assert server.accepts == 1


def test_connection_close_from_the_server_is_honoured(serve, pools) -> None:
    def keep_open_but_say_close(peer: Peer) -> None:
        while (request := peer.read_request()) is not None:
            peer.send(reply(f"{peer.index} {request.target}".encode(), "Connection: close"))

    server = serve(keep_open_but_say_close)
    pool = pools(server.url())
    assert get(pool, "/1") == b"0 /1"
    assert get(pool, "/2") == b"1 /2"
    assert server.accepts == 2


def test_response_closed_early_discards_its_connection(serve, pools) -> None:
    server = serve(answer_all)
    pool = pools(server.url())
    with pool.request("GET", "/long-enough", []) as response:
        assert response.read(1) == b"0"
    assert get(pool, "/next") == b"1 /next"
    assert server.accepts == 2


def test_timeout_on_a_reused_connection_is_not_retried(serve, pools) -> None:
    def answer_once_then_hang(peer: Peer) -> None:
        peer.read_request()
        peer.send(reply(b"first"))
        peer.read_request()
        peer.wait(threading.Event())

    server = serve(answer_once_then_hang)
    pool = pools(server.url(), read_timeout=0.2)
    assert get(pool) == b"first"
    with pytest.raises(ResponseTimeout, match=re.escape(server.url())):
        get(pool)
    assert server.accepts == 1


# -- streaming -----------------------------------------------------------------------------------


def test_chunked_body_streams_while_the_server_is_still_sending(serve, pools) -> None:
    gate = threading.Event()
    first, rest = b"first part|", [b"second ", b"and third", bytes(range(256)) * 40]

    def gated(peer: Peer) -> None:
        peer.read_request()
        peer.send(CHUNKED + chunk(first))
        peer.wait(gate)
        peer.send(b"".join(chunk(part) for part in rest) + LAST_CHUNK)
        answer_all(peer)

    server = serve(gated)
    pool = pools(server.url())
    response = pool.request("GET", "/", [])
    assert response.headers.header("Transfer-Encoding") == "chunked"
    received = b""
    while len(received) < len(first):
        received += response.read(4)
    assert received == first  # all before the gate opened
    gate.set()
    assert read_all(response, 1000) == b"".join(rest)
    assert response.read(10) == b""
    assert get(pool, "/next") == b"0 /next"  # read to the end: the connection was reused
    assert server.accepts == 1


def _cut(head: bytes, sent: bytes, *, reset: bool = False) -> Handler:
    def handler(peer: Peer) -> None:
        peer.read_request()
        peer.send(head + sent)
        if reset:  # close with an RST rather than a FIN
            peer.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    return handler


CUTS = {
    "content-length": (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", b"ten bytes!"),
    "mid-chunk": (CHUNKED, b"64\r\nten bytes!"),
    "between-chunks": (CHUNKED, chunk(b"ten bytes!")),
}


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
@pytest.mark.parametrize("amt", [None, 3])
@pytest.mark.parametrize("cut", sorted(CUTS))
def test_body_cut_short_raises_body_broken(serve, pools, cut, amt, reset) -> None:
    server = serve(_cut(*CUTS[cut], reset=reset))
    response = pools(server.url()).request("GET", "/", [])
    received: list[bytes] = []
    with pytest.raises(BodyBroken, match=re.escape(server.url())):
        drain(response, amt, received)
    assert b"ten bytes!".startswith(b"".join(received))


@pytest.mark.parametrize("cut", sorted(CUTS))
def test_body_stalling_raises_body_broken(serve, pools, cut) -> None:
    head, sent = CUTS[cut]

    def stall(peer: Peer) -> None:
        _cut(head, sent)(peer)
        peer.wait(threading.Event())

    server = serve(stall)
    response = pools(server.url(), read_timeout=0.2).request("GET", "/", [])
    with pytest.raises(BodyBroken) as raised:
        drain(response, 3, [])
    assert isinstance(raised.value.__cause__, TimeoutError)


def test_no_status_line_within_the_read_timeout(serve, pools) -> None:
    def hang(peer: Peer) -> None:
        peer.read_request()
        peer.wait(threading.Event())

    server = serve(hang)
    with pytest.raises(ResponseTimeout):
        get(pools(server.url(), read_timeout=0.2))


# -- requests and headers ------------------------------------------------------------------------


def test_request_target_headers_and_body(serve, pools) -> None:
    def fields(peer: Peer) -> None:
        peer.read_request()
        peer.send(reply(b"{}", "X-Amzn-RequestId: r1", "X-Multi: a", "x-multi: b"))

    server = serve(fields)
    pool = pools(server.url("/base/"))
    headers = [("Content-Type", "application/json"), ("X-Amz-Date", "20260101T000000Z")]
    with pool.request("POST", "/model/m/invoke?x=1", headers, b'{"a":1}') as response:
        assert read_all(response) == b"{}"
        assert response.headers.header("x-amzn-requestid") == "r1"
        assert response.headers.header("X-MULTI") == "a, b"
        assert response.headers.header("absent") is None
        assert response.headers.items() == [
            ("content-length", "2"),
            ("x-amzn-requestid", "r1"),
            ("x-multi", "a"),
            ("x-multi", "b"),
        ]
    (request,) = server.requests
    assert (request.method, request.target, request.body) == (
        "POST",
        "/base/model/m/invoke?x=1",
        b'{"a":1}',
    )
    assert request.header("host") == f"127.0.0.1:{server.port}"
    assert request.header("content-length") == "7"
    assert request.header("accept-encoding") == "identity"
    assert request.header("content-type") == "application/json"


def test_given_host_and_length_are_not_duplicated(serve, pools) -> None:
    server = serve(answer_all)
    pool = pools(server.url())
    headers = [("Host", "signed.example"), ("Content-Length", "2")]
    with pool.request("PUT", "/", headers, b"hi") as response:
        read_all(response)
    (request,) = server.requests
    assert request.header("host") == "signed.example"  # header() asserts a single field
    assert request.header("content-length") == "2"


def test_empty_response_returns_the_connection_at_once(serve, pools) -> None:
    def no_content(peer: Peer) -> None:
        while (request := peer.read_request()) is not None:
            if request.target == "/":
                peer.send(b"HTTP/1.1 204 No Content\r\n\r\n")
            else:
                peer.send(reply(f"{peer.index}".encode()))

    server = serve(no_content)
    pool = pools(server.url())
    response = pool.request("DELETE", "/", [])
    assert response.status == 204
    assert get(pool, "/after") == b"0"  # without reading or closing the 204 first
    assert server.accepts == 1


@pytest.mark.parametrize(
    "url",
    ["ftp://host", "https://", "https://user@host", "https://host/?q=1", "https://host/#f"],
)
def test_rejects_what_is_not_an_origin(url: str) -> None:
    with pytest.raises(ValueError, match="origin"):
        Pool(url, connect_timeout=1, read_timeout=1)


# -- concurrency ---------------------------------------------------------------------------------


def test_overlapping_requests_use_two_connections_then_reuse_both(serve, pools) -> None:
    together = threading.Barrier(2)

    def meet(peer: Peer) -> None:
        while (request := peer.read_request()) is not None:
            together.wait(30)  # both requests are in flight at once
            peer.send(reply(f"{peer.index} {request.target}".encode()))

    server = serve(meet)
    pool = pools(server.url())

    def round_trip(tag: str) -> list[bytes]:
        results: list[bytes] = []
        threads = [
            threading.Thread(target=lambda n=n: results.append(get(pool, f"/{tag}{n}")))
            for n in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sorted(results, key=lambda body: body.split()[1])

    first = round_trip("a")
    assert [body.split()[1] for body in first] == [b"/a0", b"/a1"]
    assert {body.split()[0] for body in first} == {b"0", b"1"}
    second = round_trip("b")
    assert [body.split()[1] for body in second] == [b"/b0", b"/b1"]
    assert {body.split()[0] for body in second} == {b"0", b"1"}
    assert server.accepts == 2
    assert server.errors == []


def test_idle_connections_are_reused_last_in_first_out(serve, pools) -> None:
    server = serve(answer_all)
    pool = pools(server.url())
    older = pool.request("GET", "/1", [])
    newer = pool.request("GET", "/2", [])  # the first is still busy: a second connection
    assert read_all(newer) == b"1 /2"  # returned first
    assert read_all(older) == b"0 /1"  # returned last
    assert get(pool, "/3") == b"0 /3"
    assert get(pool, "/4") == b"0 /4"
    assert server.accepts == 2


# -- byte-exact round trips ----------------------------------------------------------------------


def echo(peer: Peer) -> None:
    """Echo the request body, framed as its x-mode header says, in the x-cuts pieces."""
    while (request := peer.read_request()) is not None:
        body = request.body
        if request.header("x-mode") != "chunked":
            peer.send(reply(body))
            continue
        cuts = [int(cut) for cut in (request.header("x-cuts") or "").split(",") if cut]
        bounds = [0, *sorted(cut for cut in cuts if cut <= len(body)), len(body)]
        pieces = [body[start:end] for start, end in itertools.pairwise(bounds) if end > start]
        peer.send(CHUNKED)
        for piece in pieces:
            peer.send(chunk(piece))
        peer.send(LAST_CHUNK)


@pytest.fixture(scope="module")
def echo_pool() -> Iterator[tuple[Server, Pool]]:
    server = Server(echo)
    pool = Pool(server.url(), connect_timeout=5, read_timeout=10)
    yield server, pool
    pool.close()
    server.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.binary(max_size=20_000),
    mode=st.sampled_from(["chunked", "content-length"]),
    cuts=st.lists(st.integers(0, 20_000), max_size=12),
    sizes=st.lists(st.integers(1, 9000), min_size=1, max_size=8),
)
def test_bodies_round_trip_byte_exact(echo_pool, body, mode, cuts, sizes) -> None:
    server, pool = echo_pool
    headers = [("x-mode", mode), ("x-cuts", ",".join(map(str, cuts)))]
    received = b""
    with pool.request("POST", "/echo", headers, body) as response:
        step = 0
        while data := response.read(sizes[step % len(sizes)]):
            assert len(data) <= sizes[step % len(sizes)]
            received += data
            step += 1
    assert received == body
    assert server.requests[-1].body == body
    assert server.accepts == 1  # every response was read to its end: one connection throughout
