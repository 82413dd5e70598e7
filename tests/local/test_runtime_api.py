"""The local Runtime API against AWS's own clients' bytes and awslambdaric itself."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import h11
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_stream.local.bandwidth import TokenBucket
from bedrock_stream.local.runtime_api import (
    Bandwidth,
    BodyChunk,
    Done,
    InvocationError,
    ResponseStarted,
    RuntimeAPIServer,
)

CONFORMANCE = Path(__file__).parent.parent / "data" / "conformance"
REQUEST_ID = "8476a536-e9f4-11e8-9739-2dfe598c3fcd"
NODE = sorted(p.name for p in CONFORMANCE.glob("node-*.json"))


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CONFORMANCE / name).read_text())
    return data


def _expected_body(request: dict[str, Any]) -> bytes:
    """The capture's de-chunked body (large captures omit it: de-chunk the wire with h11)."""
    if request.get("body_base64") is not None:
        return base64.b64decode(request["body_base64"])
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(request["request_head"].encode() + b"\r\n\r\n")
    conn.receive_data(base64.b64decode(request["body_wire_base64"]))
    body = b""
    while not isinstance(event := conn.next_event(), h11.EndOfMessage):
        if isinstance(event, h11.Data):
            body += event.data
    return body


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "localhost")]))
    conn.send(h11.EndOfMessage())
    status, headers, body = 0, {}, b""
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(sock.recv(65536))
        elif isinstance(event, h11.Response):
            status = event.status_code
            headers = {k.decode().lower(): v.decode() for k, v in event.headers}
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            return status, headers, body


def _get_next(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    sock.sendall(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: localhost\r\n\r\n")
    return _read_response(sock)


def _replay(api: RuntimeAPIServer, request: dict[str, Any], *, split: int | None = None) -> int:
    """Send one captured request on a fresh connection, after a /next; return the status."""
    host, port = api.address.split(":")
    with socket.create_connection((host, int(port))) as sock:
        status, headers, _ = _get_next(sock)
        assert status == 200
        assert headers["lambda-runtime-aws-request-id"] == REQUEST_ID
        wire = request["request_head"].encode() + b"\r\n\r\n"
        wire += base64.b64decode(request.get("body_wire_base64", ""))
        if split is None:
            sock.sendall(wire)
        else:  # byte-by-byte boundaries chosen by the test
            for i in range(0, len(wire), split):
                sock.sendall(wire[i : i + split])
        status, _, body = _read_response(sock)
        if status == 202:
            assert json.loads(body) == {"status": "OK"}
        return status


@pytest.fixture
def api() -> Any:
    with RuntimeAPIServer() as server:
        yield server


@pytest.mark.parametrize("name", NODE)
def test_node_capture_replayed_decodes_to_the_same_body_and_trailers(
    api: RuntimeAPIServer, name: str
) -> None:
    capture = load(name)
    request = capture["requests"][-1]
    invocation = api.invoke(capture["event"], request_id=REQUEST_ID)
    assert _replay(api, request) == 202
    events = list(invocation.events(timeout=5))
    assert isinstance(events[0], ResponseStarted)
    assert events[0].streaming
    assert events[0].content_type == dict(events[0].headers)["content-type"]
    assert dict(events[0].headers)["trailer"] == (
        "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body"
    )
    result = invocation.result(timeout=5)
    assert result.body == _expected_body(request)
    assert len(result.body) == request["body_len"]
    expected = {k.lower(): v for k, v in request["trailers"].items()}
    assert result.trailers == expected
    if expected:
        assert result.status == "failure"
        assert result.error_type == request["trailers"]["Lambda-Runtime-Function-Error-Type"]
        assert result.error_body is not None
        assert result.error_body.decode() == request["trailer_error_body_decoded"]
        assert isinstance(events[-2], InvocationError)
    else:
        assert result.status == "success"
    assert isinstance(events[-1], Done)


def test_node_capture_split_into_tiny_writes(api: RuntimeAPIServer) -> None:
    request = load("node-error-mid-stream.json")["requests"][-1]
    invocation = api.invoke({}, request_id=REQUEST_ID)
    assert _replay(api, request, split=7) == 202
    result = invocation.result(timeout=5)
    assert result.body == _expected_body(request)
    assert result.error_type == "ModelStreamError"


def test_chunks_reach_the_invoker_before_the_body_ends(api: RuntimeAPIServer) -> None:
    invocation = api.invoke({}, request_id=REQUEST_ID)
    host, port = api.address.split(":")
    with socket.create_connection((host, int(port))) as sock:
        _get_next(sock)
        sock.sendall(
            f"POST /2018-06-01/runtime/invocation/{REQUEST_ID}/response HTTP/1.1\r\n"
            "Host: localhost\r\nTransfer-Encoding: chunked\r\n"
            "Lambda-Runtime-Function-Response-Mode: streaming\r\n\r\n5\r\nfirst\r\n".encode()
        )
        events = invocation.events(timeout=5)
        assert isinstance(next(events), ResponseStarted)
        first = next(events)
        assert isinstance(first, BodyChunk)
        assert first.data == b"first"
        sock.sendall(b"4\r\nnext\r\n0\r\n\r\n")
        second = next(events)
        assert isinstance(second, BodyChunk) and second.data == b"next"
        assert next(events) == Done("success")
        assert _read_response(sock)[0] == 202


def _post(
    api: RuntimeAPIServer, path: str, body: bytes = b"", headers: Any = ()
) -> tuple[int, dict[str, str], bytes]:
    host, port = api.address.split(":")
    with socket.create_connection((host, int(port))) as sock:
        head = f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers)
        sock.sendall(head.encode() + b"\r\n" + body)
        return _read_response(sock)


def test_status_codes(api: RuntimeAPIServer) -> None:
    base = "/2018-06-01/runtime/invocation"
    # Not dispatched yet: 403 InvalidStateTransition.
    invocation = api.invoke({}, request_id="r1")
    status, _, body = _post(api, f"{base}/r1/response", b"{}")
    assert status == 403
    assert json.loads(body)["errorType"] == "InvalidStateTransition"
    host, port = api.address.split(":")
    with socket.create_connection((host, int(port))) as sock:
        _get_next(sock)
    # A bad response mode: 400 InvalidFunctionResponseMode.
    status, _, body = _post(
        api, f"{base}/r1/response", b"{}", [("Lambda-Runtime-Function-Response-Mode", "buffered")]
    )
    assert (status, json.loads(body)["errorType"]) == (400, "InvalidFunctionResponseMode")
    assert invocation.result(timeout=5).error_type == "Runtime.InvalidResponseModeHeader"
    # Already done: 403 on /error.
    status, _, body = _post(api, f"{base}/r1/error", b"{}")
    assert (status, json.loads(body)["errorType"]) == (403, "InvalidStateTransition")


def test_error_and_init_error(api: RuntimeAPIServer) -> None:
    invocation = api.invoke({}, request_id="r2")
    host, port = api.address.split(":")
    with socket.create_connection((host, int(port))) as sock:
        _get_next(sock)
    status, _, _ = _post(
        api,
        "/2018-06-01/runtime/invocation/r2/error",
        b'{"errorType":"X"}',
        [("Lambda-Runtime-Function-Error-Type", "X")],
    )
    assert status == 202
    result = invocation.result(timeout=5)
    assert (result.status, result.error_type, result.error_body) == (
        "failure",
        "X",
        b'{"errorType":"X"}',
    )
    status, _, _ = _post(
        api, "/2018-06-01/runtime/init/error", b"{}", [("Lambda-Runtime-Function-Error-Type", "Y")]
    )
    assert status == 202
    assert api.init_error(timeout=5).error_type == "Y"


@pytest.mark.parametrize(("streaming", "cap"), [(False, "buffered_cap"), (True, "streaming_cap")])
def test_oversized_body_gets_413(streaming: bool, cap: str) -> None:
    caps: dict[str, Any] = {cap: 1000}
    with RuntimeAPIServer(**caps) as api:
        invocation = api.invoke({}, request_id="big", streaming=streaming)
        host, port = api.address.split(":")
        with socket.create_connection((host, int(port))) as sock:
            _get_next(sock)
            sock.sendall(
                b"POST /2018-06-01/runtime/invocation/big/response HTTP/1.1\r\nHost: localhost\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n" + b"3e8\r\n" + b"a" * 1000 + b"\r\n1\r\nb\r\n"
            )
            status, _, body = _read_response(sock)
        assert status == 413
        assert json.loads(body) == {
            "errorMessage": "Exceeded maximum allowed payload size (1000 bytes).",
            "errorType": "RequestEntityTooLarge",
        }
        assert invocation.result(timeout=5).error_type == "Function.ResponseSizeTooLarge"


def test_default_caps() -> None:
    with RuntimeAPIServer() as api:
        assert api.buffered_cap == 6 * 1024 * 1024 + 100
        assert api.streaming_cap == 200 * 1024 * 1024


def test_truncated_body(api: RuntimeAPIServer) -> None:
    invocation = api.invoke({}, request_id="t")
    host, port = api.address.split(":")
    with socket.create_connection((host, int(port))) as sock:
        _get_next(sock)
        sock.sendall(
            b"POST /2018-06-01/runtime/invocation/t/response HTTP/1.1\r\nHost: localhost\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n5\r\nhel"
        )
        sock.shutdown(socket.SHUT_WR)
        status, _, body = _read_response(sock)
    assert (status, json.loads(body)["errorType"]) == (400, "TruncatedHTTPRequest")
    result = invocation.result(timeout=5)
    assert result.error_type == "Runtime.TruncatedResponse"
    assert result.body == b"hel"


def test_bucket_allows_the_burst_then_waits() -> None:
    bucket = TokenBucket(Bandwidth(burst=1000, rate=8000))
    bucket.take(1000)
    assert bucket.tokens == 0
    before = bucket.last
    bucket.take(500)  # needs one 125 ms tick of 1000 tokens
    assert bucket.last > before
    assert bucket.tokens == 500


@settings(max_examples=40, deadline=None)
@given(
    chunks=st.lists(st.binary(max_size=300), max_size=8),
    trailer=st.one_of(st.none(), st.text(st.characters(min_codepoint=33, max_codepoint=126))),
)
def test_any_chunked_body_from_h11_is_decoded(chunks: list[bytes], trailer: str | None) -> None:
    """h11, as an independent client, frames a body; the server must hand back the same bytes."""
    with RuntimeAPIServer() as api:
        invocation = api.invoke({}, request_id="h")
        host, port = api.address.split(":")
        with socket.create_connection((host, int(port))) as sock:
            _get_next(sock)
            client = h11.Connection(h11.CLIENT)
            wire = client.send(
                h11.Request(
                    method="POST",
                    target="/2018-06-01/runtime/invocation/h/response",
                    headers=[("Host", "localhost"), ("Transfer-Encoding", "chunked")],
                )
            )
            for chunk in chunks:
                wire += client.send(h11.Data(data=chunk))
            trailers = [] if not trailer else [("Lambda-Runtime-Function-Error-Type", trailer)]
            wire += client.send(h11.EndOfMessage(headers=trailers))
            sock.sendall(wire)
            assert _read_response(sock)[0] == 202
        result = invocation.result(timeout=5)
    assert result.body == b"".join(chunks)
    assert result.error_type == (trailer or None)


# -- awslambdaric, AWS's own Python client, against this server -----------------

APP = """
import decimal

def handler(event, context):
    sc = event["scenario"]
    if sc == "proxy":
        return {"statusCode": 200, "body": "caf\\u00e9"}
    if sc == "decimal":
        return {"n": decimal.Decimal("1.5")}
    if sc == "bytes":
        return b"\\x00\\x01raw"
    if sc == "none":
        return None
    if sc == "error":
        raise ValueError("bad thing")
    return {"o": object()}
"""


def _ric(tmp_path: Path, api: RuntimeAPIServer, handler: str) -> subprocess.Popen[bytes]:
    pytest.importorskip("awslambdaric")
    (tmp_path / "app.py").write_text(APP)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_LAMBDA_RUNTIME_API=api.address, LAMBDA_TASK_ROOT=str(tmp_path))
    return subprocess.Popen(
        [sys.executable, "-m", "awslambdaric", handler],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.kill()
    proc.wait()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="awslambdaric is Linux-only")
def test_awslambdaric_plain_handlers(api: RuntimeAPIServer, tmp_path: Path) -> None:
    proc = _ric(tmp_path, api, "app.handler")
    try:
        want = {
            "proxy": ("application/json", b'{"statusCode": 200, "body": "caf\\u00e9"}'),
            "decimal": ("application/json", b'{"n": 1.5}'),
            "bytes": ("application/unknown", b"\x00\x01raw"),
            "none": ("application/json", b"null"),
        }
        for scenario, (content_type, body) in want.items():
            result = api.invoke({"scenario": scenario}).result(timeout=30)
            assert (result.status, result.content_type, result.body) == (
                "success",
                content_type,
                body,
            )
        error = api.invoke({"scenario": "error"}).result(timeout=30)
        assert error.error_type == "ValueError"
        assert error.error_json()["errorMessage"] == "bad thing"
        marshal = api.invoke({"scenario": "unserializable"}).result(timeout=30)
        assert marshal.error_type == "Runtime.MarshalError"
    finally:
        _stop(proc)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="awslambdaric is Linux-only")
def test_awslambdaric_init_error(api: RuntimeAPIServer, tmp_path: Path) -> None:
    proc = _ric(tmp_path, api, "app.missing")
    try:
        error = api.init_error(timeout=30)
        assert error.error_type == "Runtime.HandlerNotFound"
        assert json.loads(error.body)["errorMessage"] == "Handler 'missing' missing on module 'app'"
        assert proc.wait(timeout=30) == 1
    finally:
        _stop(proc)


def test_close_wakes_a_pending_next() -> None:
    api = RuntimeAPIServer().start()
    host, port = api.address.split(":")
    sock = socket.create_connection((host, int(port)))
    sock.sendall(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: localhost\r\n\r\n")
    time.sleep(0.05)  # let the server thread block in /next (not a timing assertion)
    api.close()
    assert sock.recv(10) == b""
    sock.close()


def test_a_warm_server_keeps_neither_finished_invocations_nor_their_connection_threads(
    api: RuntimeAPIServer,
) -> None:
    # A warm sandbox's server lives for thousands of invocations: what it keeps of each
    # once the runtime has moved on is a leak (12 KB each, before this was fixed).
    base = "/2018-06-01/runtime/invocation"
    host, port = api.address.split(":")
    for n in range(6):
        invocation = api.invoke({}, request_id=f"w{n}")
        with socket.create_connection((host, int(port))) as sock:
            _get_next(sock)
        status, _, _ = _post(api, f"{base}/w{n}/response", b"{}")
        assert status == 202
        assert invocation.result(timeout=5).status == "success"
    api.invoke({}, request_id="last")
    with socket.create_connection((host, int(port))) as sock:
        _get_next(sock)
    assert list(api._invocations) == ["last"]
    # 13 connections, all closed by the client: the server lets each one's thread go.
    for _ in range(3000):
        if not api._server._connections:
            break
        time.sleep(0.01)
    assert not api._server._connections
    # A late post for a forgotten invocation is refused as before.
    status, _, body = _post(api, f"{base}/w0/response", b"{}")
    assert (status, json.loads(body)["errorType"]) == (403, "InvalidStateTransition")
