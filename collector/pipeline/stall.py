"""One watch thread over every sink's runner: it reports a call into a sink that has not
returned, and moves the queue of a sink stuck in a call (or down) to its spool.

A worker thread stuck in a plugin's ``open`` or ``write`` cannot be interrupted, and it only
holds up its own sink; what the user needs is to be told, and the events kept safe meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from typing import Protocol

log = logging.getLogger("collector")

DEFAULT_STALL_AFTER = 30.0
#: How often the watch looks at every runner.
PERIOD = 0.05


class Watched(Protocol):
    def check(self, now: float) -> None:
        """Report a stalled call, relieve a queue that is over its mark."""


class _Watch:
    """A daemon thread, started on first use, calling ``check`` on every runner given."""

    def __init__(self) -> None:
        self._runners: weakref.WeakSet[Watched] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._nudged = threading.Event()

    def add(self, runner: Watched) -> None:
        with self._lock:
            self._runners.add(runner)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sink-watch", daemon=True)
                self._thread.start()

    def discard(self, runner: Watched) -> None:
        with self._lock:
            self._runners.discard(runner)

    def nudge(self) -> None:
        """Look now rather than at the next period (a queue went over its mark)."""
        self._nudged.set()

    def _run(self) -> None:
        while True:
            with self._lock:
                runners = list(self._runners)
            now = time.monotonic()
            for runner in runners:
                try:
                    runner.check(now)
                except Exception as exc:  # a runner's trouble is its own; the watch goes on
                    log.error("sink watch: checking %r failed: %r", runner, exc)
            del runners
            self._nudged.wait(PERIOD)
            self._nudged.clear()


watch = _Watch()
