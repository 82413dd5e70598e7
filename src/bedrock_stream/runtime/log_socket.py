"""A worker's output on Lambda Managed Instances: stdout and stderr to the log provider socket.

When ``_LAMBDA_TELEMETRY_LOG_FD_PROVIDER_SOCKET`` names a Unix socket, each runtime worker
connects to it twice, a stream connection for file descriptor 1 and then one for 2, each
``dup2``ed over its descriptor: the protocol of AWS's Python runtime client (awslambdaric
4.x), in which nothing but newline-delimited text (or JSON) lines travel, no header, no
handshake, no passed descriptors. Lambda reads the lines as log records.

Invariants:

* Only file descriptors 1 and 2 change: ``sys.stdout`` and ``sys.stderr`` keep writing to
  their descriptors and so reach the socket, as does output from C code and from child
  processes that inherit them.
* Both streams are line buffered afterwards, so a record leaves whole at its line feed
  (the runtime's own records are written and flushed as whole lines already).
* If the socket cannot be reached, the descriptors are left as they were and the failure
  is returned for the caller to log: output then goes where it went before.
"""

from __future__ import annotations

import os
import socket
import sys

__all__ = ["PROVIDER_SOCKET", "redirect"]

PROVIDER_SOCKET = "_LAMBDA_TELEMETRY_LOG_FD_PROVIDER_SOCKET"
"""The variable naming the log provider's Unix socket."""


def redirect(path: str) -> OSError | None:
    """Connect file descriptors 1 and 2 to the Unix socket ``path``.

    Returns:
        None once both are connected, else the error (nothing was changed).
    """
    connections: list[socket.socket] = []
    try:
        for _ in (1, 2):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connections.append(sock)
            sock.connect(path)
    except OSError as exc:
        for sock in connections:
            sock.close()
        return exc
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    for fd, sock in zip((1, 2), connections, strict=True):
        os.dup2(sock.fileno(), fd)
        sock.close()
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(line_buffering=True)
    return None
