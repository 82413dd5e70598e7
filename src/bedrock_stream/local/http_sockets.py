"""The socket-level helpers of the local HTTP server: what h11 leaves to whoever moves bytes.

Each works on a plain socket and knows nothing of HTTP: holding back a descriptor so that a
process out of them can still answer, telling without waiting whether a socket has something
to read, waiting until what was sent has been delivered before a reset, and closing with the
client's remaining bytes read and dropped, within bounds, so that it reads the answer instead
of a reset, and reading what a TLS connection holds without waiting. ``poll`` is used where
there is one: ``select`` cannot watch a descriptor
numbered 1024 or more (``FD_SETSIZE``), which a stack with a couple of hundred warm
functions reaches.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import socket
import ssl
import struct
import sys
import time

if sys.platform == "linux":
    import fcntl
    import termios

    _OUTQ: int | None = termios.TIOCOUTQ
    """The ioctl that reads a socket's bytes not yet acknowledged (``SIOCOUTQ``)."""
else:
    _OUTQ = None

__all__ = [
    "OUT_OF_DESCRIPTORS",
    "READ_SIZE",
    "drain",
    "linger",
    "readable",
    "reset",
    "spare_descriptor",
    "tls_read_now",
]

READ_SIZE = 64 * 1024
"""The most bytes one ``recv`` asks for."""
OUT_OF_DESCRIPTORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
"""The ``errno`` values of an accept that failed for want of descriptors (or memory)."""
_DRAIN_SECONDS = 2.0
_LINGER_SECONDS = 5.0
_LINGER_BYTES = 64 * 1024 * 1024
_RESET = struct.pack("ii", 1, 0)
"""``SO_LINGER`` on, zero seconds: ``close`` resets the connection."""


def spare_descriptor() -> int | None:
    """Open the descriptor held back so that a server out of them can still answer 503."""
    try:
        return os.open(os.devnull, os.O_RDONLY)
    except OSError:
        return None


def drain(sock: socket.socket) -> None:
    """Wait, within bounds, until the peer has acknowledged every byte sent (Linux only)."""
    if _OUTQ is None:
        return
    deadline = time.monotonic() + _DRAIN_SECONDS
    while time.monotonic() < deadline:
        pending = struct.unpack("i", fcntl.ioctl(sock.fileno(), _OUTQ, bytes(4)))[0]
        if pending == 0:
            return
        time.sleep(0.005)


def reset(sock: socket.socket) -> None:
    """Close ``sock`` with a reset, once the bytes sent have been delivered (see :func:`drain`).

    Raises:
        OSError: the socket could not be configured (it is then left open).
    """
    drain(sock)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET)
    sock.close()


def readable(sock: socket.socket) -> bool:
    """Whether ``sock`` has data or its end to read, without waiting."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    ready, _, _ = select.select([sock], [], [], 0)
    return bool(ready)


def linger(sock: socket.socket) -> None:
    """Close our side, then read and drop what the client still sends, within bounds."""
    deadline = time.monotonic() + _LINGER_SECONDS
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
        dropped = 0
        while dropped < _LINGER_BYTES and (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            data = sock.recv(READ_SIZE)
            if not data:
                return
            dropped += len(data)


def tls_read_now(sock: ssl.SSLSocket) -> bytes | None:
    """Read what a TLS connection has for us without waiting: None if nothing, b"" at its end.

    TLS cannot peek as TCP can (``MSG_PEEK``): what is read is consumed. A partial record,
    or a record that carries no data (a session ticket), reads as nothing.
    """
    if not sock.pending() and not readable(sock):
        return None
    timeout = sock.gettimeout()
    sock.settimeout(0.0)
    try:
        return sock.recv(READ_SIZE)
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
        return None
    finally:
        sock.settimeout(timeout)
