"""What ``hotprobe plot`` draws: events read back (``collector.history.read``) grouped into one
series per stream, narrowed to the streams, run and time span asked for, with the user's own
data fields and the run's marks."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from dateutil.parser import isoparse

from collector.format import finite_number

ALL_RUNS = "all"


@dataclass
class Series:
    """One stream's points, in time order. ``None`` in ``n`` breaks the line (a restart)."""

    probe: str
    host: Any
    pid: Any
    run: Any
    total: float | None = None
    times: list[datetime] = field(default_factory=list)
    n: list[float | None] = field(default_factory=list)
    rate_times: list[datetime] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)
    errors: list[tuple[datetime, float]] = field(default_factory=list)
    #: data field -> (times, values), for the fields asked for that this stream carries
    fields: dict[str, tuple[list[datetime], list[float]]] = field(default_factory=dict)


@dataclass
class Selection:
    """The series to draw, the run they belong to, and what was left out and why."""

    series: list[Series]
    run: str
    runs: list[str]
    skipped: int
    marks: list[tuple[datetime, str]] = field(default_factory=list)


def select(
    events: Iterable[dict[str, Any]],
    probes: list[str] | None = None,
    run: str | None = None,
    fields: Iterable[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
) -> Selection:
    """Series per ``(host, pid, probe)`` for the streams matching any of the ``probes`` globs,
    in ``run`` (default: the run with the newest event; ``all``: every run), between ``since``
    and ``until``; the ``fields`` asked for are taken from each event's ``data``, and the
    run's ``mark`` events become labelled marks."""
    wanted = tuple(fields)
    usable, marks, skipped = [], [], 0
    for event in events:
        point = _point(event)
        if point is None:
            skipped += 1
        elif (since is None or point[0] >= since) and (until is None or point[0] <= until):
            (marks if event.get("event") == "mark" else usable).append(point)
    usable.sort(key=lambda point: point[0])
    newest_of_run: dict[str, datetime] = {}
    for when, event in usable:
        newest_of_run[str(event.get("run"))] = when
    runs = sorted(newest_of_run, key=newest_of_run.__getitem__)
    chosen = run or (runs[-1] if runs else ALL_RUNS)
    series: dict[tuple[Any, Any, str], Series] = {}
    for when, event in usable:
        if chosen != ALL_RUNS and str(event.get("run")) != chosen:
            continue
        name = event["probe"]
        if probes and not any(fnmatch.fnmatchcase(name, pattern) for pattern in probes):
            continue
        key = (event.get("host"), event.get("pid"), name)
        if key not in series:
            series[key] = Series(name, event.get("host"), event.get("pid"), event.get("run"))
        _add(series[key], when, event, wanted)
    chosen_marks = sorted(
        (when, event["probe"])
        for when, event in marks
        if chosen == ALL_RUNS or str(event.get("run")) == chosen
    )
    return Selection([s for s in series.values() if s.times], chosen, runs, skipped, chosen_marks)


def _point(event: dict[str, Any]) -> tuple[datetime, dict[str, Any]] | None:
    """The event's time, if it is a stream's event that can be drawn, or a mark (``run``
    events describe the run: they are not drawn)."""
    if not isinstance(event.get("probe"), str) or event.get("event") == "run":
        return None
    if event.get("event") != "mark" and finite_number(event.get("n")) is None:
        return None
    when = _time(event.get("timestamp"))
    return None if when is None else (when, event)


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):  # BSON dates come back naive, in UTC
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        try:
            when = isoparse(value)
        except ValueError:
            return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _add(series: Series, when: datetime, event: dict[str, Any], fields: tuple[str, ...]) -> None:
    kind, n = event.get("event"), float(event["n"])
    total = finite_number(event.get("total"))
    if total is not None and total > 0:
        series.total = float(total)
    if kind == "start" and series.times:
        series.times.append(when)
        series.n.append(None)
    series.times.append(when)
    series.n.append(n)
    rate = finite_number(event.get("rate"))
    if rate is not None and rate >= 0:
        series.rate_times.append(when)
        series.rates.append(float(rate))
    if kind == "error":
        series.errors.append((when, n))
    data = event.get("data")
    if fields and isinstance(data, dict):
        for name in fields:
            value = finite_number(data.get(name))
            if value is not None:
                times, values = series.fields.setdefault(name, ([], []))
                times.append(when)
                values.append(value)
