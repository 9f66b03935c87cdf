"""Runs and streams folded from events in one pass, memory bounded by the number of streams.

A stream (``host``, ``pid``, ``probe``) is ``done`` after ``end``, ``failed`` after an ``error``
that was not followed by an ``end``, and otherwise ``running``, or once its last event is older
than ``stalled_after`` seconds ``stalled`` (``idle`` for a ``@probe.track``ed function's calls,
as the live views say: ``collector.states``). Streams of one name in one run form a group (a
Pool's workers, MPI ranks), in the liveliest of its members' states. A run's own ``run`` events
say what it was and how it ended.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from dateutil.parser import isoparse

from collector.format import finite_fields, finite_number
from collector.pool import PoolSums
from collector.states import (
    DONE,
    FAILED,
    IDLE,
    LIVELIEST,
    RUNNING,
    STALLED,
    STATE_OF_KIND,
    quiet_state,
)

#: The order states are counted and groups listed in: failed first, for attention.
STATES = (FAILED, RUNNING, STALLED, IDLE, DONE)
_UTC = timezone.utc
_CANONICAL_LENGTH = len("2026-11-27T23:59:59.123456+00:00")
_NEVER_LATE = "~"  # sorts after every timestamp
_NO_RUN = object()


@dataclass
class Counts:
    """Events left out of every run, for the one line on stderr."""

    without_run: int = 0
    without_time: int = 0


@dataclass(slots=True)
class RunSummary:
    """One run: when, where, what it ran, how its streams ended.

    ``first`` and ``last`` are the times of its first and last events, as the stored text
    (ISO 8601 in UTC, the one form the collector writes, which sorts as text), converted to
    POSIX seconds by ``start``, ``end`` and ``duration``."""

    run: str
    first: str = _NEVER_LATE
    last: str = ""
    events: int = 0
    info: dict[str, Any] = field(default_factory=dict)  # the run's own start event
    end_info: dict[str, Any] | None = None  # and its end event, under ``hotprobe run``
    started: str | None = None  # the time of the run's start event
    #: (host, pid, probe) -> state, from the streams' start, end and error events
    streams: dict[tuple[Any, Any, Any], str] = field(default_factory=dict)
    #: (host, pid, probe) -> the ``unit`` those events gave, for streams that gave one
    units: dict[tuple[Any, Any, Any], Any] = field(default_factory=dict)

    @property
    def start(self) -> float:
        first = self.first if self.started is None else min(self.started, self.first)
        return event_time(first) or 0.0

    @property
    def end(self) -> float:
        return event_time(self.last) or self.start

    @property
    def duration(self) -> float:
        if self.end_info is not None and finite_number(self.end_info.get("duration")) is not None:
            return float(self.end_info["duration"])
        return max(0.0, self.end - self.start)

    @property
    def hosts(self) -> list[str]:
        return sorted({str(host) for host, _, _ in self.streams})

    @property
    def command(self) -> list[str] | None:
        argv = self.info.get("argv")
        if isinstance(argv, list) and argv:
            return [str(word) for word in argv]
        return None

    @property
    def labels(self) -> dict[str, str]:
        labels = self.info.get("labels")
        return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}

    @property
    def status(self) -> int | None:
        status = (self.end_info or {}).get("status")
        return status if isinstance(status, int) and not isinstance(status, bool) else None

    def states(self, now: float, stalled_after: float) -> dict[str, int]:
        """Streams per state (only states that occur), in ``STATES`` order. A stream that
        never ended is running while its run sends events, stalled (or idle, counting
        calls) once the whole run has been quiet for ``stalled_after`` seconds (``show``
        tells each stream's own)."""
        quiet = now - self.end >= stalled_after
        tally = dict.fromkeys(STATES, 0)
        units = self.units
        for key, state in self.streams.items():
            tally[quiet_state(units.get(key)) if state == RUNNING and quiet else state] += 1
        return {state: count for state, count in tally.items() if count}

    def failed(self) -> bool:
        """A failed stream, or a non-zero exit status."""
        return bool(self.status) or FAILED in self.streams.values()


def summarise_runs(
    batches: Iterable[list[dict[str, Any]]], counts: Counts
) -> dict[str, RunSummary]:
    """Every run in ``batches`` of events, by id: one pass, a few comparisons per progress
    event (the hot path: no time is parsed, no stream looked up)."""
    runs: dict[str, RunSummary] = {}
    run_id: Any = _NO_RUN
    run = RunSummary("")
    for batch in batches:
        for event in batch:
            get = event.get
            if get("run") != run_id:
                run_id = get("run")
                if run_id is None:
                    counts.without_run += 1
                    run_id = _NO_RUN
                    continue
                run = runs.get(run_id) or runs.setdefault(run_id, RunSummary(str(run_id)))
            stamp = get("timestamp")
            if stamp.__class__ is not str or len(stamp) != _CANONICAL_LENGTH:
                stamp = canonical_time(stamp)
                if stamp is None:
                    counts.without_time += 1
                    continue
            run.events += 1
            if stamp > run.last:
                run.last = stamp
            if stamp < run.first:
                run.first = stamp
            kind = get("event")
            if kind == "progress":
                continue
            if kind == "run":
                _run_event(run, event, stamp)
                continue
            state = STATE_OF_KIND.get(kind)
            if state is None:  # marks, and kinds this version does not know, are not streams
                continue
            key = (get("host"), get("pid"), get("probe"))
            if not (state == FAILED and run.streams.get(key) == DONE):  # no reopening
                run.streams[key] = state
            if "unit" in event:
                run.units[key] = event["unit"]
    return {run_id: run for run_id, run in runs.items() if run.events}


def _run_event(run: RunSummary, event: dict[str, Any], stamp: str) -> None:
    info = event.get("info")
    if not isinstance(info, dict):
        return
    if info.get("phase") == "end":
        run.end_info = info
    else:
        run.info = info
        run.started = stamp if run.started is None else min(run.started, stamp)


@dataclass
class StreamSummary:
    """One stream of a run, as its last event left it."""

    probe: str
    host: Any
    pid: Any
    state: str = RUNNING
    first: float = math.inf
    last: float = -math.inf
    n: float = 0.0
    total: float | None = None
    rate: float | None = None
    error: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    events: int = 0
    unit: Any = None

    def status(self, now: float, stalled_after: float) -> str:
        """The state, ``stalled`` or ``idle`` (``quiet_state``) for a running stream whose
        last event is ``stalled_after`` seconds old."""
        if self.state == RUNNING and now - self.last >= stalled_after:
            return quiet_state(self.unit)
        return self.state


@dataclass
class Group(PoolSums):
    """Streams of one name in one run, from one or more processes."""

    probe: str
    members: list[StreamSummary]

    @property
    def first(self) -> float:
        return min(member.first for member in self.members)

    @property
    def last(self) -> float:
        return max(member.last for member in self.members)

    @property
    def duration(self) -> float:
        return max(0.0, self.last - self.first)

    @property
    def mean_rate(self) -> float | None:
        return self.n / self.duration if self.duration > 0 else None

    @property
    def last_rate(self) -> float | None:
        """The members' latest rates added up (the pool's combined rate at its end)."""
        rates = [member.rate for member in self.members if member.rate is not None]
        return sum(rates) if rates else None

    @property
    def error(self) -> str:
        return next((m.error for m in self.members if m.state == FAILED and m.error), "")

    @property
    def data(self) -> dict[str, Any]:
        """The data fields' last values, the latest member's winning."""
        merged: dict[str, Any] = {}
        for member in sorted(self.members, key=lambda m: m.last):
            merged.update(member.data)
        return merged

    def states(self, now: float, stalled_after: float) -> dict[str, int]:
        tally = dict.fromkeys(STATES, 0)
        for member in self.members:
            tally[member.status(now, stalled_after)] += 1
        return {state: count for state, count in tally.items() if count}

    def status(self, now: float, stalled_after: float) -> str:
        """The liveliest of the members' states, as the live views' groups: running, then
        stalled, idle, failed, done (``LIVELIEST``)."""
        states = self.states(now, stalled_after)
        return next(state for state in LIVELIEST if state in states)


def summarise_streams(batches: Iterable[list[dict[str, Any]]], run_id: str) -> list[Group]:
    """The streams of run ``run_id``, grouped by name, in the order they first appeared."""
    streams: dict[tuple[Any, Any, Any], StreamSummary] = {}
    for event in (event for batch in batches for event in batch):
        if event.get("run") != run_id:
            continue
        kind = event.get("event")
        state = STATE_OF_KIND.get(kind)
        name = event.get("probe")
        when = event_time(event.get("timestamp"))
        if state is None or when is None or not isinstance(name, str):
            continue
        key = (event.get("host"), event.get("pid"), name)
        stream = streams.get(key)
        if stream is None:
            stream = streams[key] = StreamSummary(name, key[0], key[1])
        _apply(stream, event, kind, state, when)
    groups: dict[str, Group] = {}
    for stream in streams.values():
        groups.setdefault(stream.probe, Group(stream.probe, [])).members.append(stream)
    return list(groups.values())


def _apply(
    stream: StreamSummary, event: dict[str, Any], kind: Any, state: str, when: float
) -> None:
    stream.events += 1
    stream.first = min(stream.first, when)
    stream.last = max(stream.last, when)
    if not (kind == "error" and stream.state == DONE):
        stream.state = state
    numbers = finite_fields(event, "n", "total", "rate")
    stream.n = numbers.get("n", stream.n)
    stream.total = numbers.get("total", stream.total)
    if kind == "progress":
        stream.rate = numbers.get("rate", stream.rate)
    error = event.get("error")
    if kind == "error" and isinstance(error, dict):
        stream.error = f"{error.get('type', 'error')}: {error.get('message', '')}"
    data = event.get("data")
    if isinstance(data, dict):
        stream.data.update(data)
    if "unit" in event:
        stream.unit = event["unit"]


def canonical_time(value: Any) -> str | None:
    """A stored ``timestamp`` in the collector's one form (``event_time``), or None."""
    when = event_time(value)
    if when is None:
        return None
    return datetime.fromtimestamp(when, _UTC).isoformat(timespec="microseconds")


def event_time(value: Any) -> float | None:
    """POSIX seconds of a stored ``timestamp``: ISO 8601 text (naive = UTC), or a BSON date
    (which comes back naive, in UTC); None when there is none."""
    if value.__class__ is str:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            try:
                moment = isoparse(value)
            except (ValueError, OverflowError):
                return None
    elif isinstance(value, datetime):
        moment = value
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_UTC)
    try:
        return moment.timestamp()
    except (OverflowError, ValueError, OSError):
        return None
