"""One watch thread over every sink's runner: it reports a call into a sink that has not
returned (``SinkCalls``), and moves the queue of a sink stuck in a call (or down) to its spool.

A worker thread stuck in a plugin's ``open`` or ``write`` cannot be interrupted, and it only
holds up its own sink; what the user needs is to be told, and the events kept safe meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger("collector")

DEFAULT_STALL_AFTER = 30.0
#: How often the watch looks at every runner.
PERIOD = 0.05


class SinkCalls:
    """The call a worker is making into the sink named ``name``, and since when: a call that
    has not returned after ``stall_after`` seconds (0: never) is reported, once per sink,
    naming the plugin it comes from (``origin``)."""

    def __init__(self, name: str, origin: str, stall_after: float | None = None) -> None:
        self.name = name
        self.origin = origin
        self.stall_after = DEFAULT_STALL_AFTER if stall_after is None else stall_after
        self._running: tuple[str, float] | None = None
        self._reported = False

    def run(self, what: str, method: Callable[..., None], *args: Any) -> None:
        """``method(*args)``, the ``what`` call into the sink, timed."""
        self._running = (what, time.monotonic())
        try:
            method(*args)
        finally:
            self._running = None

    def check(self, now: float) -> None:
        """Report the running call if it has run for ``stall_after`` seconds by ``now``."""
        running = self._running
        if running is None or self._reported or self.stall_after <= 0:
            return
        what, since = running
        if now - since >= self.stall_after:
            self._reported = True
            log.error(
                "sink %r (%s) has not returned from %s() for %.0f s; "
                "its events wait in its own queue, other sinks are not held up",
                self.name,
                self.origin,
                what,
                now - since,
            )


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
