"""A sink's queue in memory: appended to by the receive loop, taken in batches by its worker."""

from __future__ import annotations

import collections
import threading
from typing import Any

Events = list[dict[str, Any]]


class BatchQueue:
    """Events waiting for one sink, oldest first, at most ``limit`` of them.

    ``offer_many`` never takes a lock, waits or touches the disk: a deque's appends and pops
    are atomic, and only the receive loop appends. ``wake`` is set when a full batch is ready
    or more than ``high_water`` events wait, so the worker need not poll for those."""

    def __init__(
        self,
        batch_size: int,
        max_delay: float,
        high_water: int,
        limit: int,
        wake: threading.Event,
    ) -> None:
        self.batch_size = batch_size
        self.max_delay = max_delay
        self.high_water = high_water
        self.limit = limit
        self.wake = wake
        self.offered = 0  # changed by the receive loop only
        self.dropped = 0  # likewise: offered past ``limit``
        self._events: collections.deque[dict[str, Any]] = collections.deque()
        self._oldest_since: float | None = None  # when the oldest waiting event was seen

    def __len__(self) -> int:
        return len(self._events)

    def offer_many(self, events: Events) -> int:
        """Append ``events`` in order; returns how many did not fit (dropped, counted)."""
        queue = self._events
        waiting = len(queue)
        room = self.limit - waiting
        count = len(events)
        self.offered += count
        if room >= count:
            queue.extend(events)
            dropped = 0
        else:
            queue.extend(events[: max(0, room)])
            dropped = count - max(0, room)
            self.dropped += dropped
        total = waiting + count
        if waiting < self.batch_size <= total or total > self.high_water:
            self.wake.set()
        return dropped

    def take_batch(self, now: float, flush: bool = False) -> Events | None:
        """A full batch; fewer events once the oldest has waited ``max_delay`` seconds (``now``
        is ``time.monotonic()``) or with ``flush``; None if nothing is due yet."""
        queue = self._events
        if not queue:
            self._oldest_since = None
            return None
        if self._oldest_since is None:
            self._oldest_since = now
        due = flush or now - self._oldest_since >= self.max_delay
        if len(queue) < self.batch_size and not due:
            return None
        popleft = queue.popleft
        batch = [popleft() for _ in range(min(len(queue), self.batch_size))]
        self._oldest_since = now if queue else None
        return batch

    def take_all(self, keep: int = 0) -> Events:
        """Every waiting event but the newest ``keep``, oldest first."""
        queue = self._events
        popleft = queue.popleft
        events = [popleft() for _ in range(max(0, len(queue) - keep))]
        if not queue:
            self._oldest_since = None
        return events

    def next_due(self, now: float) -> float:
        """Seconds until a partial batch is due (``max_delay`` when nothing waits)."""
        since = self._oldest_since
        if since is None or not self._events:
            return self.max_delay
        return max(0.0, since + self.max_delay - now)
