"""Hostile HTTP against the running local stack: its REST APIs, function URLs and Runtime API.

Every test drives real sockets on loopback. Outcomes are asserted (status, JSON body,
connection closed, order of events), never durations: a slow client meets a front door
built for the test with a timeout of a fraction of a second, and the test waits for the
outcome, not for a clock. The functions are ``tests/stack/app``; the misbehaving ones
write crafted bytes through the response sink (its ``raw`` action).
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bedrock_stream.http_integration import DELIMITER
from bedrock_stream.local.front_doors import FunctionUrlServer, RestApiServer
from bedrock_stream.local.http_server import HTTPService
from bedrock_stream.local.runtime_api import Invocation, RuntimeAPIServer
from bedrock_stream.local.stack import LocalStack
from waiting import read_until_closed, wait_for_file, wait_for_log

APP = Path(__file__).parents[1] / "stack" / "app"

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the local Lambda service is POSIX")


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(APP / "template.yaml", port=0, speed=0, concurrency=4) as running:
        yield running


def _url(stack: LocalStack, name: str) -> str:
    """The URL of a REST route (``.../Prod/run``) or of a function URL, by logical id."""
    for endpoint in stack.endpoints:
        if endpoint.name == name and endpoint.url.endswith(("/run", "/")):
            return endpoint.url
    raise KeyError(name)


def _connect(url: str, timeout: float = 60) -> socket.socket:
    parts = urlsplit(url if "//" in url else f"http://{url}")
    return socket.create_connection((parts.hostname, parts.port), timeout=timeout)


def _read_into(sock: socket.socket, received: bytearray) -> None:
    while chunk := sock.recv(65536):
        received += chunk


def _send(url: str, data: bytes, *, pieces: int = 1) -> bytes:
    """Send ``data`` (in ``pieces`` writes, apart), half-close, read until the server closes."""
    with _connect(url) as sock:
        with contextlib.suppress(OSError):  # a server that refuses may close before the end
            size = -(-len(data) // pieces)
            for start in range(0, len(data), size):
                sock.sendall(data[start : start + size])
                if pieces > 1:
                    time.sleep(0.05)  # let each piece arrive on its own
            sock.shutdown(socket.SHUT_WR)
        return read_until_closed(sock)


def _post(url: str, query: str = "", body: bytes = b"{}", headers: str = "") -> bytes:
    path = urlsplit(url).path or "/"
    head = (
        f"POST {path}{'?' + query if query else ''} HTTP/1.1\r\nHost: localhost\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n{headers}\r\n"
    )
    return _send(url, head.encode() + body)


def _split(answer: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = [tuple(line.split(":", 1)) for line in lines[1:]]
    return int(lines[0].split(" ")[1]), [(k.lower(), v.strip()) for k, v in fields], body


def _raw_query(stream: bytes) -> str:
    return "action=raw&data=" + base64.urlsafe_b64encode(stream).decode()


DOORS = [("StreamApi", "rest-api"), ("StreamFunction", "function-url")]

# -- oversized heads and bodies ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["StreamApi", "StreamFunction", "BufferApi"])
@pytest.mark.parametrize("pieces", [1, 4])
def test_oversized_request_headers_get_431_json(stack: LocalStack, name: str, pieces: int) -> None:
    path = urlsplit(_url(stack, name)).path
    request = f"POST {path} HTTP/1.1\r\nHost: localhost\r\nX-Big: {'a' * 100_000}\r\n\r\n".encode()
    status, fields, body = _split(_send(_url(stack, name), request, pieces=pieces))
    assert status == 431
    assert ("connection", "close") in fields
    assert json.loads(body) == {"message": "Request header fields too large"}


def test_rest_api_request_body_over_10_mb_is_413(stack: LocalStack) -> None:
    url = _url(stack, "StreamApi")
    path = urlsplit(url).path
    declared = (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {10 * 1024 * 1024 + 1}\r\n\r\n"
    )
    status, fields, body = _split(_send(url, declared.encode()))
    assert (status, json.loads(body)) == (413, {"message": "Request Too Long"})
    assert ("connection", "close") in fields
    # Chunked, so that only reading finds it: refused once the 10 MB are passed.
    chunk = b"100000\r\n" + b"x" * 0x100000 + b"\r\n"
    head = f"POST {path} HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
    status, _, body = _split(_send(url, head + chunk * 11 + b"0\r\n\r\n"))
    assert (status, json.loads(body)) == (413, {"message": "Request Too Long"})


def test_function_url_request_body_over_6_mb_is_413(stack: LocalStack) -> None:
    url = _url(stack, "StreamFunction")
    request = f"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: {6 * 1024 * 1024 + 1}\r\n\r\n"
    status, _, body = _split(_send(url, request.encode()))
    assert status == 413
    assert "smaller than 6291456 bytes" in json.loads(body)["message"]


@pytest.mark.parametrize(("name", "kind"), DOORS)
def test_malformed_chunked_request_body_is_400_and_the_connection_closes(
    stack: LocalStack, name: str, kind: str
) -> None:
    path = urlsplit(_url(stack, name)).path
    request = f"POST {path} HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
    with _connect(_url(stack, name)) as sock:
        sock.sendall(request.encode() + b"5\r\nab")
        sock.sendall(b"\r\nzz\r\n")  # a chunk size that is not hex; the client keeps its side open
        status, fields, body = _split(read_until_closed(sock))  # ends: the server closed
    assert (status, json.loads(body)) == (400, {"message": "Bad request"})
    assert ("connection", "close") in fields


# -- the Runtime API ------------------------------------------------------------------------

_P = "/2018-06-01/runtime"


@pytest.fixture
def runtime_api() -> Iterator[RuntimeAPIServer]:
    with RuntimeAPIServer() as api:
        yield api


@pytest.mark.parametrize("pieces", [1, 8])
def test_runtime_api_oversized_head_is_431_json(runtime_api: RuntimeAPIServer, pieces: int) -> None:
    request = (
        f"GET {_P}/invocation/next HTTP/1.1\r\nHost: localhost\r\nX-Big: {'a' * 1_500_000}\r\n\r\n"
    )
    status, fields, body = _split(_send(runtime_api.address, request.encode(), pieces=pieces))
    assert status == 431
    assert ("connection", "close") in fields
    assert json.loads(body)["errorType"] == "RequestHeaderFieldsTooLarge"


def test_runtime_api_malformed_head_is_400_json(runtime_api: RuntimeAPIServer) -> None:
    status, _, body = _split(_send(runtime_api.address, b"GARBAGE\r\n\r\n"))
    assert (status, json.loads(body)["errorType"]) == (400, "InvalidRequest")


def _dispatched(api: RuntimeAPIServer) -> Invocation:
    """Queue an invocation and take it with ``/next``, as a runtime does before it answers."""
    invocation = api.invoke({"x": 1})
    _send(api.address, f"GET {_P}/invocation/next HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    return invocation


def test_runtime_api_error_report_with_a_malformed_body_still_ends_the_invocation(
    runtime_api: RuntimeAPIServer,
) -> None:
    invocation = _dispatched(runtime_api)
    request = (
        f"POST {_P}/invocation/{invocation.request_id}/error HTTP/1.1\r\nHost: localhost\r\n"
        "Lambda-Runtime-Function-Error-Type: Handler.Failed\r\n"
        "Transfer-Encoding: chunked\r\n\r\nzz\r\n"
    )
    status, _, body = _split(_send(runtime_api.address, request.encode()))
    assert (status, json.loads(body)["errorType"]) == (400, "InvalidRequest")
    result = invocation.result(timeout=10)  # never left waiting
    assert (result.status, result.error_type) == ("failure", "Handler.Failed")


def test_runtime_api_malformed_chunked_response_is_400_and_a_truncated_invocation(
    runtime_api: RuntimeAPIServer,
) -> None:
    invocation = _dispatched(runtime_api)
    request = (
        f"POST {_P}/invocation/{invocation.request_id}/response HTTP/1.1\r\nHost: localhost\r\n"
        "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
        "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n"
    )
    status, _, body = _split(_send(runtime_api.address, request.encode()))
    assert (status, json.loads(body)["errorType"]) == (400, "TruncatedHTTPRequest")
    result = invocation.result(timeout=10)
    assert (result.status, result.body, result.error_type) == (
        "failure",
        b"abc",
        "Runtime.TruncatedResponse",
    )


# -- slow clients ---------------------------------------------------------------------------


def _door(stack: LocalStack, kind: str, *, io_timeout: float, idle_timeout: float) -> HTTPService:
    """A second front door on the stack's Lambda service, with small timeouts."""
    door: HTTPService
    if kind == "rest-api":
        door = RestApiServer([stack.template.apis["StreamApi"]], stack.lambdas)
    else:
        door = FunctionUrlServer(stack.template.functions["StreamFunction"], stack.lambdas)
    door.server.io_timeout = io_timeout
    door.server.idle_timeout = idle_timeout
    return door.start()


@pytest.mark.parametrize("kind", ["rest-api", "function-url"])
@pytest.mark.parametrize(
    ("partial", "answer"),
    [
        (b"POST /Prod/run HTTP/1.1\r\nHo", b"HTTP/1.1 408 "),
        (b"POST /Prod/run HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{", b""),
    ],
    ids=["half-head", "half-body"],
)
def test_a_client_that_stops_mid_request_is_closed_after_the_timeout(
    stack: LocalStack, caplog: pytest.LogCaptureFixture, kind: str, partial: bytes, answer: bytes
) -> None:
    # A head cut short is answered 408; a body cut short, whose handler has started, is not.
    caplog.set_level(logging.INFO)
    door = _door(stack, kind, io_timeout=0.3, idle_timeout=0.3)
    try:
        with _connect(door.url) as sock:
            sock.sendall(partial)  # ...and nothing more, without closing
            assert read_until_closed(sock).startswith(answer)
    finally:
        door.close()
    assert "finished after its client went away" not in caplog.text  # no function ran


@pytest.mark.parametrize("kind", ["rest-api", "function-url"])
def test_a_client_that_never_reads_a_stream_is_dropped_and_the_function_finishes(
    stack: LocalStack, caplog: pytest.LogCaptureFixture, tmp_path: Path, kind: str
) -> None:
    caplog.set_level(logging.INFO)
    door = _door(stack, kind, io_timeout=0.5, idle_timeout=60)
    path = "/Prod/run" if kind == "rest-api" else "/"
    try:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(60)
        sock.connect((door.server.host, door.server.port))
        with sock:
            query = f"action=flood&mb=16&dir={tmp_path}"
            request = f"POST {path}?{query} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2"
            sock.sendall(request.encode() + b"\r\n\r\n{}")
            # The client reads nothing: the door's send times out and it lets the client
            # go; the function, held back by the stream's bounded buffer until then, is
            # released and runs to its end.
            wait_for_log(caplog, "client gone: timed out")
            wait_for_file(tmp_path / "finished")
            received = read_until_closed(sock)  # ends: the door closed the connection
        assert received.startswith(b"HTTP/1.1 200")
        assert not received.endswith(b"0\r\n\r\n")  # truncated: no terminating chunk
    finally:
        door.close()


# -- bodies that are not UTF-8 ------------------------------------------------------------


@pytest.mark.parametrize("name", ["StreamApi", "StreamFunction"])
def test_a_body_that_is_not_utf8_reaches_the_function_base64_encoded(
    stack: LocalStack, name: str
) -> None:
    body = b"\xff\xfe caf\xe9 \x00\x80"
    answer = _post(_url(stack, name), "action=echo", body, "Content-Type: text/plain\r\n")
    status, _, echoed = _split(answer)
    assert status == 200
    document = json.loads(_unchunked(echoed))
    assert document["isBase64Encoded"] is True
    assert base64.b64decode(document["body"]) == body


def _unchunked(body: bytes) -> bytes:
    out = bytearray()
    while True:
        size, _, rest = body.partition(b"\r\n")
        n = int(size, 16)
        if n == 0:
            return bytes(out)
        out += rest[:n]
        body = rest[n + 2 :]


# -- response-header injection through the prelude ----------------------------------------

_INJECTIONS = {
    "crlf-in-value": b'{"statusCode":200,"headers":{"X-A":"a\\r\\nInjected: yes"}}',
    "lf-in-value": b'{"statusCode":200,"headers":{"X-A":"a\\nInjected: yes"}}',
    "crlf-in-name": b'{"statusCode":200,"headers":{"X-A\\r\\nInjected: yes":"a"}}',
    "name-not-a-token": b'{"statusCode":200,"headers":{"Injected: yes":"a"}}',
    "space-in-name": b'{"statusCode":200,"headers":{"X A":"a"}}',
    "crlf-in-multi-value": b'{"multiValueHeaders":{"X-A":["a","b\\r\\nInjected: yes"]}}',
    "crlf-in-cookie": b'{"cookies":["a=1\\r\\nInjected: yes"]}',
    "nul-in-value": b'{"headers":{"X-A":"a\\u0000Injected: yes"}}',
}


@pytest.mark.parametrize(("name", "kind"), DOORS)
@pytest.mark.parametrize("metadata", list(_INJECTIONS.values()), ids=list(_INJECTIONS))
def test_header_injection_through_the_prelude_is_refused(
    stack: LocalStack, name: str, kind: str, metadata: bytes
) -> None:
    answer = _post(_url(stack, name), _raw_query(metadata + DELIMITER + b"body"))
    status, fields, body = _split(answer)
    assert "injected" not in {field for field, _ in fields}
    if kind == "rest-api":
        assert (status, json.loads(body)) == (500, {"message": "Internal server error"})
    else:
        assert (status, json.loads(body)) == (502, {"message": "Internal Server Error"})


@pytest.mark.parametrize(("name", "kind"), DOORS)
def test_prelude_values_with_padding_or_non_ascii_text_are_sent(
    stack: LocalStack, name: str, kind: str
) -> None:
    metadata = '{"statusCode":201,"headers":{"X-Pad":"  padded\\t","X-Text":"café"}}'.encode()
    answer = _post(_url(stack, name), _raw_query(metadata + DELIMITER + b"body"))
    head = answer.partition(b"\r\n\r\n")[0]
    status, fields, body = _split(answer)
    assert status == 201
    assert ("x-pad", "padded") in fields
    assert b"\r\nX-Text: caf\xc3\xa9\r\n" in head + b"\r\n"  # UTF-8 on the wire
    assert b"body" in body


@pytest.mark.parametrize(("name", "status"), [("BufferApi", 502), ("BufferFunction", 502)])
@pytest.mark.parametrize(
    "headers",
    [{"X-A": "a\r\nInjected: yes"}, {"Injected: yes": "a"}, {"X A": "a"}],
    ids=["crlf-in-value", "name-not-a-token", "space-in-name"],
)
def test_header_injection_through_a_buffered_response_is_502(
    stack: LocalStack, name: str, status: int, headers: dict[str, str]
) -> None:
    document = {"statusCode": 200, "headers": headers, "body": "b"}
    answer = _post(_url(stack, name), _raw_query(json.dumps(document).encode()))
    got, fields, body = _split(answer)
    assert got == status
    assert json.loads(body)["message"].lower() == "internal server error"
    assert "injected" not in {field for field, _ in fields}


# -- heads, half-closes and HTTP/1.0 at the front doors ------------------------------------------


def test_a_rest_api_head_over_10240_bytes_is_431_and_one_just_under_is_served(
    stack: LocalStack,
) -> None:
    url = _url(stack, "StreamApi")
    path = urlsplit(url).path + "?action=echo"
    head = f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nX-Pad: "
    end = "\r\nConnection: close\r\n\r\n"
    for size, status in ((10_240, 200), (10_241, 431)):
        pad = "a" * (size - len(head) - len(end))
        status_got, _, body = _split(_send(url, f"{head}{pad}{end}{{}}".encode()))
        assert status_got == status, size
    assert json.loads(body) == {"message": "Request header fields too large"}


@pytest.mark.parametrize("name", ["StreamApi", "StreamFunction"])
def test_utf8_header_values_reach_the_function_decoded_as_utf8(
    stack: LocalStack, name: str
) -> None:
    answer = _post(_url(stack, name), "action=echo", b"{}", "x-name: caf\u00e9 \u2603\r\n")
    status, _, body = _split(answer)
    assert status == 200
    assert json.loads(_unchunked(body))["name"] == "caf\u00e9 \u2603"


@pytest.mark.parametrize("name", ["StreamApi", "StreamFunction"])
def test_a_client_that_half_closes_after_its_request_gets_the_whole_stream(
    stack: LocalStack, name: str
) -> None:
    # nc -N, socat: the request, then FIN, then reading. The stream takes 1.5 s, so the
    # front door meets the FIN while it waits (before, it took it for a client that left).
    body = json.dumps({"action": "pace", "n": 3, "interval": 0.5}).encode()
    answer = _post(_url(stack, name), body=body, headers="Content-Type: application/json\r\n")
    status, _, received = _split(answer)
    assert (status, _unchunked(received)) == (200, b"0\n1\n2\n")


@pytest.mark.parametrize("name", ["StreamApi", "StreamFunction"])
def test_a_failed_stream_is_reset_for_an_http10_client_after_the_bytes_sent(
    stack: LocalStack, name: str
) -> None:
    # HTTP/1.0 has no chunked encoding: the body ends at the close, and a plain close would
    # pass a failed stream off as complete (curl --http1.0 exited 0). A reset cannot.
    url = _url(stack, name)
    body = json.dumps({"action": "fail"}).encode()
    head = (
        f"POST {urlsplit(url).path} HTTP/1.0\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    with _connect(url) as sock:
        sock.sendall(head.encode() + body)
        received = bytearray()
        with pytest.raises(ConnectionResetError):
            _read_into(sock, received)
    status, fields, sent = _split(bytes(received))
    assert status == 200 and ("transfer-encoding", "chunked") not in fields
    assert sent == b"started\n"  # everything the function wrote before it failed


def test_the_lambda_api_refuses_a_web_pages_simple_request(
    stack: LocalStack, caplog: pytest.LogCaptureFixture
) -> None:
    # fetch(url, {method: "POST", mode: "no-cors", body}) from any page: text/plain needs
    # no preflight, but the browser still sends Origin.
    url = stack.endpoint("lambda", "lambda-api").url
    body = json.dumps({"action": "count", "n": 1, "tag": "from-a-page"}).encode()
    head = (
        "POST /2015-03-31/functions/StreamFunction/invocations HTTP/1.1\r\nHost: localhost\r\n"
        f"Origin: https://evil.example\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    caplog.set_level(logging.INFO)
    status, _, answer = _split(_send(url, head.encode() + body))
    assert (status, json.loads(answer)) == (403, {"message": "Forbidden"})
    assert "from-a-page" not in caplog.text  # no function ran


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("version", ["--http1.0", "--http1.1"])
def test_curl_reports_a_failed_stream_as_failed_in_either_http_version(
    stack: LocalStack, version: str
) -> None:
    command = ["curl", "-sS", version, "-H", "Content-Type: application/json"]
    data = ["--data", json.dumps({"action": "fail"}), _url(stack, "StreamApi")]
    done = subprocess.run([*command, *data], capture_output=True, timeout=60, check=False)
    assert done.stdout == b"started\n"
    # HTTP/1.1: 18, a chunked body cut short; HTTP/1.0: 56, the reset (a clean close: 0).
    assert done.returncode == {"--http1.0": 56, "--http1.1": 18}[version], done.stderr
