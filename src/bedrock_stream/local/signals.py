"""Stopping a long-running entry point on one signal, however it was started.

``bedrock-stream local`` and ``python -m bedrock_stream.local.bedrock`` both serve until
SIGINT (Ctrl-C), SIGTERM or SIGHUP (the terminal closed), then print :data:`STOPPING`
and close everything. Call these from the main thread.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import time

__all__ = ["STOPPING", "STOP_SIGNALS", "catch_stop_signals", "report_stopping", "wait_for_stop"]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
STOPPING = "stopping..."
"""The line printed to stderr once a stop signal came."""

_WAKE = 0.1  # seconds between the main thread's checks for a signal's handler


def catch_stop_signals() -> list[int]:
    """Have each of :data:`STOP_SIGNALS` be appended to the returned list, not end the process.

    The handlers are installed whatever was inherited: a shell starts a background job
    with SIGINT ignored, and Ctrl-C would then do nothing. Only an ignored SIGHUP is
    kept, since ``nohup`` asks for exactly that: to outlive the terminal.
    """
    received: list[int] = []
    for signum in STOP_SIGNALS:
        if signum == signal.SIGHUP and signal.getsignal(signum) == signal.SIG_IGN:
            continue
        signal.signal(signum, lambda number, _: received.append(number))
    return received


def wait_for_stop(received: list[int]) -> None:
    """Block until a stop signal is in ``received``, looking every 0.1 s.

    Neither an untimed wait nor a lock: a signal may be delivered to another thread, and
    Python runs its handler in the main thread only once that thread wakes; and it runs
    it between any two bytecodes, so a handler that took a lock the main thread holds
    (``threading.Event.set`` inside ``Event.wait``) would hang for ever.
    """
    while not received:
        time.sleep(_WAKE)


def report_stopping() -> None:
    """Print :data:`STOPPING` to stderr; a terminal that hung up cannot fail the stop."""
    with contextlib.suppress(OSError):
        print(STOPPING, file=sys.stderr, flush=True)
