"""One event loop per thread, kept for the life of the process.

Lambda reuses the process between invocations, so module-level async clients
(aiobotocore sessions, httpx clients) created by one invocation must find the
same loop in the next. ``asyncio.run`` would close the loop after every call;
this module keeps it. asyncio is imported here, on first use only.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import asyncio

T = TypeVar("T")

_local = threading.local()


def event_loop() -> asyncio.AbstractEventLoop:
    """Return this thread's long-lived event loop, creating it on first use."""
    loop: asyncio.AbstractEventLoop | None = getattr(_local, "loop", None)
    if loop is None or loop.is_closed():
        import asyncio

        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        _local.loop = loop
    return loop


def loop_running() -> bool:
    """Whether an event loop runs in this thread: this module's, or another's."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def run(awaitable: Awaitable[T]) -> T:
    """Run ``awaitable`` to completion on this thread's long-lived loop."""
    import asyncio

    loop = event_loop()
    if loop.is_running():  # before a task exists: nothing of ``awaitable`` runs
        if asyncio.iscoroutine(awaitable):
            awaitable.close()
        raise RuntimeError("this thread's event loop is already running")
    return loop.run_until_complete(asyncio.ensure_future(awaitable, loop=loop))
