"""Waiting for something another thread or process does, without asserting on time.

Importable from every test module: pytest puts ``tests/`` on ``sys.path`` for the root
``conftest.py``. Each helper polls every 10 ms and fails after 30 s with what it waited for.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

_POLLS = 3000
_PAUSE = 0.01


def wait_for_file(path: Path) -> None:
    """Return once ``path`` exists."""
    for _ in range(_POLLS):
        if path.exists():
            return
        time.sleep(_PAUSE)
    raise AssertionError(f"{path} never appeared")


def wait_for_log(caplog: pytest.LogCaptureFixture, *texts: str) -> None:
    """Return once every text has been logged, in this order."""
    for _ in range(_POLLS):
        log = caplog.text
        positions = [log.find(text) for text in texts]
        if all(p >= 0 for p in positions):
            assert positions == sorted(positions), f"out of order: {texts}"
            return
        time.sleep(_PAUSE)
    raise AssertionError(f"never logged: {texts}")


def wait_until(done: Callable[[], bool], what: str) -> None:
    """Return once ``done()``; fail after 30 s naming ``what``."""
    for _ in range(_POLLS):
        if done():
            return
        time.sleep(_PAUSE)
    raise AssertionError(f"never happened: {what}")


def process_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie awaiting its reaper counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError):  # no /proc here, or gone since
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] not in "ZX"
    return True


def read_until_closed(sock: socket.socket) -> bytes:
    """Read until the peer closes; a reset ends the reading too."""
    received = bytearray()
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            received += chunk
    return bytes(received)
