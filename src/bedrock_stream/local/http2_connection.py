"""HTTP/2 with prior knowledge (h2c) for the local HTTP server: one connection and its streams.

A client that opens with HTTP/2's connection preface (:data:`PREFACE`) speaks HTTP/2 on
the same port as HTTP/1.1 clients (:func:`sniff` tells them apart). Framing, HPACK, stream
states and flow control are h2's (sans-I/O); an :class:`HTTP2Connection` only moves bytes
between it and the socket. Its thread reads frames and hands each request stream to a
thread of its own as an :class:`~bedrock_stream.local.http2_exchange.HTTP2Exchange`, which
a handler uses as it uses any :class:`~bedrock_stream.local.http_exchange.Exchange`: so
streams on one connection are answered at once.

How HTTP/1.1's notions map: a streamed response is DATA frames, each sent as soon as the
client's flow-control windows allow (a client that opens none for ``io_timeout`` seconds
has left); its end is END_STREAM, on a trailing HEADERS frame when there are trailers. An
aborted response is a reset stream (``RST_STREAM`` ``INTERNAL_ERROR``): the other streams go
on. A client that resets a stream, closes the connection or sends ``GOAWAY`` with an error
has left; after a graceful ``GOAWAY`` its open streams are answered to their end, then the
connection closes.
Every request's END_STREAM is a half-close, so ``half_close`` is moot here. A request body
is granted flow-control credit as the handler reads it; a response sent before the whole
request is followed by ``RST_STREAM`` ``NO_ERROR`` (RFC 9113 8.1). ``:authority`` is the
``Host`` field a handler sees when the client sends none.

h2's defaults bound a connection: 100 concurrent streams (and as many handler threads, a
stream reset at once included), 64 KiB of header list. Writes are made under the
connection's lock: a client that stops reading holds up its own connection's streams, for
at most ``io_timeout``, and no other connection's.
Needs the ``local`` extra (h2).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import h2.config
import h2.connection
import h2.events
import h2.exceptions
from h2.errors import ErrorCodes

from bedrock_stream.local import http_sockets
from bedrock_stream.local.http2_exchange import Fields, HTTP2Exchange, decode_fields
from bedrock_stream.local.http_exchange import ClientGone, Exchange

if TYPE_CHECKING:
    from hyperframe.frame import Frame, GoAwayFrame

__all__ = ["PREFACE", "HTTP2Connection", "sniff"]

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
"""The bytes an HTTP/2 client opens a connection with (RFC 9113 3.4)."""


class _GracefulH2(h2.connection.H2Connection):
    """h2, but a peer's graceful GOAWAY leaves the streams already open going (RFC 9113 6.8).

    h2 closes the connection at any GOAWAY and drops the frames it had queued
    (python-hyper/h2#1181): then the frames after it in the same read, and the answers
    under way, would fail. Node.js sends one right after each request.
    """

    _keep_queued = False

    def _receive_goaway_frame(
        self, frame: GoAwayFrame
    ) -> tuple[list[Frame], list[h2.events.Event]]:
        if frame.error_code != ErrorCodes.NO_ERROR:
            return super()._receive_goaway_frame(frame)
        state, self._keep_queued = self.state_machine.state, True
        try:
            return super()._receive_goaway_frame(frame)
        finally:
            self.state_machine.state, self._keep_queued = state, False

    def clear_outbound_data_buffer(self) -> None:
        if not self._keep_queued:
            super().clear_outbound_data_buffer()


def sniff(sock: socket.socket, *, idle_timeout: float | None, io_timeout: float | None) -> bytes:
    """Read a new connection's first bytes, enough to tell HTTP/2's preface from HTTP/1.x.

    Returns what was read: it starts with :data:`PREFACE` for an HTTP/2 client. It is
    empty when the connection ended, or sat idle for ``idle_timeout``, before its first
    byte; short when it ended (or stalled for ``io_timeout``) mid-preface.

    Raises:
        OSError: the connection failed.
    """
    received = b""
    sock.settimeout(idle_timeout)
    with contextlib.suppress(TimeoutError):
        while len(received) < len(PREFACE) and PREFACE.startswith(received):
            data = sock.recv(http_sockets.READ_SIZE)
            if not data:
                break
            received += data
            sock.settimeout(io_timeout)
    return received


class HTTP2Connection:
    """One HTTP/2 connection: h2 frames it, and a thread per stream answers each request.

    Args:
        sock: the connection, with its preface read (see :meth:`serve`).
        client: the client's IP address.
        answer: answers one exchange (the server's screening and error handling included).
        name: names the stream threads.
        io_timeout: seconds a read or write may wait for the peer mid-exchange, and a
            response for flow-control credit.
        idle_timeout: seconds the connection may sit without a stream before it is closed
            (``GOAWAY``); it is checked every ``io_timeout`` seconds.
    """

    def __init__(
        self,
        sock: socket.socket,
        client: str,
        answer: Callable[[Exchange], None],
        *,
        name: str,
        io_timeout: float | None,
        idle_timeout: float | None,
    ) -> None:
        self._sock = sock
        self._client = client
        self._answer = answer
        self._name = name
        self.io_timeout = io_timeout
        self._idle_timeout = idle_timeout
        self._h2 = _GracefulH2(h2.config.H2Configuration(client_side=False, header_encoding=None))
        self._lock = threading.Lock()
        self.changed = threading.Condition(self._lock)
        """Notified, under the connection's lock, whenever h2's state changes."""
        self._streams: dict[int, HTTP2Exchange] = {}
        self._threads: list[threading.Thread] = []
        self._last_active = time.monotonic()
        self._going_away = False
        """Whether the client sent a graceful GOAWAY: the connection ends with its streams."""
        self._draining = False
        """Whether the connection is over but for the client's close (see :meth:`_finish`)."""
        self.closed = False
        """Whether the connection is over (every stream's client has left)."""

    def serve(self, received: bytes) -> None:
        """Serve until the connection ends; ``received``: the bytes already read (the preface).

        Returns once every stream's thread has finished.
        """
        try:
            with self._lock:
                self._h2.initiate_connection()
                self.flush()
            data = received
            while data and self._receive(data):
                data = self._read()
        except ClientGone:
            pass
        finally:
            with self._lock:
                self.closed = True
                self.changed.notify_all()
            for thread in self._threads:
                thread.join()

    # -- reading (the connection's thread) ------------------------------------------------

    def _read(self) -> bytes:
        """Read the next bytes; b"" when the connection ends (closed, or idle too long)."""
        while True:
            try:
                return self._sock.recv(http_sockets.READ_SIZE)
            except TimeoutError:
                with self._lock:
                    idle = time.monotonic() - self._last_active
                    if self._draining:
                        return b""
                    if self._streams or self._idle_timeout is None or idle < self._idle_timeout:
                        continue
                    self._h2.close_connection()
                    self.flush()
                return b""
            except OSError:
                return b""

    def _receive(self, data: bytes) -> bool:
        """Feed ``data`` to h2 and act on its events; False once the connection is over."""
        with self._lock:
            if self._draining:
                return True  # dropped: the connection only waits for the client's close
            try:
                events = self._h2.receive_data(data)
            except h2.exceptions.ProtocolError:
                self.flush()  # h2's GOAWAY
                return False
            for event in events:
                self._dispatch(event)
            self._last_active = time.monotonic()
            self.changed.notify_all()
            self.flush()
            return not self.closed

    def _dispatch(self, event: h2.events.Event) -> None:
        """Act on one of h2's events (the lock held)."""
        if isinstance(event, h2.events.RequestReceived):
            self._begin(event.stream_id, event.headers)
            return
        if isinstance(event, h2.events.ConnectionTerminated):
            if event.error_code != ErrorCodes.NO_ERROR or not self._streams:
                self.closed = True
            else:  # graceful: the open streams go on (see _GracefulH2), no new one opens
                self._going_away = True
            return
        stream_id = getattr(event, "stream_id", 0)
        exchange = self._streams.get(stream_id)
        if isinstance(event, h2.events.DataReceived):
            if exchange is None:
                # A stream already answered: hand its credit straight back.
                self._h2.acknowledge_received_data(event.flow_controlled_length, stream_id)
            else:
                exchange.body.append((event.data, event.flow_controlled_length))
        elif exchange is None:
            return
        elif isinstance(event, h2.events.TrailersReceived):
            exchange.trailers = decode_fields(event.headers)[1]
        elif isinstance(event, h2.events.StreamEnded):
            exchange.request_ended = True
        elif isinstance(event, h2.events.StreamReset):
            exchange.reset = True

    def _begin(self, stream_id: int, headers: Iterable[tuple[bytes, bytes]]) -> None:
        """Start answering a new request stream in a thread of its own (the lock held)."""
        # h2 counts only the streams it holds open; a stream the client reset at once keeps
        # its thread until its handler notices. Against rapid resets (CVE-2023-44487), no
        # more handlers than the concurrent streams this side advertises.
        if self._going_away or len(self._streams) >= self._h2.local_settings.max_concurrent_streams:
            self._h2.reset_stream(stream_id, ErrorCodes.REFUSED_STREAM)
            return
        pseudo, fields = decode_fields(headers)
        if ":authority" in pseudo and not any(name.lower() == "host" for name, _ in fields):
            fields = (("host", pseudo[":authority"]), *fields)
        exchange = HTTP2Exchange(
            self,
            stream_id,
            pseudo.get(":method", ""),
            pseudo.get(":path", ""),
            fields,
            self._client,
        )
        thread = threading.Thread(
            target=self._run, args=(exchange,), name=f"{self._name}-h2", daemon=True
        )
        try:
            thread.start()
        except RuntimeError:  # the process may start no more threads
            self._h2.reset_stream(stream_id, ErrorCodes.REFUSED_STREAM)
            return
        self._streams[stream_id] = exchange
        self._threads.append(thread)

    def _run(self, exchange: HTTP2Exchange) -> None:
        """Answer one stream, then settle what it left: credit, and a stream left open."""
        try:
            self._answer(exchange)
        finally:
            with self._lock:
                self._finish(exchange)

    def _finish(self, exchange: HTTP2Exchange) -> None:
        """Close the books on an answered stream (the lock held)."""
        stream_id = exchange.stream_id
        self._streams.pop(stream_id, None)
        self._threads = [t for t in self._threads if t is not threading.current_thread()]
        self._last_active = time.monotonic()
        unread = sum(length for _, length in exchange.body)
        exchange.body.clear()
        if self.closed:
            return
        if unread:
            self._h2.acknowledge_received_data(unread, stream_id)
        if not exchange.reset:
            with contextlib.suppress(h2.exceptions.StreamClosedError):
                if exchange.started and not exchange.response_ended:
                    self._h2.reset_stream(stream_id, ErrorCodes.INTERNAL_ERROR)
                elif not exchange.request_ended:
                    self._h2.reset_stream(stream_id, ErrorCodes.NO_ERROR)
        if self._going_away and not self._streams:
            # The last stream is over: our GOAWAY, then our FIN; the connection thread
            # drops what the client still sends until it closes, so that no reset can
            # overtake the bytes in flight.
            self._h2.close_connection()
            self._draining = True
        with contextlib.suppress(ClientGone):
            self.flush()
        if self._draining:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_WR)

    # -- writing (any thread, the lock held) ----------------------------------------------

    def flush(self) -> None:
        """Write what h2 has queued (the lock held); ClientGone if the connection failed."""
        data = self._h2.data_to_send()
        if not data:
            return
        try:
            self._sock.sendall(data)
        except OSError as exc:
            self.closed = True
            self.changed.notify_all()
            raise ClientGone(str(exc)) from exc

    def check(self, exchange: HTTP2Exchange) -> None:
        """Raise :class:`ClientGone` if ``exchange``'s client has left (the lock held)."""
        if self.closed:
            raise ClientGone("the HTTP/2 connection closed")
        if exchange.reset:
            raise ClientGone("the stream was reset")

    def deadline(self) -> float | None:
        """Return when a wait that starts now has waited ``io_timeout`` (None: never)."""
        return None if self.io_timeout is None else time.monotonic() + self.io_timeout

    def wait(self, exchange: HTTP2Exchange, what: str, deadline: float | None) -> None:
        """Wait for a change until ``deadline`` (the lock held); ClientGone once it passed.

        Any frame wakes the wait, so the deadline is the caller's, kept across wakes: a
        client that sends other traffic but never ``what`` still runs out of time.
        """
        left = None if deadline is None else deadline - time.monotonic()
        if (left is not None and left <= 0) or not self.changed.wait(left):
            raise ClientGone(f"no {what} for {self.io_timeout:g} s")
        self.check(exchange)

    def send_headers(self, exchange: HTTP2Exchange, fields: Fields, *, end: bool) -> None:
        """Send a HEADERS frame on ``exchange``'s stream."""
        with self._lock:
            self.check(exchange)
            self._h2.send_headers(exchange.stream_id, fields, end_stream=end)
            self.flush()

    def send_data(self, exchange: HTTP2Exchange, data: bytes, *, end: bool) -> None:
        """Send ``data`` on ``exchange``'s stream, as fast as the client's windows allow."""
        view = memoryview(data)
        with self._lock:
            deadline = self.deadline()
            while True:
                self.check(exchange)
                window = min(
                    self._h2.local_flow_control_window(exchange.stream_id),
                    self._h2.max_outbound_frame_size,
                )
                if view and window <= 0:
                    self.wait(exchange, "flow-control credit", deadline)
                    continue
                deadline = self.deadline()  # credit came: the wait starts again
                chunk, view = view[:window], view[window:]
                self._h2.send_data(exchange.stream_id, bytes(chunk), end_stream=end and not view)
                self.flush()
                if not view:
                    return

    def reset_stream(self, exchange: HTTP2Exchange, code: ErrorCodes) -> None:
        """Reset ``exchange``'s stream, unless its client has left already."""
        with self._lock:
            if self.closed or exchange.reset:
                return
            exchange.reset = True
            with contextlib.suppress(h2.exceptions.StreamClosedError):
                self._h2.reset_stream(exchange.stream_id, code)
            with contextlib.suppress(ClientGone):
                self.flush()

    def acknowledge(self, exchange: HTTP2Exchange, length: int) -> None:
        """Give back the flow-control credit of request bytes read (the lock held).

        Also after a reset: the connection's window is shared by every stream, and h2
        credits only the connection's for a closed stream.
        """
        if not self.closed:
            self._h2.acknowledge_received_data(length, exchange.stream_id)
            self.flush()
