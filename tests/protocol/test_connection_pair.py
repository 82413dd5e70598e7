"""The runtime's bytes parsed by the local Runtime API, and the other way round: one protocol.

What :class:`StreamingSink` sends is recorded off a socketpair, then fed as raw bytes to a
:class:`RuntimeAPIServer`, whose events are checked; what that server answers to ``/next``
is decoded by the runtime's own client. Real classes on both sides, no copies.
"""

from __future__ import annotations

import base64
import json
import socket
import threading

import pytest

from bedrock_stream.local.invocation import (
    BodyChunk,
    Done,
    InvocationError,
    ResponseStarted,
    Trailers,
)
from bedrock_stream.local.runtime_api import RuntimeAPIServer
from bedrock_stream.protocol.runtime_api import InvocationState
from bedrock_stream.runtime.client import RuntimeAPI
from bedrock_stream.runtime.diagnostic import error_trailers, make_error
from bedrock_stream.runtime.stream import StreamingSink

_ACCEPTED = b"HTTP/1.1 202 Accepted\r\nContent-Length: 15\r\n\r\n" + b'{"status":"OK"}'


class _Recorder(RuntimeAPI):
    """A Runtime API client whose streamed response goes to a socketpair that records it."""

    def __init__(self) -> None:
        super().__init__("127.0.0.1:9")
        self.ours, self.theirs = socket.socketpair()
        self.sent = bytearray()
        self._reader = threading.Thread(target=self._record)
        self._reader.start()

    def take_connection(self) -> socket.socket:
        return self.ours

    def _record(self) -> None:
        while not self.sent.endswith(b"\r\n\r\n") or b"\r\n0\r\n" not in self.sent:
            data = self.theirs.recv(65536)
            if not data:
                return
            self.sent += data
        self.theirs.sendall(_ACCEPTED)  # the answer StreamingSink.finish waits for

    def recorded(self) -> bytes:
        self._reader.join(10)
        self.theirs.close()
        return bytes(self.sent)


def _stream(request_id: str, trailers: list[tuple[str, str]] | None) -> bytes:
    api = _Recorder()
    sink = StreamingSink(api, request_id, deadline_ms=2**42)
    sink.start("text/event-stream")
    sink.write(b"data: a\n\n")  # inline, with the head
    sink.write(b"b" * 10, b"", b"c" * 70_000)  # a small and a large chunk, an empty one skipped
    for token in (b"d", b"e"):  # the hot path: one token per write, through the writer
        sink.write(token)
    assert sink.state is InvocationState.RESPONDING
    assert sink.finish(trailers) == 202
    assert sink.state is InvocationState.DONE
    return api.recorded()


def _dispatch(server: RuntimeAPIServer) -> None:
    """Take the queued invocation with the runtime's own ``/next``."""
    api = RuntimeAPI(server.address)
    api.next()
    api.close()


def _replay(server: RuntimeAPIServer, data: bytes) -> bytes:
    host, port = server.address.rsplit(":", 1)
    with socket.create_connection((host, int(port))) as conn:
        conn.sendall(data)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += conn.recv(65536)
    return answer


@pytest.mark.parametrize("failed", [False, True])
def test_what_the_sink_sends_is_what_the_local_runtime_api_reads(failed: bool) -> None:
    error = make_error("boom", "ValueError", ["  File x\n"], "r-1")
    data = _stream("r-1", error_trailers(error) if failed else None)
    with RuntimeAPIServer() as server:
        invocation = server.invoke({"q": 1}, request_id="r-1")
        _dispatch(server)  # a /response is now allowed
        assert _replay(server, data).startswith(b"HTTP/1.1 202")
        events = list(invocation.events(timeout=10))
    started = events[0]
    assert isinstance(started, ResponseStarted) and started.streaming
    assert started.content_type == "text/event-stream"
    body = b"".join(e.data for e in events if isinstance(e, BodyChunk))
    assert body == b"data: a\n\n" + b"b" * 10 + b"c" * 70_000 + b"de"
    trailers = [e for e in events if isinstance(e, Trailers)]
    errors = [e for e in events if isinstance(e, InvocationError)]
    if failed:
        fields = dict(trailers[0].headers)
        assert fields["lambda-runtime-function-error-type"] == "ValueError"
        assert json.loads(base64.b64decode(fields["lambda-runtime-function-error-body"])) == (
            error.to_object()
        )
        assert [(e.error_type, json.loads(e.body)) for e in errors] == [
            ("ValueError", error.to_object())
        ]
    else:
        assert not trailers and not errors
    assert events[-1] == Done("failure" if failed else "success")
    assert invocation.state is InvocationState.DONE


def test_what_the_local_runtime_api_hands_out_is_what_the_runtime_decodes() -> None:
    with RuntimeAPIServer() as server:
        sent = server.invoke(
            {"q": 1},
            request_id="r-2",
            deadline_ms=1_700_000_000_123,
            client_context={"custom": {"k": "v"}},
            cognito_identity={"cognitoIdentityId": "id"},
            tenant_id="tenant",
        )
        api = RuntimeAPI(server.address)
        got = api.next()
        api.close()
    assert (got.request_id, got.deadline_ms, got.tenant_id) == ("r-2", 1_700_000_000_123, "tenant")
    assert (got.function_arn, got.trace_id) == (sent.function_arn, sent.trace_id)
    assert json.loads(got.client_context or "") == {"custom": {"k": "v"}}
    assert json.loads(got.cognito_identity or "") == {"cognitoIdentityId": "id"}
    assert (got.content_type, json.loads(got.body)) == ("application/json", {"q": 1})
    assert sent.state is InvocationState.DISPATCHED


def test_a_second_response_to_one_invocation_is_refused() -> None:
    data = _stream("r-3", None)
    with RuntimeAPIServer() as server:
        server.invoke({}, request_id="r-3")
        _dispatch(server)
        assert _replay(server, data).startswith(b"HTTP/1.1 202")
        assert _replay(server, data).startswith(b"HTTP/1.1 403")
