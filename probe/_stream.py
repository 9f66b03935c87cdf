"""One stream of progress: its counters, its throttle, and the events it sends.

The hot paths (``iterate``, ``Progress.update``, ``track``'s wrappers) only add to a counter and
compare it with ``next_check``; ``checkpoint`` reads the clock and adapts the stride so that the
clock is read a few times per interval, whatever the loop's speed. A new stream's
``next_check`` is 0, so the first comparison calls ``checkpoint``, which sends ``start``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from collections.abc import Callable, Generator
from threading import RLock
from time import perf_counter
from typing import Any
from weakref import WeakSet

from probe import _settings
from probe._transport import Transport
from probe._wire import safe_repr
from probe.protocol import PROTOCOL_VERSION, RUN_STREAM, utc_timestamp

HOST = socket.gethostname()
transport = Transport(_settings.settings)

#: True where this interpreter runs without the GIL (decided once, at import: the GIL may be
#: switched on later, by an extension that needs it, never off). See ``_locked``.
FREE_THREADED = not getattr(sys, "_is_gil_enabled", lambda: True)()

_open_streams: set[Stream] = set()
_locked_streams: WeakSet[Stream] = WeakSet()  # their locks are made afresh in a forked child
_resettable: WeakSet[Stream] = WeakSet()
_run_due = _settings.starts_run  # this process describes the run, and has not yet done so


class Stream:
    """The state of one named progress stream in this process."""

    __slots__ = (
        "__weakref__",
        "_check_n",
        "_check_time",
        "_data",
        "_last_n",
        "_last_time",
        "_lock",
        "_min_interval",
        "_next_check",
        "_owner",
        "_pending",
        "_stride",
        "_t0",
        "n",
        "name",
        "total",
        "unit",
    )

    def __init__(
        self,
        name: str,
        total: int | float | None = None,
        fields: dict | None = None,
        unit: str | None = "it",
        min_interval: float | None = None,
    ):
        """``unit`` names what ``n`` counts; ``min_interval`` (seconds between two
        ``progress`` events) overrides the probe's setting for this stream."""
        self.name = name
        self.total = total
        self.unit = unit
        self._data = fields or None
        self._min_interval = min_interval
        self._owner: Callable[[], Generator | None] | None = None
        self._lock: RLock | None = None  # the counting paths' lock, without the GIL only
        if FREE_THREADED:  # reentrant: a signal handler may count while its thread holds it
            self._lock = RLock()
            _locked_streams.add(self)
        self._reset()

    def _reset(self) -> None:
        self.n = 0
        self._pending = True
        self._next_check = 0
        self._stride = 1
        self._t0 = self._last_time = self._check_time = perf_counter()
        self._last_n = self._check_n = 0

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Send ``start`` and register for the ``end`` at exit."""
        self._pending = False
        self._t0 = self._last_time = self._check_time = perf_counter()
        self._check_n = self.n
        self._next_check = self.n + 1
        _open_streams.add(self)
        self._send("start", self.n, self._t0)

    def checkpoint(self) -> int:
        """Called every ``stride`` units: send ``start`` if still pending, else ``progress``
        if the interval passed. Returns the count at which to call again."""
        n = self.n
        if self._pending:
            self.start()
            return n + 1
        now = perf_counter()
        min_interval = self._min_interval
        if min_interval is None:
            min_interval = _settings.settings.min_interval
        if now - self._last_time >= min_interval:
            self._send("progress", n, now)
        dt = now - self._check_time
        if dt > 0:
            wanted = int((n - self._check_n) / dt * min_interval * 0.25)
            self._stride = max(1, min(wanted, 2 * self._stride))
        self._check_time, self._check_n = now, n
        return n + self._stride

    def check(self) -> None:
        """Send ``start`` or ``progress`` if the count has reached ``next_check``."""
        if self.n >= self._next_check:
            self._next_check = self.checkpoint()

    def add_unit(self) -> None:
        """One unit done: count it, then end the span at the total, else check the
        throttle. Neither this nor ``check`` locks: ``_locked`` calls both under the
        stream's lock, for CPython without the GIL."""
        n = self.n = self.n + 1
        if self.total is not None and n >= self.total:
            self.complete()
        elif n >= self._next_check:
            self._next_check = self.checkpoint()

    def finish(self) -> None:
        """Send ``end`` with the totals."""
        _open_streams.discard(self)
        self._send("end", self.n, perf_counter())

    def complete(self) -> None:
        """The total is reached: send ``end``; the next unit starts the stream again."""
        self.finish()
        self._reset()

    def fail(self, exc: BaseException, *, final: bool = True) -> None:
        """Send ``error`` describing ``exc``; ``final`` closes the stream."""
        if self._pending:
            self.start()
        if final:
            _open_streams.discard(self)
        try:
            message = str(exc)
        except Exception:
            message = safe_repr(exc)
        error = {"type": type(exc).__qualname__, "message": message}
        self._send("error", self.n, perf_counter(), error=error)

    def mark(self, n: int, fields: dict[str, Any]) -> None:
        """Send a one-off ``mark`` event, the ``n``-th of this stream, carrying ``fields``."""
        self._send("mark", n, perf_counter(), data=fields)

    # -- sending ---------------------------------------------------------------------------
    def _send(self, kind: str, n: int, now: float, **extra: Any) -> None:
        settings = _settings.settings
        if not settings.enabled:
            return
        if _run_due:
            _describe_run()
        try:
            dt = now - self._last_time
            rate = (n - self._last_n) / dt if dt > 0 and kind == "progress" else None
            if kind != "mark":
                self._last_time, self._last_n = now, n
            event = {
                "v": PROTOCOL_VERSION,
                "timestamp": utc_timestamp(),
                "probe": self.name,
                "event": kind,
                "n": n,
                "total": self.total,
                "unit": self.unit,
                "elapsed": round(now - self._t0, 6),
                "rate": rate,
                "host": HOST,
                "pid": os.getpid(),
                "run": settings.run,
            }
            if self._data and "data" not in extra:
                event["data"] = self._data
            event.update(extra)
            transport.send(event)
        except Exception as exc:  # the probe never raises into the program it observes
            transport.count_drop()
            transport.warn_once(f"cannot send {kind!r} on {self.name!r}: {exc!r}")


_run_stream = Stream(RUN_STREAM, unit=None)


def describe_run_again() -> None:
    """Send the ``run`` event (again) before the next event: the labels or the run changed."""
    global _run_due
    _run_due = True


def _describe_run() -> None:
    """Send the ``run`` event that says what this run is; once, before any other event."""
    global _run_due
    _run_due = False
    try:
        from probe._runinfo import describe

        info = describe(_settings.settings.labels)
    except Exception as exc:  # never into the program: the run is described without it
        info = {"phase": "start", "error": safe_repr(exc)}
    _run_stream._send("run", 0, perf_counter(), info=info)


def resettable(stream: Stream) -> Stream:
    """Remember a long-lived stream so that a forked child starts it afresh."""
    _resettable.add(stream)
    return stream


def finish_open_streams() -> None:
    """Send ``end`` for every stream still open (at exit).

    A stream counted inside a generator (``iterate``) is ended by closing that generator, whose
    own count is exact; a generator that is running (we are in a signal handler inside its
    loop) cannot be closed, and its stream ends with the count of its last checkpoint."""
    for stream in list(_open_streams):
        generator = stream._owner() if stream._owner is not None else None
        if generator is not None:
            with contextlib.suppress(Exception):
                generator.close()
        if stream in _open_streams:
            stream.finish()


def _after_fork_in_child() -> None:
    global _run_due
    _run_due = False  # a forked child joins its parent's run
    transport.forget_after_fork()
    _open_streams.clear()
    for stream in list(_locked_streams):  # a thread of the parent may have held one
        stream._lock._at_fork_reinit()  # type: ignore[union-attr]
    for stream in list(_resettable):
        stream._reset()


os.register_at_fork(after_in_child=_after_fork_in_child)
