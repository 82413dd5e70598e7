"""When to retry a Bedrock call: full-jitter exponential backoff inside a time budget."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """Retries before the first content: full-jitter exponential backoff in a time budget."""

    max_attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 4.0
    budget: float = 20.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rand: Callable[[], float] = random.random

    def delay(self, attempt: int, started: float) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or None to give up."""
        if attempt + 1 >= self.max_attempts:
            return None
        delay = float(self.rand()) * min(self.max_delay, self.base_delay * 2.0**attempt)
        if self.clock() - started + delay > self.budget:
            return None
        return delay
