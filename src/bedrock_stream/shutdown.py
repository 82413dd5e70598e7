"""Work to do when Lambda stops the process: the seam between the code that has it and the host.

Lambda sends the runtime SIGTERM when it shuts an execution environment down (only when an
extension is registered). A host that serves invocations and takes SIGTERM itself
(bedrock-stream's runtime) calls :func:`attach_host` before the handler's module is
imported, then :func:`run_shutdown` once no invocation is in progress: after the one
running has been reported, or at once when idle; then it ends the process. Code with work
to do then (the ASGI adapter's lifespan shutdown) registers it with :func:`at_shutdown`;
where no host has attached, that returns False and the code takes SIGTERM itself.

:func:`attach_host` and :func:`run_shutdown` are for a host; a function's code calls only
:func:`at_shutdown`.

Invariants:

* Each callback runs at most once, the last registered first, in the main thread.
* A callback that raises (even ``SystemExit``) is reported to the host and the next one
  still runs: the host ends the process as it meant to.
* A forked child starts with no host and no callbacks: the parent's work is the parent's.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # the runtime's cold path imports this module: keep typing out of it
if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["at_shutdown", "attach_host", "run_shutdown"]

_callbacks: list[Callable[[], object]] | None = None
"""What to run at shutdown, once a host has attached; None before."""


def attach_host() -> None:
    """Say that this process's host runs :func:`run_shutdown` when it is stopped."""
    global _callbacks
    if _callbacks is None:
        _callbacks = []


def at_shutdown(callback: Callable[[], object]) -> bool:
    """Have the host call ``callback`` when it stops the process; False if there is no host."""
    if _callbacks is None:
        return False
    _callbacks.append(callback)
    return True


def run_shutdown(failed: Callable[[BaseException], None]) -> None:
    """Run (and forget) every callback, the last registered first; ``failed`` gets what raises."""
    while _callbacks:
        callback = _callbacks.pop()
        try:
            callback()
        except BaseException as exc:  # the process is ending: nothing may stop that
            failed(exc)


def _forget() -> None:
    global _callbacks
    _callbacks = None


os.register_at_fork(after_in_child=_forget)
