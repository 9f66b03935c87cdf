"""The interval filter: at most one event per stream per interval of event time."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

from collector.pipeline.event import ALWAYS_KEPT

DEFAULT_KEY = ("host", "pid", "probe")

Fields = dict[str, Any]


class IntervalFilter:
    """Keep a stream's first event, then one whenever ``interval`` seconds of *event time* have
    passed since the last kept one. ``start``/``end``/``error``/``mark``/``run`` always pass.
    An event earlier than the last kept one (a clock stepped back) is kept and restarts the
    interval, so such a stream is never silenced. ``interval <= 0`` keeps everything.

    With ``trailing``, the newest suppressed event of a stream is held and released when the
    stream's interval closes on the *collector's* clock: ``interval`` seconds after the last
    kept event arrived (``now`` is ``time.monotonic()``; event clocks are never compared with
    the collector's). A newer kept event supersedes it. ``suppressed`` counts what is
    suppressed now: a held event that is released later is moved back to kept.
    """

    def __init__(
        self, interval: float, key: Sequence[str] = DEFAULT_KEY, *, trailing: bool = False
    ) -> None:
        if not key:
            raise ValueError("the stream key needs at least one field")
        self.interval = interval
        self.key_fields = tuple(key)
        self.trailing = trailing and interval > 0
        self._all_keys = operator.itemgetter(*self.key_fields)
        self._some_keys = _key_function(self.key_fields)
        self.suppressed = 0
        self._last_time: dict[Any, float] = {}  # event time of the last kept event
        self._kept_at: dict[Any, float] = {}  # collector time it arrived (or was released)
        self._held: dict[Any, tuple[Fields, float]] = {}

    def select(self, fields: list[Fields], times: list[float], now: float) -> list[Fields]:
        """The events to dispatch now, in order, from a batch that arrived at ``now``."""
        if self.interval <= 0:
            return fields
        interval, trailing = self.interval, self.trailing
        last_time, kept_at, held = self._last_time, self._kept_at, self._held
        last_of = last_time.get
        kept: list[Fields] = []
        keep = kept.append
        suppressed = 0
        for event, time, key in zip(fields, times, self._keys(fields), strict=True):
            try:
                last = last_of(key)
            except TypeError:  # a list or an object in a key field
                key = _hashable(key)
                last = last_of(key)
            if trailing and key in held and now - kept_at[key] >= interval:
                released, last = held.pop(key)
                keep(released)
                suppressed -= 1
                last_time[key] = last
                kept_at[key] = now
            if last is not None:
                elapsed = time - last
                if 0 <= elapsed < interval:
                    kind = event.get("event")
                    if kind.__class__ is not str or kind not in ALWAYS_KEPT:
                        suppressed += 1
                        if trailing:
                            held[key] = (event, time)
                        continue
            keep(event)
            last_time[key] = time
            kept_at[key] = now
            if trailing and key in held:
                del held[key]  # superseded by a newer kept event
        self.suppressed += suppressed
        return kept

    def _keys(self, events: list[Fields]) -> list[Any]:
        """The keys of a batch: at C speed when every event has every key field."""
        try:
            return list(map(self._all_keys, events))
        except KeyError:
            return list(map(self._some_keys, events))

    def expire(self, now: float) -> list[Fields]:
        """With ``trailing``: release held events whose interval has closed by ``now``."""
        if not self._held:
            return []
        interval, kept_at = self.interval, self._kept_at
        due = [key for key in self._held if now - kept_at[key] >= interval]
        released = []
        for key in due:
            event, time = self._held.pop(key)
            self._last_time[key] = time
            kept_at[key] = now
            released.append(event)
        self.suppressed -= len(released)
        return released

    def next_expiry(self) -> float | None:
        """The collector time when the next held event is due, if any is held."""
        if not self._held:
            return None
        return min(self._kept_at[key] for key in self._held) + self.interval

    def release_all(self) -> list[Fields]:
        """Everything still held (at shutdown)."""
        released = [event for event, _ in self._held.values()]
        self.suppressed -= len(released)
        self._held.clear()
        return released

    def forget_idle(self, now: float, idle: float) -> int:
        """Forget streams with nothing kept for ``idle`` seconds (and nothing held), so a
        collector that outlives many processes stays small. Returns how many were forgotten.

        A forgotten stream's next event is kept as its first, which the interval would have
        kept anyway unless its clock stepped back."""
        stale = [
            key for key, at in self._kept_at.items() if now - at >= idle and key not in self._held
        ]
        for key in stale:
            del self._kept_at[key]
            del self._last_time[key]
        return len(stale)


def _key_function(names: tuple[str, ...]) -> Callable[[Fields], Any]:
    """Like ``operator.itemgetter(*names)``, with null for a missing field."""
    if len(names) == 1:
        (name,) = names
        return lambda event: event.get(name)
    return lambda event: tuple(map(event.get, names))


def _hashable(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_hashable(item) for item in value)
    if isinstance(value, (dict, list)):
        return repr(value)
    return value
