"""A minimal, fast Runtime API for benchmarks: raw sockets, timestamps on every recv().

It serves queued events from ``/next`` and, for each streamed ``/response``, records the
time and size of every ``recv()`` until the terminating ``0\\r\\n\\r\\n``, then answers 202.
It understands only what the benchmarks send (no trailers, no pipelining) and parses
nothing while the stream flows, so the receiver is never the bottleneck.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field


@dataclass
class Stream:
    request_id: str
    head: bytes = b""
    recvs: list[tuple[int, int]] = field(default_factory=list)  # (monotonic_ns, end offset)
    data: bytearray = field(default_factory=bytearray)
    keep: bool = True
    done: threading.Event = field(default_factory=threading.Event)
    started_ns: int = 0
    """When the ``/response`` request's head arrived (monotonic ns): a buffered body's arrival."""


class Stub:
    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.queue: list[tuple[bytes, Stream]] = []
        self.cond = threading.Condition()
        self.first_next_ns: int | None = None
        self.streams: dict[str, Stream] = {}
        self.first_next = threading.Event()
        self.closing = False
        self.threads: list[threading.Thread] = []
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)

    def invoke(self, event: object, keep: bool = True) -> Stream:
        stream = Stream(str(uuid.uuid4()), keep=keep)
        with self.cond:
            self.queue.append((json.dumps(event).encode(), stream))
            self.cond.notify()
        return stream

    def close(self) -> None:
        self.closing = True
        with self.cond:
            self.cond.notify_all()
        self.listener.close()

    def _accept(self) -> None:
        while not self.closing:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()

    def _serve(self, conn: socket.socket) -> None:
        buf = bytearray()
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(1 << 20)
                    if not data:
                        return
                    buf += data
                end = buf.index(b"\r\n\r\n") + 4
                head, body = bytes(buf[:end]), buf[end:]
                buf = bytearray()
                line = head.split(b"\r\n", 1)[0].decode()
                if line.startswith("GET /2018-06-01/runtime/invocation/next"):
                    if self.first_next_ns is None:
                        self.first_next_ns = time.monotonic_ns()
                        self.first_next.set()
                    with self.cond:
                        while not self.queue and not self.closing:
                            self.cond.wait()
                        if self.closing:
                            return
                        payload, stream = self.queue.pop(0)
                    self.streams[stream.request_id] = stream
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Lambda-Runtime-Aws-Request-Id: " + stream.request_id.encode() + b"\r\n"
                        b"Lambda-Runtime-Deadline-Ms: %d\r\n"
                        % (time.time() * 1000 + 600_000)
                        + b"Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:1:f:f\r\n"
                        b"Lambda-Runtime-Trace-Id: Root=1-0-0\r\n"
                        b"Content-Length: %d\r\n\r\n" % len(payload) + payload
                    )
                    continue
                request_id = line.split("/")[4]
                stream = self.streams[request_id]
                stream.started_ns = time.monotonic_ns()
                stream.head = head
                if b"content-length:" in head.lower():  # buffered
                    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                    while len(body) < length:
                        body += conn.recv(1 << 20)
                    stream.data += body[:length]
                else:
                    total = len(body)
                    if body:
                        stream.recvs.append((time.monotonic_ns(), total))
                        if stream.keep:
                            stream.data += body
                    tail = bytes(body[-5:])
                    while not tail.endswith(b"0\r\n\r\n"):
                        data = conn.recv(1 << 20)
                        if not data:
                            return
                        total += len(data)
                        stream.recvs.append((time.monotonic_ns(), total))
                        if stream.keep:
                            stream.data += data
                        tail = (tail + data)[-5:]
                conn.sendall(
                    b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
                    b'Content-Length: 15\r\n\r\n{"status":"OK"}'
                )
                stream.done.set()
        except OSError:
            return
        finally:
            conn.close()
