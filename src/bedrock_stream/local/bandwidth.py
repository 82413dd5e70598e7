"""Bandwidth shaping like AWS's: a burst delivered at full speed, then a steady rate.

Lambda shapes a streamed response (6 MiB, then 2 MiB/s) and API Gateway shapes a
STREAM route (10 MB, then 2 MB/s). Both are modelled as a token bucket refilled every
125 ms, as Lambda's emulator (RAPID) does.
"""

from __future__ import annotations

import time
from typing import NamedTuple

__all__ = ["API_GATEWAY", "LAMBDA", "Bandwidth", "TokenBucket"]


class Bandwidth(NamedTuple):
    """``burst`` bytes uncapped, then ``rate`` bytes per second."""

    burst: int = 6 * 1024 * 1024
    rate: int = 2 * 1024 * 1024


LAMBDA = Bandwidth(6 * 1024 * 1024, 2 * 1024 * 1024)
"""Lambda's documented shaping of a streamed response."""
API_GATEWAY = Bandwidth(10_000_000, 2_000_000)
"""API Gateway's documented shaping of a STREAM route."""


class TokenBucket:
    """Blocks :meth:`take` until the shaping allows that many more bytes."""

    TICK = 0.125

    def __init__(self, shape: Bandwidth) -> None:
        self.capacity = shape.burst
        self.tokens = float(shape.burst)
        self.per_tick = shape.rate * self.TICK
        self.last = time.monotonic()

    def take(self, n: int) -> None:
        """Wait until ``n`` bytes may pass."""
        while n > 0:
            now = time.monotonic()
            ticks = int((now - self.last) / self.TICK)
            if ticks:
                self.tokens = min(self.capacity, self.tokens + ticks * self.per_tick)
                self.last += ticks * self.TICK
            step = min(n, int(self.tokens))
            if step > 0:
                self.tokens -= step
                n -= step
            else:
                time.sleep(self.last + self.TICK - now)
