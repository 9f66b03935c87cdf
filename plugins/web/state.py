"""The web view's memory: runs, their streams and a bounded history per stream.

``update`` runs in the sink's worker: a dictionary lookup and a few assignments per event,
plus a history point when the stream's history step has passed. The server thread reads
``snapshot`` (the first paint) and ``changes`` (what changed since a version) under the same
lock, so neither side ever sees half an update.
"""

from __future__ import annotations

import math
import threading
from array import array
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from collector.states import DONE, FAILED, RUNNING, STATE_OF_KIND
from collector.text import inert

NOTED = "noted"
RUN_KIND, RUN_PROBE = "run", "<run>"
_DATA_FIELDS = 8
_TEXT = 200
_REMOVALS_KEPT = 1000
#: A stream's attributes the page reads as they are (``as_json`` adds ``data`` and ``seen``).
_ROW_FIELDS = (
    "id",
    "run",
    "probe",
    "host",
    "pid",
    "state",
    "n",
    "total",
    "rate",
    "unit",
    "error",
    "errors",
    "started",
)


@dataclass(frozen=True)
class Limits:
    """What the view keeps: ``points`` per stream, ``streams`` per run, ``runs`` in all."""

    points: int = 120
    streams: int = 10_000
    runs: int = 20
    #: The first history step in seconds; it doubles each time a stream's history is full.
    step: float = 1.0


class Stream:
    """One stream (run, host, pid, probe) and its history of ``(time, n, rate)`` points."""

    __slots__ = (
        "data",
        "error",
        "errors",
        "history",
        "host",
        "id",
        "last_point",
        "last_seen",
        "n",
        "pid",
        "probe",
        "rate",
        "run",
        "started",
        "state",
        "step",
        "total",
        "unit",
        "version",
    )

    def __init__(self, ident: int, run: int, key: tuple[Hashable, ...], now: float, step: float):
        self.id = ident
        self.run = run
        _, host, pid, probe = key
        self.probe = "(no probe)" if probe is None else _text(probe)
        self.host = "-" if host is None else _text(host)
        self.pid = pid if isinstance(pid, int) else (None if pid is None else _text(pid))
        self.state = NOTED
        self.n: float = 0
        self.total: float | None = None
        self.rate: float | None = None
        self.unit: str | None = None
        self.error = ""
        self.errors = 0
        self.data: dict[str, Any] | None = None  # the latest event's, as it came
        self.started = now
        self.last_seen = now
        self.version = 0
        self.history = array("d")
        self.step = step
        self.last_point = -math.inf

    def as_json(self) -> dict[str, Any]:
        """The row as the page shows it."""
        row = {name: getattr(self, name) for name in _ROW_FIELDS}
        row.update(data=_data_fields(self.data), seen=self.last_seen)
        return row


@dataclass
class Run:
    """One run: its id, what its ``run`` events said, and its streams."""

    id: int
    run: str
    first_seen: float
    last_seen: float
    version: int = 0
    info: dict[str, Any] = field(default_factory=dict)
    ended: dict[str, Any] | None = None
    streams: dict[tuple[Hashable, ...], Stream] = field(default_factory=dict)
    left_out: int = 0
    hosts: set[str] = field(default_factory=set)

    @property
    def finished(self) -> bool:
        """Ended by its ``run`` event, or every stream done or failed."""
        if self.ended is not None:
            return True
        return bool(self.streams) and all(s.state in (DONE, FAILED) for s in self.streams.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "run": self.run,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "info": self.info,
            "ended": self.ended,
            "streams": len(self.streams),
            "left_out": self.left_out,
            "hosts": sorted(self.hosts)[:20],
        }


class WebState:
    """Runs and streams for the page; ``update`` and the readers may run in different threads."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.version = 0
        self.events = 0
        self.forgotten_runs = 0
        self.forgotten_streams = 0
        self._runs: dict[Hashable, Run] = {}
        self._ids = 0
        self._removed: list[tuple[int, int]] = []  # (version, run id)
        self._removals_known_from = 0  # a reader older than this version needs a snapshot
        self._lock = threading.Lock()

    def update(self, events: list[dict[str, Any]], now: float) -> None:
        """Fold a batch of kept events in; ``now`` is the wall-clock time they arrived."""
        with self._lock:
            self.version += 1
            version = self.version
            self.events += len(events)
            runs = self._runs
            for event in events:
                get = event.get
                run_key = get("run")
                try:
                    run = runs.get(run_key)
                except TypeError:  # a JSON list or object from another client
                    run_key = _id(run_key)
                    run = runs.get(run_key)
                if run is None:
                    run = self._new_run(run_key, now)
                run.last_seen = now
                run.version = version
                if get("event") == RUN_KIND and get("probe") == RUN_PROBE:
                    _note_run(run, get("info"))
                    continue
                key = (run_key, get("host"), get("pid"), get("probe"))
                streams = run.streams
                try:
                    stream = streams.get(key)
                except TypeError:
                    key = tuple(map(_id, key))
                    stream = streams.get(key)
                if stream is None:
                    if len(streams) >= self.limits.streams:
                        run.left_out += 1
                        continue
                    self._ids += 1
                    stream = streams[key] = Stream(self._ids, run.id, key, now, self.limits.step)
                    run.hosts.add(stream.host)
                _apply(stream, event, now, self.limits.points)
                stream.version = version

    def snapshot(self) -> dict[str, Any]:
        """Everything the page shows, for its first paint."""
        with self._lock:
            runs = list(self._runs.values())
            return {
                "version": self.version,
                "reset": True,
                "runs": [run.as_json() for run in runs],
                "streams": [s.as_json() for run in runs for s in run.streams.values()],
                **self._totals(),
            }

    def changes(self, since: int) -> dict[str, Any] | None:
        """What changed after version ``since``: changed runs and streams, removed runs; the
        whole snapshot if removals that old are no longer known; None if nothing changed."""
        with self._lock:
            if since >= self.version:
                return None
            if since >= self._removals_known_from:
                runs = [run for run in self._runs.values() if run.version > since]
                return {
                    "version": self.version,
                    "reset": False,
                    "runs": [run.as_json() for run in runs],
                    "streams": [
                        s.as_json()
                        for run in runs
                        for s in run.streams.values()
                        if s.version > since
                    ],
                    "removed": [ident for version, ident in self._removed if version > since],
                    **self._totals(),
                }
        return self.snapshot()

    def history(self, ids: list[int]) -> dict[str, list[float]]:
        """Flat ``[time, n, rate, ...]`` histories of the streams asked for (unknown ids are
        left out; rate is -1 where none was known)."""
        wanted = set(ids)
        found: dict[str, list[float]] = {}
        with self._lock:
            for run in self._runs.values():
                for stream in run.streams.values():
                    if stream.id in wanted:
                        found[str(stream.id)] = stream.history.tolist()
        return found

    def _totals(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "forgotten_runs": self.forgotten_runs,
            "forgotten_streams": self.forgotten_streams,
            "limits": {"points": self.limits.points, "streams": self.limits.streams},
        }

    def _new_run(self, key: Hashable, now: float) -> Run:
        self._ids += 1
        run = self._runs[key] = Run(self._ids, "-" if key is None else _text(key), now, now)
        if len(self._runs) > self.limits.runs:
            self._forget_a_run(keep=run)
        return run

    def _forget_a_run(self, keep: Run) -> None:
        """The oldest finished run goes first; the oldest of all when none has finished."""
        candidates = [(k, r) for k, r in self._runs.items() if r is not keep]
        finished = [(k, r) for k, r in candidates if r.finished]
        key, run = min(finished or candidates, key=lambda item: item[1].last_seen)
        del self._runs[key]
        self.forgotten_runs += 1
        self.forgotten_streams += len(run.streams)
        self._removed.append((self.version, run.id))
        if len(self._removed) > _REMOVALS_KEPT:
            self._removals_known_from = self._removed.pop(0)[0]


def _note_run(run: Run, info: Any) -> None:
    """A ``run`` event: what the run says of itself at its start, its exit at its end."""
    if not isinstance(info, dict):
        return
    if info.get("phase") == "end":
        run.ended = {k: _plain(info.get(k)) for k in ("status", "signal", "duration")}
        return
    for name in ("argv", "cwd", "python", "git", "labels", "host"):
        if name in info:
            run.info[name] = _plain(info[name])


def _apply(stream: Stream, event: dict[str, Any], now: float, points: int) -> None:
    get = event.get
    kind = get("event")
    stream.last_seen = now
    n = _finite(get("n"))
    stream.n = stream.n + 1 if n is None else n
    total = _finite(get("total"))
    if total is not None and total > 0:
        stream.total = total
    rate = _finite(get("rate"))
    if rate is not None:
        stream.rate = rate
    if stream.unit is None or kind == "start":
        unit = get("unit")
        stream.unit = unit[:20] if isinstance(unit, str) else None
    if kind == "progress":  # the common case, kept short
        stream.state = RUNNING
        data = get("data")
        if data and data.__class__ is dict:
            stream.data = data  # formatted when sent (as_json), not per event
        if now - stream.last_point >= stream.step:
            _add_point(stream, now, points)
        return
    if kind == "start":
        stream.rate = None
        stream.data = None
        stream.error = ""
    elif kind == "end":
        elapsed = _finite(get("elapsed"))
        if elapsed:
            stream.rate = stream.n / elapsed
    elif kind == "error":
        stream.errors += 1
        stream.error = _error_text(get("error"))
    elif kind == "mark":
        data = get("data")
        if data and isinstance(data, dict):
            stream.data = data
    state = STATE_OF_KIND.get(kind)
    if state is not None:
        stream.state = state
        _add_point(stream, now, points)


def _data_fields(data: dict[str, Any] | None) -> list[list[str]] | None:
    """The user's fields as ``[name, value]`` texts, the first few, each short."""
    if not data:
        return None
    return [[_text(k, 40), _short(v)] for k, v in list(data.items())[:_DATA_FIELDS]]


def _add_point(stream: Stream, now: float, points: int) -> None:
    """One point; a full history keeps every other point and doubles its step, so it always
    spans the whole stream at a coarser grain."""
    history = stream.history
    history.extend((now, stream.n, -1.0 if stream.rate is None else stream.rate))
    stream.last_point = now
    if len(history) >= 3 * points:
        kept = array("d")
        for start in range(0, len(history) - 3, 6):
            kept.extend(history[start : start + 3])
        kept.extend(history[-3:])  # the newest point always stays
        stream.history = kept
        stream.step *= 2


def _id(value: Any) -> Hashable:
    """A part of a key: JSON lists and objects (from other clients) as text."""
    return value if value is None or isinstance(value, (str, int, float)) else repr(value)


def _finite(value: Any) -> float | None:
    """A finite number, or None: what other clients send can be anything (bool is no number)."""
    cls = value.__class__
    if cls is int:
        return value
    if cls is float:
        return value if value - value == 0 else None  # inf - inf and nan - nan are nan
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return value
    return None


def _text(value: Any, limit: int = _TEXT) -> str:
    """Inert (control and bidirectional characters as visible escapes) and cut to ``limit``."""
    text = inert(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return _text(value, 40)


def _plain(value: Any) -> Any:
    """JSON values bounded in size: long texts cut, deep or long containers shortened."""
    if isinstance(value, str):
        return _text(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value if not isinstance(value, float) or math.isfinite(value) else None
    if isinstance(value, dict):
        return {_text(k, 60): _text(v) for k, v in list(value.items())[:20]}
    if isinstance(value, (list, tuple)):
        return [_text(v) for v in value[:50]]
    return _text(value)


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        kind, message = error.get("type"), error.get("message")
        text = ": ".join(str(part) for part in (kind, message) if part) or "error"
    else:
        text = str(error) if error else "error"
    return _text(text, 500)
