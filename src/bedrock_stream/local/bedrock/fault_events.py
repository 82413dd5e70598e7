"""When a mid-stream fault fires: after a count of output tokens, or after the Nth event of a kind.

The server counts what it has sent, frame by frame, and asks :func:`fires` before each
next frame; :func:`trigger` reads a spec's ``event`` and ``nth`` options (no I/O).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .faults import MidStreamFault

__all__ = ["EVENT_KINDS", "fires", "stop_events", "trigger"]

EVENT_KINDS = (
    "message-start",
    "text",
    "reasoning",
    "signature",
    "citation",
    "tool-start",
    "tool-input",
    "block-stop",
    "message-stop",
    "metadata",
)
"""The kinds of event a fault can follow (``event=``): ConverseStream's every event (``text``,
``reasoning`` and ``tool-input`` deltas, ``signature`` and ``citation`` deltas,
``tool-start`` for a tool use's ``contentBlockStart``, ...); on invoke streams the chunks of
``text``, ``reasoning``, ``signature``, ``tool-start`` and ``tool-input``."""


_CONTENT = frozenset({"signature", "citation", "tool-start"})
"""Content frames that carry no tokens."""


def stop_events(frames: Sequence[tuple[int, str]]) -> int:
    """Return the index of the first stop event of ``frames`` (their tokens and kinds).

    The stop events follow the last frame with tokens or content (a signature, a citation,
    a tool use's start).
    """
    content = [i for i, (tokens, kind) in enumerate(frames) if tokens or kind in _CONTENT]
    return max(content, default=-1) + 1


def fires(
    fault: MidStreamFault,
    *,
    sent: int,
    seen: Mapping[str, int],
    tokens: int,
    at_end: bool,
    done: bool = False,
) -> bool:
    """Whether ``fault`` fires before the next frame.

    ``sent``: output tokens sent; ``seen``: events sent per kind; ``tokens``: the next frame's
    tokens; ``at_end``: the next frame is a stop event; ``done``: every frame was sent. A
    token count fires at a text frame at or past it, or before the stop events; an event kind
    right after its ``nth`` event, or after the last frame if the stream has fewer.
    """
    if fault.event is None:
        return at_end or (tokens > 0 and sent >= fault.after_tokens)
    return done or seen.get(fault.event, 0) >= fault.nth


def trigger(options: dict[str, str], kind: str) -> tuple[str | None, int]:
    """Pop ``event`` and ``nth`` from a spec's options (only the mid-stream kinds take them)."""
    if "event" not in options:
        if "nth" in options:
            raise ValueError("nth needs event")
        return None, 1
    if kind not in ("exception", "stall", "truncate", "disconnect"):
        raise ValueError(f"a {kind} fault takes no event")
    if "after" in options:
        raise ValueError("give after or event, not both")
    event = options.pop("event")
    if event not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {event!r}; expected one of {', '.join(EVENT_KINDS)}")
    nth = int(options.pop("nth", "1"))
    if nth < 1:
        raise ValueError("nth must be at least 1")
    return event, nth
