"""bedrock-stream's runtime on the local stack's Managed Instances mode: N streams at once.

The two halves meet here: the local Lambda service runs one environment with three slots,
and the function's exec wrapper starts the streaming runtime, which forks three workers.
Three streamed invocations must overlap (a loopback barrier releases them only once all three
handlers are inside it), each from its own worker, each body byte-exact and its own.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bedrock_stream.cli import write_wrapper
from bedrock_stream.local.deployment import Function
from bedrock_stream.local.lambda_service import LambdaService
from bedrock_stream.local.runtime_api import BodyChunk, Done, ResponseStarted

pytestmark = pytest.mark.skipif(os.name != "posix", reason="fork, process groups, /bin/sh")

SLOTS = 3
APP = """
import json
import os
import socket

from bedrock_stream import streaming_handler


@streaming_handler
def stream(event, context):
    ask = json.loads(event["body"])
    with socket.create_connection(("127.0.0.1", ask["barrier"]), timeout=60) as barrier:
        if barrier.recv(1) != b"g":
            raise RuntimeError("the barrier closed without releasing")
    yield f"{ask['name']} from {os.getpid()}\\n"
    for i in range(200):
        yield f"{ask['name']} {i:03d} " + "x" * 500 + "\\n"
"""


def expected_tail(name: str) -> bytes:
    return "".join(f"{name} {i:03d} " + "x" * 500 + "\n" for i in range(200)).encode()


@pytest.fixture
def barrier() -> Iterator[tuple[int, threading.Event, list[socket.socket]]]:
    listener = socket.create_server(("127.0.0.1", 0))
    arrived: list[socket.socket] = []
    everyone = threading.Event()

    def gather() -> None:
        while len(arrived) < SLOTS:
            arrived.append(listener.accept()[0])
        everyone.set()

    threading.Thread(target=gather, daemon=True).start()
    yield listener.getsockname()[1], everyone, arrived
    listener.close()
    for connection in arrived:
        connection.close()


def test_three_streams_at_once_each_from_its_own_worker(
    tmp_path: Path,
    barrier: tuple[int, threading.Event, list[socket.socket]],
    url_event: dict[str, Any],
) -> None:
    port, everyone, arrived = barrier
    (tmp_path / "app.py").write_text(APP)
    write_wrapper(tmp_path)
    function = Function(
        name="Fn",
        code_dir=tmp_path,
        handler="app.stream",
        runtime="python3.13",
        timeout=60,
        environment={"AWS_LAMBDA_EXEC_WRAPPER": "/var/task/bedrock-stream"},
        max_concurrency=SLOTS,
    )
    service = LambdaService({"Fn": function}, log=lambda line: None)
    try:
        invocations = []
        for i in range(SLOTS):
            ask = json.dumps({"name": f"n{i}", "barrier": port})
            event = {**url_event, "body": ask, "isBase64Encoded": False}
            invocations.append(service.invoke("Fn", json.dumps(event).encode(), streaming=True))
        assert everyone.wait(60), "the three handlers did not run at once"
        for connection in arrived:
            connection.sendall(b"g")
        workers = set()
        for i, invocation in enumerate(invocations):
            events = list(invocation.events(timeout=60))
            assert isinstance(events[0], ResponseStarted) and events[0].streaming
            assert events[-1] == Done("success")
            streamed = b"".join(e.data for e in events if isinstance(e, BodyChunk))
            _prelude, _, body = streamed.partition(b"\0" * 8)  # the HTTP integration prelude
            first, _, rest = body.partition(b"\n")
            name, _, pid = first.decode().partition(" from ")
            assert name == f"n{i}" and rest == expected_tail(name), f"n{i}'s body is not its own"
            workers.add(pid)
        assert len(workers) == SLOTS  # one worker each: the runtime forked, the stack overlapped
    finally:
        service.close()
