"""The worker pool of Lambda Managed Instances: one parent, N forked single-slot workers.

With ``AWS_LAMBDA_MAX_CONCURRENCY=N`` the Runtime API hands out up to N invocations at once
per execution environment. As AWS's Python runtime client (awslambdaric 4.x) does, the
runtime then forks N worker processes before the handler is imported; each worker runs the
whole init (handler import, ``prime()``) and the single-slot loop on its own Runtime API
connection. This module is the parent's side: fork, reap, replace, stop. What a worker runs
is the caller's ``target``; :mod:`.managed` gives it.

Invariants:

* The parent is single-threaded and holds no Runtime API socket when it forks (the caller
  closes its probe connection first); it never imports the handler.
* ``os.fork``, not :mod:`multiprocessing`: the parent needs none of its machinery, and
  importing it costs about 7 ms of cold start against 0.6 ms for :mod:`signal`.
* SIGCHLD, SIGTERM and SIGINT are blocked in the parent and taken with ``sigtimedwait``: no signal
  handler runs in the middle of the pool's bookkeeping. A worker starts with the mask and
  the dispositions it would have had without the pool (so a handler installed at init works
  per worker), and on Linux dies with its parent (``PR_SET_PDEATHSIG``).
* A worker never returns into the parent's code: it leaves with ``os._exit``.
* A worker reports the end of its init by writing one byte on its own pipe. A worker that
  exits without it failed its init: it is not replaced (its ``/init/error`` is posted),
  unless it was itself a replacement, whose environment serves on. One that exits after it,
  or such a replacement, is replaced, at most N times in :data:`RESPAWN_WINDOW` seconds; past
  that the pool serves on with the workers it has and refills the empty slots as the window
  moves on, so it never shrinks for good. With no worker left the parent exits 1.
* Each worker has a slot in a shared anonymous ``mmap`` (the ledger) holding the request id
  it is serving, written by the worker alone and read by the parent only once the worker is
  dead, so no lock is needed. The id found there is handed to ``lost`` before the worker is
  replaced: the invocation that died with it gets an answer instead of waiting for its
  timeout.
* SIGTERM (or SIGINT): the parent stops replacing, forwards SIGTERM to every worker, waits up to
  :data:`STOP_GRACE` seconds, SIGKILLs the rest, reaps them all and exits 0.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import signal
import sys
import time

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: the cold path does not import typing
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import NoReturn

    Target = Callable[["Worker"], object]
    Lost = Callable[[str, str], None]

__all__ = ["RESPAWN_WINDOW", "STOP_GRACE", "Pool", "Worker", "run_pool"]

RESPAWN_WINDOW = 60.0
"""Seconds over which at most N dead workers are replaced."""
STOP_GRACE = 0.5
"""Seconds the workers get between SIGTERM and SIGKILL (RAPID gives the runtime 600 ms)."""
_SIGNALS = {signal.SIGCHLD, signal.SIGTERM, signal.SIGINT}
_PR_SET_PDEATHSIG = 1
_SLOT = 128
"""Bytes of a ledger slot: one of length, then the request id (longer ids are not kept)."""


def _log(message: str) -> None:
    from bedrock_stream.runtime import logs

    logs.write(f"[bedrock-stream] {message}\n")


def _describe(status: int) -> str:
    """Return how a worker ended, from its ``waitpid`` status."""
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


class Worker:
    """What a worker's ``target`` is given: how to say it is ready, and what it serves."""

    def __init__(self, ready_fd: int, ledger: mmap.mmap, slot: int) -> None:
        self.slot = slot
        """Which of the pool's ``size`` places this worker fills (a replacement keeps it)."""
        self._ready_fd = ready_fd
        self._ledger = ledger
        self._at = slot * _SLOT

    def ready(self) -> None:
        """Tell the parent the init is done (call once, before the first ``/next``)."""
        os.write(self._ready_fd, b"r")
        os.close(self._ready_fd)

    def serving(self, request_id: str) -> None:
        """Record the invocation now served, ``""`` once it is answered."""
        data = request_id.encode()
        if len(data) >= _SLOT:
            data = b""
        self._ledger[self._at + 1 : self._at + 1 + len(data)] = data
        self._ledger[self._at] = len(data)


class Pool:
    """N workers running ``target``, kept alive by the rules in the module docstring.

    Args:
        size: the number of workers (``AWS_LAMBDA_MAX_CONCURRENCY``).
        target: what a worker runs, given its :class:`Worker`; its return (or
            ``SystemExit``) ends the worker with that status.
        lost: called in the parent with the request id a dead worker was serving and how
            the worker ended (``exit status 7``).
    """

    def __init__(self, size: int, target: Target, lost: Lost | None = None) -> None:
        self.size = size
        self.target = target
        self.lost = lost
        self.workers: dict[int, tuple[int, int]] = {}
        """Live workers: pid to the read end of its ready pipe and its ledger slot."""
        self.respawns: list[float] = []
        self.vacant: list[int] = []  # slots of workers that died past the cap, to refill later
        self._filled: set[int] = set()  # slots that had a worker: the next one is a replacement
        self._replacements: set[int] = set()  # pids of replacement workers
        self.stopping = False
        self._mask: set[int] = set()
        self._pdeathsig = _pdeathsig_setter()
        self._ledger = mmap.mmap(-1, size * _SLOT)  # shared: the workers inherit the mapping

    # -- the parent ---------------------------------------------------------------

    def run(self) -> int:
        """Fork the workers; keep the pool until SIGTERM or SIGINT (0) or no worker is left (1)."""
        # An ignored SIGCHLD survives exec and has the kernel reap the workers itself.
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        self._mask = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
        for slot in range(self.size):
            self._spawn(slot)
        while self.workers:
            info = signal.sigtimedwait(_SIGNALS, 1.0)  # the timeout only re-checks the reaping
            if info is not None and info.si_signo != signal.SIGCHLD:
                self._stop()
                return 0
            self._reap()
            while self.workers and self.vacant and self._may_respawn():  # the cap's window moved
                self._spawn(self.vacant.pop())
        _log("FATAL: no runtime worker left")
        return 1

    def _spawn(self, slot: int) -> None:
        self._ledger[slot * _SLOT] = 0
        read_fd, write_fd = os.pipe()
        for stream in (sys.stdout, sys.stderr):  # or the child would write the buffer again
            stream.flush()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            self._child(Worker(write_fd, self._ledger, slot))
        os.close(write_fd)
        os.set_blocking(read_fd, False)  # a process the worker forked may hold the write end
        self.workers[pid] = (read_fd, slot)
        if slot in self._filled:
            self._replacements.add(pid)
        self._filled.add(slot)

    def _serving(self, slot: int) -> str:
        """Return the request id in a dead worker's ledger slot, ``""`` if none."""
        at = slot * _SLOT
        return self._ledger[at + 1 : at + 1 + self._ledger[at]].decode(errors="replace")

    def _reap(self) -> None:
        """Collect every worker that ended; replace those that had finished their init."""
        while self.workers:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                return
            entry = self.workers.pop(pid, None)
            if entry is None:
                continue  # not a worker (the parent starts no other process)
            read_fd, slot = entry
            ready = _was_ready(read_fd)
            replacement = pid in self._replacements
            self._replacements.discard(pid)
            if self.stopping:
                continue
            if not ready and not replacement:
                _log(f"runtime worker {pid} failed its init ({_describe(status)})")
                continue
            if not ready:  # the environment serves on: retried like a crash, within the cap
                _log(f"runtime worker {pid}, a replacement, failed its init ({_describe(status)})")
            request_id = self._serving(slot)
            if request_id and self.lost is not None:
                try:
                    self.lost(request_id, _describe(status))
                except Exception as exc:  # the pool outlives a report that failed
                    _log(f"ERROR: reporting invocation {request_id}: {exc!r}")
            if self._may_respawn():
                _log(f"runtime worker {pid} ended ({_describe(status)}): starting another")
                self._spawn(slot)
            else:
                self.vacant.append(slot)
                _log(
                    f"ERROR: runtime worker {pid} ended ({_describe(status)}); "
                    f"{self.size} were replaced in the last {RESPAWN_WINDOW:.0f} s: "
                    f"serving on with {len(self.workers)} until the window allows another"
                )

    def _may_respawn(self) -> bool:
        now = time.monotonic()
        self.respawns = [t for t in self.respawns if now - t < RESPAWN_WINDOW]
        if self.stopping or len(self.respawns) >= self.size:
            return False
        self.respawns.append(now)
        return True

    def _stop(self) -> None:
        """Forward SIGTERM, wait up to :data:`STOP_GRACE`, SIGKILL the rest, reap all."""
        self.stopping = True
        for pid in self.workers:
            _kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        while self.workers:
            self._reap()
            left = deadline - time.monotonic()
            if not self.workers or left <= 0:
                break
            signal.sigtimedwait({signal.SIGCHLD}, left)
        for pid in self.workers:
            _kill(pid, signal.SIGKILL)
        for pid, (read_fd, _) in self.workers.items():
            os.waitpid(pid, 0)
            os.close(read_fd)
        self.workers.clear()

    # -- a worker -------------------------------------------------------------------

    def _child(self, worker: Worker) -> NoReturn:
        """Run ``target`` in the new process; never return."""
        code = 1
        try:
            for read_fd, _ in self.workers.values():  # the other workers' pipes: the parent's
                os.close(read_fd)
            self.workers.clear()
            if self._pdeathsig is not None:
                self._pdeathsig()
            signal.pthread_sigmask(signal.SIG_SETMASK, self._mask)
            result = self.target(worker)
            code = result if isinstance(result, int) else 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException as exc:  # the last word of a worker
            _log(f"FATAL: runtime worker {os.getpid()}: {exc!r}")
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):  # nothing left to report to
                    stream.flush()
            os._exit(code)


def _was_ready(read_fd: int) -> bool:
    """Whether the worker wrote its ready byte before it ended; closes the pipe."""
    try:
        return os.read(read_fd, 1) == b"r"
    except BlockingIOError:
        return False
    finally:
        os.close(read_fd)


def _kill(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _pdeathsig_setter() -> Callable[[], None] | None:
    """Return what a worker calls to die with its parent (Linux), loaded before any fork."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def set_pdeathsig() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return set_pdeathsig


def run_pool(size: int, target: Target, lost: Lost | None = None) -> NoReturn:
    """Run a :class:`Pool` of ``size`` workers and exit with its status."""
    sys.exit(Pool(size, target, lost).run())
