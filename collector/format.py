"""Numbers from events: read safely, and written as people read them (the live view, the
history commands, alerts)."""

from __future__ import annotations

import math
from typing import Any


def finite_number(value: Any) -> int | float | None:
    """``value`` itself if it is a finite int or float (not a bool), else None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return value
    return None


def finite_fields(event: dict[str, Any], *names: str) -> dict[str, int | float]:
    """The fields ``names`` of ``event`` that hold a finite number (see ``finite_number``)."""
    numbers = {}
    for name in names:
        number = finite_number(event.get(name))
        if number is not None:
            numbers[name] = number
    return numbers


def format_count(value: float) -> str:
    """``1,234``, or ``12.5`` for a fraction."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def format_rate(rate: float | None) -> str:
    """``12.3/s``, ``4.5k/s``, ``1.2M/s``; ``-`` when unknown."""
    if rate is None:
        return "-"
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if rate >= limit:
            return f"{rate / limit:.1f}{suffix}/s"
    return f"{rate:.1f}/s"


def format_duration(seconds: float | None) -> str:
    """``4.2s`` under a minute, else ``m:ss`` or ``h:mm:ss``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
