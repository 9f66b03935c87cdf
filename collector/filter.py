"""The seed's interval filter: at most one event per stream per interval of event time."""

from __future__ import annotations

from collections.abc import Sequence

from collector.event import ALWAYS_KEPT, Event

DEFAULT_KEY = ("host", "pid", "probe")


class IntervalFilter:
    """Keep a stream's first event, then one whenever ``interval`` seconds of event time have
    passed since the last kept one. ``start``/``end``/``error``/``mark`` always pass, and a
    stream whose clock steps backwards is kept (and restarts its interval) rather than silenced.

    With ``trailing``, the newest suppressed event of a stream is released once its interval
    has closed (see ``expire``), so the latest state is never lost.
    """

    def __init__(
        self, interval: float, key: Sequence[str] = DEFAULT_KEY, *, trailing: bool = False
    ) -> None:
        self.interval = interval
        self.key_fields = tuple(key)
        self.trailing = trailing
        self._last_kept: dict[tuple, float] = {}
        self._held: dict[tuple, Event] = {}
        self.suppressed = 0

    def key(self, event: Event) -> tuple:
        get = event.fields.get
        return tuple(_hashable(get(name)) for name in self.key_fields)

    def offer(self, event: Event) -> list[Event]:
        """The events to dispatch now, in order, because ``event`` arrived."""
        if self.interval <= 0:
            return [event]
        key = self.key(event)
        last = self._last_kept.get(key)
        elapsed = None if last is None else event.time - last
        if event.kind in ALWAYS_KEPT or elapsed is None or elapsed >= self.interval or elapsed < 0:
            self._last_kept[key] = event.time
            self._held.pop(key, None)  # superseded by a newer kept event
            return [event]
        self.suppressed += 1
        if self.trailing:
            self._held[key] = event
        return []

    def expire(self, now: float) -> list[Event]:
        """With ``trailing``: release held events whose interval has closed by ``now``."""
        if not self._held:
            return []
        due = [
            key
            for key, held in self._held.items()
            if now - self._last_kept.get(key, held.time) >= self.interval
        ]
        released = []
        for key in due:
            held = self._held.pop(key)
            self._last_kept[key] = held.time
            self.suppressed -= 1
            released.append(held)
        return released

    def release_all(self) -> list[Event]:
        """Everything still held (at shutdown)."""
        released = list(self._held.values())
        self.suppressed -= len(released)
        self._held.clear()
        return released


def _hashable(value: object) -> object:
    if isinstance(value, (dict, list)):
        return repr(value)
    return value
