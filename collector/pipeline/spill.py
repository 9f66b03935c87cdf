"""A sink's way to its disk spool: events moved out of memory, put back in front, read back.

It counts what it spooled and what it could not keep, and says "cannot spool" once per spell:
the first failure is logged, the next ones only counted, until a spool write works again.
Not thread-safe: the sink's runner serializes every call under its lock.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

from collector.pipeline.spool import Spool

log = logging.getLogger("collector")

Events = list[dict[str, Any]]


class Spill:
    """The spool of the sink named ``name``, with ``batch_size`` events per spooled record."""

    def __init__(self, spool: Spool, name: str, batch_size: int) -> None:
        self.spool = spool
        self.name = name
        self.batch_size = batch_size
        self.carried = spool.events  # left by an earlier run
        self.spooled = 0
        self.unkept = 0  # events that could not be spooled and are gone
        self.failing = False  # within a spell of failed spool writes

    @property
    def events(self) -> int:
        """Events waiting in the spool."""
        return self.spool.events

    @property
    def lost(self) -> int:
        """Events gone for good: not spooled, dropped to stay in bounds, or found damaged."""
        return self.unkept + self.spool.lost

    def append(self, events: Events, sync: bool) -> bool:
        """Spool ``events`` behind everything (fsynced now, or with ``sync=False`` when the
        segment fills). On failure they are lost, counted and reported; False then."""
        if not events:
            return True
        size = self.batch_size
        batches = [events[i : i + size] for i in range(0, len(events), size)]
        try:
            self.spool.append(batches, sync)
        except OSError as exc:
            return self._unkept(len(events), exc)
        except Exception as exc:  # an event the spool cannot encode: keep the others
            kept = [event for event in events if _encodes(event)]
            if len(kept) == len(events):
                return self._unkept(len(events), exc)
            self._unkept(len(events) - len(kept), exc)
            self.append(kept, sync)
            return False
        self._worked(len(events))
        return True

    def put_back(self, events: Events) -> bool:
        """Spool ``events`` in front of everything, durably; False (reported, nothing
        counted: the caller still holds them) if that fails."""
        if not events:
            return True
        try:
            self.spool.prepend(events)
        except Exception as exc:
            self._failed(exc)
            return False
        self._worked(len(events))
        return True

    def head(self) -> Events | None:
        """The oldest spooled batch (left in place until ``pop_head``), or None."""
        if not self.spool.events:
            return None
        try:
            return self.spool.head()
        except Exception as exc:
            self._failed(exc, "cannot read its spool")
            return None

    def pop_head(self) -> None:
        """The batch ``head`` returned is delivered."""
        try:
            self.spool.pop_head()
        except OSError as exc:  # the cursor: at worst the next run replays this batch again
            self._failed(exc, "cannot record its spool's progress")

    def close(self) -> None:
        try:
            self.spool.close()
        except OSError as exc:
            log.error("sink %r: cannot close its spool: %r", self.name, exc)

    def _unkept(self, count: int, exc: Exception) -> bool:
        self.unkept += count
        self._failed(exc, f"cannot spool {count} events, they are lost")
        return False

    def _failed(self, exc: Exception, what: str = "cannot spool") -> None:
        if not self.failing:
            self.failing = True
            log.error("sink %r: %s: %r (further failures are only counted)", self.name, what, exc)

    def _worked(self, count: int) -> None:
        self.spooled += count
        if self.failing:
            self.failing = False
            log.warning("sink %r: spooling works again", self.name)


def _encodes(event: dict[str, Any]) -> bool:
    try:
        orjson.dumps(event, default=str)
    except Exception:
        return False
    return True
