"""The collector's view of one received message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Event kinds that the interval filter always keeps.
ALWAYS_KEPT = frozenset({"start", "end", "error", "mark", "run"})


@dataclass(slots=True)
class Event:
    """A decoded event: ``fields`` is the JSON object sinks receive, ``time`` its POSIX time."""

    fields: dict[str, Any]
    time: float


@dataclass(slots=True)
class Rejected:
    """A message that could not be read, with the reason and the raw bytes."""

    reason: str
    raw: bytes
