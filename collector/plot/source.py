"""What ``hotprobe plot`` draws: events read back from a JSON-lines file or MongoDB, grouped
into one series per stream and narrowed to the streams and run asked for."""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
from dateutil.parser import isoparse

ALL_RUNS = "all"
_FIELDS = ("timestamp", "probe", "event", "n", "total", "rate", "host", "pid", "run", "error")


class SourceError(Exception):
    """The source cannot be read at all (missing file, unreachable database)."""


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


@dataclass
class Selection:
    """The series to draw, the run they belong to, and what was left out and why."""

    series: list[Series]
    run: str
    runs: list[str]
    skipped: int


def read_events(source: str, collection: str | None = None) -> tuple[list[dict[str, Any]], int]:
    """Events from ``source`` (a path or a ``mongodb://`` string) and how many records could
    not be read. ``collection`` overrides the URI's ``collection`` option (default events)."""
    if source.startswith(("mongodb://", "mongodb+srv://")):
        return _read_mongodb(source, collection), 0
    return _read_jsonl(source)


def _read_jsonl(path: str) -> tuple[list[dict[str, Any]], int]:
    try:
        with open(path, "rb") as file:
            lines = file.read().splitlines()
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from None
    events, unreadable = [], 0
    for line in lines:
        if not line.strip():
            continue
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError:
            unreadable += 1
            continue
        if isinstance(event, dict):
            events.append(event)
        else:
            unreadable += 1
    return events, unreadable


def _read_mongodb(uri: str, collection: str | None) -> list[dict[str, Any]]:
    import pymongo
    from pymongo.errors import PyMongoError

    uri, option = _without_collection_option(uri)
    timeout = (
        {} if "serverselectiontimeoutms=" in uri.lower() else {"serverSelectionTimeoutMS": 10_000}
    )
    try:
        client: pymongo.MongoClient = pymongo.MongoClient(uri, **timeout)
    except (PyMongoError, ValueError) as exc:
        raise SourceError(f"bad MongoDB connection string: {exc}") from None
    try:
        events = client.get_default_database("hotprobe")[collection or option or "events"]
        projection = dict.fromkeys(_FIELDS, 1) | {"_id": 0}
        return list(events.find({}, projection))
    except PyMongoError as exc:
        raise SourceError(f"cannot read from MongoDB: {exc}") from None
    finally:
        client.close()


def _without_collection_option(uri: str) -> tuple[str, str | None]:
    """The sink's ``collection`` option is not a MongoDB URI option: take it out."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    collection = next((value for key, value in query if key == "collection"), None)
    rest = urlencode([(key, value) for key, value in query if key != "collection"])
    return urlunsplit(parts._replace(query=rest)), collection


def select(
    events: Iterable[dict[str, Any]], probes: list[str] | None = None, run: str | None = None
) -> Selection:
    """Series per ``(host, pid, probe)`` for the streams matching any of the ``probes`` globs,
    in ``run`` (default: the run with the newest event; ``all``: every run)."""
    usable, skipped = [], 0
    for event in events:
        point = _point(event)
        if point is None:
            skipped += 1
        else:
            usable.append(point)
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
        _add(series[key], when, event)
    return Selection([s for s in series.values() if s.times], chosen, runs, skipped)


def _point(event: dict[str, Any]) -> tuple[datetime, dict[str, Any]] | None:
    """The event's time, if it is a probe's progress event that can be drawn."""
    if not isinstance(event.get("probe"), str) or event.get("event") in ("mark", "run"):
        return None
    if _number(event.get("n")) is None:
        return None
    when = _time(event.get("timestamp"))
    return None if when is None else (when, event)


def _number(value: Any) -> float | None:
    """A finite number, or None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


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


def _add(series: Series, when: datetime, event: dict[str, Any]) -> None:
    kind, n = event.get("event"), float(event["n"])
    total = _number(event.get("total"))
    if total is not None and total > 0:
        series.total = float(total)
    if kind == "start" and series.times:
        series.times.append(when)
        series.n.append(None)
    series.times.append(when)
    series.n.append(n)
    rate = _number(event.get("rate"))
    if rate is not None and rate >= 0:
        series.rate_times.append(when)
        series.rates.append(float(rate))
    if kind == "error":
        series.errors.append((when, n))
