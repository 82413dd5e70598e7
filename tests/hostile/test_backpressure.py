"""A reader that stops reading costs the stack a bounded buffer, not the whole stream.

The Runtime API holds at most :data:`~bedrock_stream.local.runtime_api.STREAM_BUFFER`
of a streamed body for its invoker, then stops reading the function's connection, so
that the function's writes block (TCP backpressure). Whoever stops reading for good
(the invoker detaches, the server closes) lets the function finish. Outcomes are
asserted: bytes queued, whether a writer is blocked or done, what arrived; a writer is
"blocked" once its count of bytes written stays put while nobody reads.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import socket
import struct
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bedrock_stream.local.front_doors import FunctionUrlServer, RestApiServer
from bedrock_stream.local.http_server import HTTPService
from bedrock_stream.local.lambda_service import LambdaService, ServiceInvocation
from bedrock_stream.local.runtime_api import (
    STREAM_BUFFER,
    BodyChunk,
    Done,
    Event,
    Invocation,
    InvocationError,
    RuntimeAPIServer,
)
from bedrock_stream.local.stack import LocalStack
from waiting import wait_for_file, wait_for_log, wait_until

APP = Path(__file__).parents[1] / "stack" / "app"
_MIB = 1024 * 1024
_WRITE = 65536
_STEADY = 20
"""Polls (10 ms apart) a count must stay put for a writer to be taken as blocked."""


def _settle(count: Callable[[], int], finished: Callable[[], bool]) -> None:
    """Return once ``finished()``, or once ``count()`` stayed put for :data:`_STEADY` polls."""
    last, steady = -1, 0
    for _ in range(3000):
        if finished():
            return
        now = count()
        steady = steady + 1 if now == last else 0
        if steady >= _STEADY:
            return
        last = now
        time.sleep(0.01)
    raise AssertionError("the writer neither blocked nor finished")


# -- the Runtime API on its own ----------------------------------------------------------------


class _Watched(Invocation):
    """An invocation that counts the body bytes waiting in it, whatever keeps them."""

    def __init__(self, request_id: str) -> None:
        super().__init__(
            b"{}",
            request_id=request_id,
            deadline_ms=int(time.time() * 1000) + 60_000,
            function_arn="arn:aws:lambda:us-east-1:123456789012:function:local",
            trace_id="Root=1-5759e988-bd862e3fe1be46a994272793",
            streaming=True,
            client_context=None,
            cognito_identity=None,
            tenant_id=None,
        )
        self.queued = 0  # emitted minus taken, counted here
        self.peak = 0  # of ``queued`` while nobody takes (exact then)
        self.largest = 0  # the largest chunk

    def emit(self, event: Event) -> None:
        super().emit(event)
        if isinstance(event, BodyChunk):
            self.queued += len(event.data)
            self.peak = max(self.peak, self.queued)
            self.largest = max(self.largest, len(event.data))

    def next_event(self, timeout: float | None = None, *, keep: bool = True) -> Event:
        event = super().next_event(timeout, keep=keep)
        if isinstance(event, BodyChunk):
            self.queued -= len(event.data)
        return event


def _write(index: int) -> bytes:
    """The runtime's ``index``-th write: 64 KiB, different from every other write."""
    return struct.pack(">Q", index) * (_WRITE // 8)


class _Runtime:
    """A runtime on a real socket: ``/next``, then a chunked streaming ``/response``."""

    def __init__(self, api: RuntimeAPIServer, invocation: Invocation, size: int) -> None:
        self.writes = size // _WRITE
        self.written = 0  # bytes handed to the socket (the write under way included)
        self.status: int | None = None
        self._api = api
        self._request_id = invocation.request_id
        self._thread = threading.Thread(target=self._run, name="test-runtime")
        self._thread.start()

    @property
    def finished(self) -> bool:
        return not self._thread.is_alive()

    def join(self) -> None:
        self._thread.join(60)
        assert self.finished

    def _body(self) -> Iterator[bytes]:
        for index in range(self.writes):
            self.written += _WRITE
            yield _write(index)

    def _run(self) -> None:
        host, port = self._api.address.split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=120)
        try:
            conn.request("GET", "/2018-06-01/runtime/invocation/next")
            conn.getresponse().read()
            conn.request(
                "POST",
                f"/2018-06-01/runtime/invocation/{self._request_id}/response",
                body=self._body(),
                headers={"Lambda-Runtime-Function-Response-Mode": "streaming"},
                encode_chunked=True,
            )
            self.status = conn.getresponse().status
        except OSError:
            self.status = None  # cut by the server
        finally:
            conn.close()


def _expected_digest(writes: int) -> str:
    digest = hashlib.sha256()
    for index in range(writes):
        digest.update(_write(index))
    return digest.hexdigest()


def _stalled(api: RuntimeAPIServer, size: int) -> tuple[_Watched, _Runtime]:
    """Start a runtime writing ``size`` bytes to an invocation nobody reads; let it block."""
    invocation = _Watched("stalled")
    api.submit(invocation)
    runtime = _Runtime(api, invocation, size)
    wait_until(lambda: invocation.queued >= STREAM_BUFFER, "the buffer filled")
    _settle(lambda: runtime.written, lambda: runtime.finished)
    # Nobody reads: the Runtime API holds the bound and one read at most, and stops
    # reading; the runtime's writes then block once the sockets' buffers are full.
    assert invocation.peak <= STREAM_BUFFER + invocation.largest
    assert invocation.largest <= _WRITE
    assert not runtime.finished
    assert runtime.written < size
    return invocation, runtime


def test_a_stream_nobody_reads_is_held_to_the_bound_and_its_writer_blocks() -> None:
    size = 64 * _MIB  # 64 times the bound, and far more than loopback's socket buffers
    with RuntimeAPIServer() as api:
        invocation, runtime = _stalled(api, size)
        # Reading resumes: every byte arrives, in order, and the writer finishes.
        digest, received, last, most = hashlib.sha256(), 0, None, 0
        for event in invocation.events(timeout=30, keep=False):
            if isinstance(event, BodyChunk):
                digest.update(event.data)
                received += len(event.data)
            last = event
            most = max(most, invocation.buffered_bytes)
        runtime.join()
        assert (runtime.status, last) == (202, Done("success"))
        assert received == size
        assert digest.hexdigest() == _expected_digest(runtime.writes)
        assert most <= STREAM_BUFFER + invocation.largest  # while the reader keeps up too
        assert invocation.buffered_bytes == 0
        # Streamed with keep=False: none of the 64 MiB is retained for result().
        assert not any(isinstance(event, BodyChunk) for event in invocation.events())


def test_a_detached_stream_lets_its_writer_finish() -> None:
    with RuntimeAPIServer() as api:
        invocation, runtime = _stalled(api, 32 * _MIB)
        invocation.detach()
        runtime.join()  # the rest was read, and dropped
        assert runtime.status == 202
        events = list(invocation.events(timeout=30, keep=False))
        assert not any(isinstance(event, BodyChunk) for event in events)
        assert events[-1] == Done("success")
        assert invocation.buffered_bytes == 0


def test_closing_the_server_cuts_a_stream_waiting_for_its_reader() -> None:
    api = RuntimeAPIServer().start()
    invocation, runtime = _stalled(api, 32 * _MIB)
    closing = threading.Thread(target=api.close)
    closing.start()
    closing.join(60)
    assert not closing.is_alive()  # close() did not wait for a reader that never comes
    runtime.join()
    assert runtime.status is None  # the connection was cut, not answered
    result = invocation.result(timeout=30)
    assert (result.status, result.error_type) == ("failure", "Runtime.TruncatedResponse")


# -- the whole stack ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    if os.name != "posix":
        pytest.skip("the local Lambda service is POSIX")
    with LocalStack(APP / "template.yaml", port=0, speed=0, concurrency=1) as running:
        yield running


class _Recording:
    """The stack's Lambda service, keeping every invocation it starts for the test.

    :attr:`read` counts the body bytes the Runtime API read from the functions.
    """

    def __init__(self, lambdas: LambdaService) -> None:
        self._lambdas = lambdas
        self.invocations: list[ServiceInvocation] = []
        self.read = 0

    def invoke(
        self, function: str, payload: bytes, *, streaming: bool, client_context: str | None = None
    ) -> ServiceInvocation:
        invocation = self._lambdas.invoke(
            function, payload, streaming=streaming, client_context=client_context
        )
        emit = invocation.emit

        def counted(event: Event) -> None:
            if isinstance(event, BodyChunk):
                self.read += len(event.data)
            emit(event)

        invocation.emit = counted  # type: ignore[method-assign]
        self.invocations.append(invocation)
        return invocation


def _door(stack: LocalStack, kind: str, lambdas: _Recording) -> HTTPService:
    """A front door on the stack's Lambda service (its default 60 s I/O timeout)."""
    door: HTTPService
    if kind == "rest-api":
        door = RestApiServer([stack.template.apis["StreamApi"]], lambdas)
    else:
        door = FunctionUrlServer(stack.template.functions["StreamFunction"], lambdas)
    return door.start()


def _flood(door: HTTPService, kind: str, mb: int, where: Path, extra: str = "") -> socket.socket:
    """Ask for ``mb`` MiB on a connection whose receive buffer is tiny; read nothing yet."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(60)
    sock.connect((door.server.host, door.server.port))
    path = "/Prod/run" if kind == "rest-api" else "/"
    request = (
        f"POST {path}?action=flood&mb={mb}&dir={where} HTTP/1.1\r\n"
        f"Host: localhost\r\nContent-Length: 2\r\n{extra}\r\n{{}}"
    )
    sock.sendall(request.encode())
    return sock


@pytest.mark.parametrize("kind", ["rest-api", "function-url"])
def test_a_client_that_never_reads_costs_the_stack_a_bounded_buffer(
    stack: LocalStack, caplog: pytest.LogCaptureFixture, tmp_path: Path, kind: str
) -> None:
    caplog.set_level(logging.INFO)
    lambdas = _Recording(stack.lambdas)
    door = _door(stack, kind, lambdas)
    finished = tmp_path / "finished"
    try:
        tracemalloc.start()
        sock = _flood(door, kind, 64, tmp_path)
        try:
            wait_until(lambda: bool(lambdas.invocations), "the function was invoked")
            invocation = lambdas.invocations[0]
            wait_until(lambda: lambdas.read >= STREAM_BUFFER, "the function streamed")
            # Once the Runtime API reads no more, the function's writes fill the socket
            # buffers and block: 64 MiB is far more than loopback's buffers hold.
            _settle(lambda: lambdas.read, finished.exists)
            _, peak = tracemalloc.get_traced_memory()
            # The stack runs in this process, so tracemalloc sees every byte it holds for
            # the stream (the queued chunks are Python bytes; socket buffers are the
            # kernel's, and RSS would blur both with the allocator's caching). The stream is
            # 64 times the bound; the stack holds the bound, one read at the Runtime API
            # and a chunk or two at the door: 4 times the bound leaves room for those and
            # for other threads, and is a fifteenth of what an unbounded queue holds here
            # (60 MiB when measured; the door's socket buffers hold the rest).
            assert peak < 4 * STREAM_BUFFER, f"{peak / _MIB:.1f} MiB held for a stalled client"
            assert not finished.exists()  # its writes are blocked, not buffered by the stack
        finally:
            tracemalloc.stop()
            # The client leaves with its receive buffer full: a reset, not a clean close.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        # The door detaches, the function writes on to its end, and its execution
        # environment serves the next call.
        wait_for_file(finished)
        wait_for_log(caplog, "finished after its client went away: success")
        with _flood(door, kind, 1, tmp_path, "Connection: close\r\n") as again:
            answer = b""
            while chunk := again.recv(1 << 20):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"0\r\n\r\n")
        assert [i.pid for i in lambdas.invocations[1:]] == [invocation.pid]
        assert not any(isinstance(e, InvocationError) for e in invocation.events(timeout=30))
    finally:
        door.close()
