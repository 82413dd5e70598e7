"""An HTTP/2 client peer for the tests, framed by h2 itself: prior knowledge (h2c), loopback.

Blocking and explicit: a test sends requests, then reads events until what it waits for
arrives. Received DATA is given its flow-control credit back only when ``acknowledge`` is
set, so that a test can hold a server to its windows.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import h2.config
import h2.connection
import h2.events
import h2.settings


@dataclass
class Response:
    """What one stream received."""

    headers: dict[str, str] = field(default_factory=dict)
    data: bytearray = field(default_factory=bytearray)
    trailers: dict[str, str] = field(default_factory=dict)
    ended: bool = False
    reset: int | None = None
    """The error code of a RST_STREAM the server sent."""

    @property
    def status(self) -> int:
        return int(self.headers[":status"])

    @property
    def done(self) -> bool:
        return self.ended or self.reset is not None


class H2Client:
    """One HTTP/2 connection to ``host:port``; ``window``: the streams' initial window."""

    def __init__(self, host: str, port: int, *, window: int | None = None) -> None:
        self.sock = socket.create_connection((host, port), timeout=5)
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        )
        if window is not None:
            self.conn.local_settings = h2.settings.Settings(
                client=True, initial_values={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window}
            )
        self.conn.initiate_connection()
        self.authority = f"{host}:{port}"
        self.responses: dict[int, Response] = {}
        self.acknowledge = True
        self.terminated = False
        self.pings = 0
        self._flush()

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> H2Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
        *,
        authority: str | None = None,
        end: bool = True,
    ) -> int:
        """Send a request (its body within the server's windows); return its stream id.

        ``end=False`` leaves the stream open after the body (for trailers).
        """
        stream_id = self.conn.get_next_available_stream_id()
        head = [
            (":method", method),
            (":scheme", "http"),
            (":authority", authority or self.authority),
            (":path", path),
            *(headers or []),
        ]
        self.responses[stream_id] = Response()
        self.conn.send_headers(stream_id, head, end_stream=end and not body)
        self._flush()
        view = memoryview(body)
        while view:
            window = min(
                self.conn.local_flow_control_window(stream_id), self.conn.max_outbound_frame_size
            )
            if window <= 0:
                self.read_once()
                continue
            chunk, view = view[:window], view[window:]
            self.conn.send_data(stream_id, bytes(chunk), end_stream=end and not view)
            self._flush()
        return stream_id

    def reset(self, stream_id: int, code: int = 8) -> None:
        """Reset a stream (8: CANCEL)."""
        self.conn.reset_stream(stream_id, code)
        self._flush()

    def goaway(self, *, then_ping: bool = False) -> None:
        """Send a graceful GOAWAY and go on reading the open streams (h2 would stop).

        ``then_ping``: a PING follows in the same write, so the server reads both at once.
        """
        self.conn.close_connection()
        self.conn.state_machine.state = h2.connection.ConnectionState.CLIENT_OPEN
        if then_ping:
            self.conn.ping(b"goaway!!")
        self._flush()

    def grant(self, stream_id: int, length: int) -> None:
        """Give ``length`` bytes of flow-control credit back on a stream and the connection."""
        self.conn.acknowledge_received_data(length, stream_id)
        self._flush()

    def read_once(self) -> list[Any]:
        """Read once from the socket (TimeoutError after 5 s) and act on the events."""
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        events = self.conn.receive_data(data)
        for event in events:
            self._record(event)
        self._flush()
        return list(events)

    def until(self, done: Callable[[], bool]) -> None:
        """Read until ``done()`` holds."""
        while not done():
            self.read_once()

    def response(self, stream_id: int) -> Response:
        """Read until the stream is over; return what it received."""
        response = self.responses[stream_id]
        self.until(lambda: response.done)
        return response

    def _record(self, event: Any) -> None:
        response = self.responses.get(getattr(event, "stream_id", 0))
        if isinstance(event, h2.events.ConnectionTerminated):
            self.terminated = True
        if isinstance(event, h2.events.PingAckReceived):
            self.pings += 1
        if response is None:
            return
        if isinstance(event, h2.events.ResponseReceived):
            response.headers = dict(event.headers)
        elif isinstance(event, h2.events.DataReceived):
            response.data += event.data
            if self.acknowledge:
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.TrailersReceived):
            response.trailers = dict(event.headers)
        elif isinstance(event, h2.events.StreamEnded):
            response.ended = True
        elif isinstance(event, h2.events.StreamReset):
            response.reset = int(event.error_code)

    def _flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)
