"""A sink wrapped so that a hung call is reported, once, naming the plugin it comes from.

A worker thread stuck in a plugin's ``open`` or ``write`` cannot be interrupted, and it only
holds up its own sink; what the user needs is to be told. One watchdog thread looks at every
guarded sink and reports a call that has not returned after ``stall_after`` seconds.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from collector.redact import redacted
from collector.sinks import Sink

log = logging.getLogger("collector")

DEFAULT_STALL_AFTER = 30.0


class GuardedSink(Sink):
    """Forwards every call to ``inner``, remembering which call is running since when."""

    def __init__(self, inner: Sink, origin: str, stall_after: float | None = None) -> None:
        super().__init__(inner.spec)
        self.inner = inner
        self.origin = origin
        self.stall_after = DEFAULT_STALL_AFTER if stall_after is None else stall_after
        self._running: tuple[str, float] | None = None
        self._stall_reported = False
        if self.stall_after > 0:
            _watchdog.watch(self)

    def open(self) -> None:
        self._call("open", self.inner.open)

    def write(self, events: list[dict[str, Any]]) -> None:
        self._call("write", self.inner.write, events)

    def flush(self) -> None:
        self._call("flush", self.inner.flush)

    def close(self) -> None:
        self._call("close", self.inner.close)

    def __getattr__(self, name: str) -> Any:
        """Anything else a sink offers (its path, its client) is the inner sink's."""
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def _call(self, what: str, method: Callable[..., None], *args: Any) -> None:
        self._running = (what, time.monotonic())
        try:
            method(*args)
        finally:
            self._running = None

    def check_stalled(self, now: float) -> None:
        """Report (once per sink) a call running for longer than ``stall_after`` seconds."""
        running = self._running
        if running is None or self._stall_reported:
            return
        what, since = running
        if now - since >= self.stall_after:
            self._stall_reported = True
            log.error(
                "sink %r (%s) has not returned from %s() for %.0f s; "
                "its events wait in its own queue, other sinks are not held up",
                redacted(self.spec.text),
                self.origin,
                what,
                now - since,
            )


class _Watchdog:
    """One daemon thread, started on first use, checking every guarded sink it was given."""

    def __init__(self) -> None:
        self._sinks: weakref.WeakSet[GuardedSink] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, sink: GuardedSink) -> None:
        with self._lock:
            self._sinks.add(sink)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sink-watchdog", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                sinks = list(self._sinks)
            now = time.monotonic()
            for sink in sinks:
                sink.check_stalled(now)
            del sinks
            time.sleep(0.25)


_watchdog = _Watchdog()
