"""SIGTERM in the runtime: an invocation in progress is answered first, then the process ends.

Lambda sends the runtime SIGTERM in its shutdown phase when an extension is registered, and
a Managed Instances worker pool forwards it to its workers; either kills the process a
moment later if it is still there. By default SIGTERM ends a process at once, so a stream
it meets is cut and a buffered answer is never posted. :class:`Sigterm` holds it until the
invocation's response has been reported instead.

Invariants:

* It is installed before the handler's module is imported, so that a handler's own SIGTERM
  handler (the ASGI adapter's lifespan shutdown) sits on top of it and chains to it.
* Outside an invocation SIGTERM ends the process at once; during one, once its response is
  reported (the stream finished or the answer posted), before the next ``/next``.
* The process ends by SIGTERM's default action, so its exit status is the one it would have
  had without the runtime (killed by signal 15).
* A SIGTERM that is ignored (``SIG_IGN`` inherited) stays ignored; the signal handler only
  sets a flag or ends the process, so it never writes a log line mid-write.
"""

from __future__ import annotations

import signal

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: the runtime's cold path does not need typing
if TYPE_CHECKING:
    from types import FrameType

__all__ = ["Sigterm", "end_by_sigterm"]


class Sigterm:
    """Holds a SIGTERM that arrives during an invocation until its response is reported."""

    def __init__(self) -> None:
        self.serving = False
        self.pending = False

    def install(self) -> None:
        """Take SIGTERM in the process's main thread, unless it is ignored."""
        if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, self._on_sigterm)

    def begin(self) -> None:
        """Mark an invocation as started: a SIGTERM from now on waits for :meth:`end`."""
        self.serving = True

    def end(self) -> bool:
        """Mark the invocation's response as reported; return whether a SIGTERM waits.

        The caller then ends the process with :func:`end_by_sigterm`.
        """
        self.serving = False
        return self.pending

    def _on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        if self.serving:
            self.pending = True
        else:
            end_by_sigterm()


def end_by_sigterm() -> None:
    """End the process by SIGTERM's default action."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.raise_signal(signal.SIGTERM)
