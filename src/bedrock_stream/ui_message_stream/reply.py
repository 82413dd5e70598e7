"""A whole :class:`~bedrock_stream.bedrock.assembly.Reply` (a buffered call's) as the stream.

A buffered model call (``complete_reply``) has no events to stream; :func:`reply_events`
(:func:`bedrock_stream.bedrock.replay.replay_events`) replays them, so the same encoder
serves buffered and streamed calls, and both kinds can be steps of one UI message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..bedrock.replay import replay_events as reply_events
from .encoder import encode

if TYPE_CHECKING:
    from ..bedrock.assembly import Reply

__all__ = ["encode_reply", "reply_events"]


def encode_reply(reply: Reply, *, message_id: str | None = None) -> bytes:
    """Return the whole UI message stream of one buffered reply, ``[DONE]`` included."""
    return b"".join(encode(reply_events(reply), message_id=message_id))
