"""SIGTERM in the runtime: an invocation in progress is answered first, then the process ends.

Lambda sends the runtime SIGTERM in its shutdown phase when an extension is registered, and
a Managed Instances worker pool forwards it to its workers; either kills the process a
moment later if it is still there. By default SIGTERM ends a process at once, so a stream
it meets is cut and a buffered answer is never posted. :class:`Sigterm` holds it until the
invocation's response has been reported instead, then runs the work registered with
:func:`bedrock_stream.shutdown.at_shutdown` (the ASGI adapter's lifespan shutdown), then
ends the process.

Invariants:

* It is installed, and the runtime attached as the shutdown host, before the handler's
  module is imported: the handler's code registers its shutdown work with the runtime.
* Outside an invocation SIGTERM runs that work and ends the process at once; during one,
  once its response is reported (the stream finished or the answer posted), before the
  next ``/next``. The work never runs while a response is still open.
* The process ends by SIGTERM's default action, so its exit status is the one it would have
  had without the runtime (killed by signal 15); where that action does nothing (the
  runtime as PID 1 of a container), by ``os._exit(143)``.
* A SIGTERM that is ignored (``SIG_IGN`` inherited) stays ignored, and nothing attaches.
* A process the handler's code forks takes SIGTERM's default action and inherits no
  shutdown work: the runtime's state stays the runtime's.
* Once the work runs, a further SIGTERM changes nothing: the work finishes.
* During an invocation the signal handler only sets a flag. Idle, the main thread waits in
  ``/next`` and writes nothing, so the handler runs the work and ends the process there.
"""

from __future__ import annotations

import os
import signal
import sys

from bedrock_stream import shutdown
from bedrock_stream.runtime import logs

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: the runtime's cold path does not need typing
if TYPE_CHECKING:
    from types import FrameType

__all__ = ["Sigterm"]


class Sigterm:
    """Holds a SIGTERM that arrives during an invocation until its response is reported."""

    def __init__(self) -> None:
        self.serving = False
        self.pending = False
        self.pid = os.getpid()

    def install(self) -> None:
        """Take SIGTERM in the process's main thread and host the shutdown, unless ignored."""
        if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, self._on_sigterm)
            shutdown.attach_host()

    def begin(self) -> None:
        """Mark an invocation as started: a SIGTERM from now on waits for :meth:`end`."""
        self.serving = True

    def end(self) -> bool:
        """Mark the invocation's response as reported; return whether a SIGTERM waits.

        If one does, the caller then calls :meth:`stop` (a second SIGTERM meanwhile only
        sets the flag again).
        """
        if self.pending:
            return True
        self.serving = False
        return self.pending  # one that came just now: stop for it too

    def stop(self) -> None:
        """Run the registered shutdown work, then end the process by SIGTERM."""
        self.serving = True  # a SIGTERM from now on (the work's own, say) only sets the flag
        shutdown.run_shutdown(_failed)
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            try:
                if stream is not None:
                    stream.flush()
            except Exception:  # nothing is left to report it to
                pass
        _default_action()
        os._exit(128 + signal.SIGTERM)  # the default action did nothing: PID 1, say

    def _on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        if os.getpid() != self.pid:  # a process the handler's code forked: not the runtime
            _default_action()
        elif self.serving:
            self.pending = True
        else:
            self.stop()


def _default_action() -> None:
    """Take SIGTERM as a process does by default: end (unless it is PID 1 of a namespace)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.raise_signal(signal.SIGTERM)


def _failed(exc: BaseException) -> None:
    logs.write(f"[bedrock-stream] ERROR: shutdown work raised {type(exc).__name__}: {exc}\n")
