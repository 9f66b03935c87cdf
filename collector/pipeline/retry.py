"""When to try a failing sink again: exponential backoff with jitter."""

from __future__ import annotations

import random
import time


class Backoff:
    """Exponential backoff with jitter (``initial`` doubling up to ``ceiling`` seconds), and how
    long the failures have lasted."""

    def __init__(self, initial: float, ceiling: float) -> None:
        self.delay = initial
        self.ceiling = ceiling
        self.started = time.monotonic()

    def failing_for(self) -> float:
        """Seconds since the first failure."""
        return time.monotonic() - self.started

    def next_delay(self) -> float:
        """The next wait: the current delay, jittered by +-50%; the delay then doubles."""
        delay = self.delay * (0.5 + random.random())
        self.delay = min(self.delay * 2, self.ceiling)
        return delay
