"""Sequence numbers for events that come without one, so every event has an identity."""

from __future__ import annotations

import operator
import time
from typing import Any

_seq = operator.itemgetter("seq")


class SequenceNumbers:
    """Gives an event without ``seq`` (or with a null one) the next number of a counter that
    starts at the collector's start time in microseconds: numbers from one collector never
    repeat those of an earlier one on the same clock, since fewer than a million events a
    second arrive."""

    def __init__(self, start: int | None = None) -> None:
        self.next = time.time_ns() // 1000 if start is None else start

    def assign(self, events: list[dict[str, Any]]) -> None:
        """Number, in place, the events of ``events`` that have no ``seq``."""
        try:
            if None not in map(_seq, events):
                return
        except KeyError:
            pass
        number = self.next
        for event in events:
            if event.get("seq") is None:
                event["seq"] = number
                number += 1
        self.next = number
