"""A whole :class:`~.assembly.Reply` (a buffered call's), replayed as the events a stream carries.

A buffered call (``complete_reply``) has no events to stream. :func:`replay_events` gives
the ones a stream of the same reply would: its message's blocks through the Converse
response mapper and the assembler (so tool calls come as ``ToolUseStart``, one
``ToolInputDelta``, ``BlockStop`` and the derived ``ToolCall``), its citations, its stop,
then what ends a reply (usage, metrics, trace, latency mode, service tier). So one
encoder serves buffered and streamed calls alike. Citations keep the block index the
wire gave them, which may differ from their block's position in ``message``.
"""

from __future__ import annotations

from collections.abc import Iterator

from .assembly import Reply, ReplyAssembler
from .converse import converse_response_events
from .events import Event, PerformanceConfig, ServiceTier, Stop

__all__ = ["replay_events"]


def replay_events(reply: Reply) -> Iterator[Event]:
    """Yield the events a stream of ``reply`` carries, in a stream's order."""
    assembler = ReplyAssembler()
    for event in converse_response_events({"output": {"message": reply.message}}):
        if isinstance(event, Stop):  # the mapper's stop has no reason: the reply's own
            break
        yield from assembler.feed(event)
    yield from reply.citations
    if reply.stop is not None:
        yield from assembler.feed(reply.stop)
    yield from (e for e in (reply.usage, reply.metrics, reply.trace) if e is not None)
    if reply.latency is not None:
        yield PerformanceConfig(reply.latency)
    if reply.service_tier is not None:
        yield ServiceTier(reply.service_tier)
