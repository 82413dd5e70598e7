"""The log-fd provider of a Managed Instances environment: a Unix socket runtimes log to.

On Lambda Managed Instances the platform names a Unix socket in
``_LAMBDA_TELEMETRY_LOG_FD_PROVIDER_SOCKET``; each runtime worker connects to it (awslambdaric
twice, for stdout and for stderr, ``dup2``-ed over fds 1 and 2) and writes plain
newline-delimited lines: no handshake, no framing, no file descriptor passing.
:class:`LogFdProvider` is that socket's server: one thread accepts, one thread per connection
reads, and every complete line (its ``\\n`` removed) goes to ``log``; a connection's last
unterminated bytes go there too at EOF. ``log`` may be called from several threads at once.

:meth:`LogFdProvider.close` stops accepting, gives the connections :data:`DRAIN` seconds to
reach EOF (their writers have usually exited by then), then cuts the rest: a process the
function left behind may hold its connection open for ever. POSIX only.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["DRAIN", "LogFdProvider"]

DRAIN = 1.0
"""Seconds :meth:`LogFdProvider.close` waits for the connections to end by themselves."""

_CHUNK = 65536


class LogFdProvider:
    """A Unix stream socket at ``path`` whose connections' lines go to ``log``.

    Args:
        path: where to bind; must not exist (an old socket is the caller's to remove).
        log: receives each line, without its line feed.
    """

    def __init__(self, path: Path, log: Callable[[bytes], None]) -> None:
        self.path = path
        self._log = log
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._connections: set[socket.socket] = set()
        self._readers: list[threading.Thread] = []
        self._lock = threading.Lock()  # guards the two above
        self._accepter = threading.Thread(target=self._accept, name="log-fd-provider")

    def start(self) -> LogFdProvider:
        """Bind, listen and start accepting."""
        self._listener.bind(str(self.path))
        self._listener.listen()
        self._accepter.start()
        return self

    def close(self) -> None:
        """Stop accepting, let the connections drain (:data:`DRAIN`), cut the rest, unlink."""
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept() on Linux
        self._listener.close()
        if self._accepter.ident is not None:  # started
            self._accepter.join()
        deadline = time.monotonic() + DRAIN
        with self._lock:
            readers = list(self._readers)
        for reader in readers:
            reader.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        for reader in readers:
            reader.join()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # closed
                return
            reader = threading.Thread(
                target=self._read, args=(connection,), name="log-fd-connection"
            )
            with self._lock:
                self._connections.add(connection)
                self._readers.append(reader)
            reader.start()

    def _read(self, connection: socket.socket) -> None:
        rest = b""
        try:
            with connection:
                while chunk := _receive(connection):
                    *lines, rest = (rest + chunk).split(b"\n")
                    for line in lines:
                        self._log(line)
            if rest:
                self._log(rest)
        finally:
            with self._lock:
                self._connections.discard(connection)


def _receive(connection: socket.socket) -> bytes:
    """Return the next bytes of ``connection``; empty at EOF or once it was cut."""
    try:
        return connection.recv(_CHUNK)
    except OSError:
        return b""
