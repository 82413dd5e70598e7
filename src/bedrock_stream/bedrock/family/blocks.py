"""Block numbering for wires that number no content blocks (OpenAI-style chat, Cohere, R1).

Blocks are numbered in the order they begin, as ConverseStream numbers the same models'
blocks: a reply of text alone is block 0; reasoning first, then text, gives 0 and 1; tool
call ``k`` of a reply gets the next number when its first fragment comes. Such a wire says
when the reply ends, not when a block does, so every block stops at the end.
"""

from __future__ import annotations

from collections.abc import Hashable

from ..events import BlockStop

__all__ = ["Blocks"]


class Blocks:
    """The block numbers of one reply, by key (``"text"``, ``"reasoning"``, ``("tool", k)``)."""

    __slots__ = ("_numbers",)

    def __init__(self) -> None:
        self._numbers: dict[Hashable, int] = {}

    def index(self, key: Hashable) -> int:
        """Return the number of block ``key``, numbering it next if it is new."""
        number = self._numbers.get(key)
        if number is None:
            number = self._numbers[key] = len(self._numbers)
        return number

    def started(self, key: Hashable) -> bool:
        """Say whether block ``key`` has begun."""
        return key in self._numbers

    def stop_all(self) -> list[BlockStop]:
        """Return a stop for every block begun, in order, and forget them."""
        stops = [BlockStop(number) for number in self._numbers.values()]
        self._numbers.clear()
        return stops
