"""The live view's state: one row per stream, updated from events, read by the renderer.

``update`` does a dictionary lookup and a few assignments per event, so it keeps up with
tens of thousands of events per second; rendering reads a snapshot at its own pace.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from collector.format import finite_fields, finite_number
from collector.states import CALLS, DONE, FAILED, IDLE, RUNNING, STALLED, STATE_OF_KIND, quiet_state

NOTED = "noted"
NO_PROBE = "(no probe)"
#: How many runs the view describes above its rows (the latest ones).
RUNS_SHOWN = 3

# Which rows to keep on screen when there are too many: lower first.
_RANK = {FAILED: 0, RUNNING: 1, STALLED: 2, IDLE: 3, NOTED: 4, DONE: 5}


@dataclass
class StreamRow:
    """What the view knows of one stream (``host``, ``pid``, ``probe``)."""

    order: int
    probe: str
    host: str
    pid: Any
    state: str = NOTED
    n: float = 0
    total: float | None = None
    rate: float | None = None
    elapsed: float | None = None
    events: int = 0
    errors: int = 0
    error: str = ""
    data: dict[str, Any] | None = None
    unit: Any = None
    last_seen: float = 0.0
    run: Hashable = None

    @property
    def where(self) -> str:
        if self.pid is None:
            return self.host
        return f"{self.host}:{self.pid}"

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate, when the total is known and the stream runs."""
        if self.state != RUNNING or self.total is None or not self.rate or self.rate <= 0:
            return None
        return max(0.0, (self.total - self.n) / self.rate)

    @property
    def data_text(self) -> str:
        """The user's fields of the latest event, short (formatted only when drawn)."""
        if not self.data:
            return ""
        return " ".join(f"{key}={_short(value)}" for key, value in self.data.items())

    def status(self, now: float, stalled_after: float) -> str:
        """A running stream quiet for ``stalled_after`` is ``stalled``; a stream of calls
        (``@probe.track``) is ``idle`` then: its function is simply not being called."""
        if self.state == RUNNING and now - self.last_seen >= stalled_after:
            return quiet_state(self.unit)
        return self.state


@dataclass
class RunRow:
    """What the view knows of one run, from its ``run`` events."""

    run: str
    argv: list[str] | None = None
    git: dict[str, Any] | None = None
    labels: dict[str, Any] | None = None
    status: Any = None
    signal: Any = None
    duration: float | None = None
    ended: bool = False


@dataclass(frozen=True)
class Snapshot:
    """The rows to show (in first-seen order) and counts for the whole board."""

    rows: list[Any]  # StreamRow, or a group line (plugins.live.groups) when folded
    statuses: list[str]
    runs: list[RunRow]
    hidden: dict[str, int]
    counts: dict[str, int]
    events: int
    forgotten: int
    now: float


class LiveBoard:
    """Rows per stream. ``update`` and ``snapshot`` may run in different threads.

    At most ``keep`` streams are remembered: past that, the longest-finished ones are
    forgotten (and counted), so a collector that sees many short-lived processes stays small.
    """

    def __init__(self, stalled_after: float = 10.0, keep: int = 10_000) -> None:
        self.stalled_after = stalled_after
        self.keep = keep
        self.forgotten = 0
        self._rows: dict[tuple[Hashable, Hashable, Hashable], StreamRow] = {}
        self._runs: dict[str, RunRow] = {}
        self._seen = 0
        self._events = 0
        self._lock = threading.Lock()

    def update(self, events: list[dict[str, Any]], now: float) -> None:
        """Fold a batch of events into the rows; ``now`` is the time they were seen."""
        with self._lock:
            rows = self._rows
            self._events += len(events)
            for event in events:
                if event.get("event") == "run":
                    self._note_run(event)
                    continue
                key = (_id(event.get("host")), _id(event.get("pid")), _id(event.get("probe")))
                row = rows.get(key)
                if row is None:
                    row = rows[key] = _new_row(self._seen, key)
                    self._seen += 1
                _apply(row, event, now)
            if len(rows) > self.keep * 1.1:
                self._forget_finished()

    def snapshot(
        self, now: float, max_rows: int | None = None, fold: Folding | None = None
    ) -> Snapshot:
        """Copies of the rows to show: all of them, or the ``max_rows`` that matter most.

        ``fold`` (``plugins.live.groups.fold``) turns the rows into lines first, a group line
        standing for several rows; ``max_rows`` then counts lines."""
        with self._lock:
            rows = list(self._rows.values())
            statuses = {row.order: row.status(now, self.stalled_after) for row in rows}
            lines = rows if fold is None else fold(rows, statuses)
            status = {line.order: _line_status(line, statuses) for line in lines}
            hidden_lines = []
            if max_rows is not None and len(lines) > max_rows:
                lines.sort(key=lambda line: _importance(line, status[line.order]))
                hidden_lines, lines = lines[max_rows:], sorted(lines[:max_rows], key=_first_seen)
            lines = [_copy(line) for line in lines]
            runs = [replace(run) for run in list(self._runs.values())[-RUNS_SHOWN:]]
            events, forgotten = self._events, self.forgotten
        return Snapshot(
            rows=lines,
            statuses=[status[line.order] for line in lines],
            runs=runs,
            hidden=_tally(s for line in hidden_lines for s in _member_statuses(line, statuses)),
            counts=_tally(statuses.values()),
            events=events,
            forgotten=forgotten,
            now=now,
        )

    def _note_run(self, event: dict[str, Any]) -> None:
        """A ``run`` event: the run's description at its start, its exit at its end."""
        run_id = str(event.get("run"))
        run = self._runs.pop(run_id, None) or RunRow(run_id)
        self._runs[run_id] = run  # the latest run last
        while len(self._runs) > self.keep:
            del self._runs[next(iter(self._runs))]
        info = event.get("info")
        if not isinstance(info, dict):
            return
        if isinstance(info.get("argv"), list):
            run.argv = [str(word) for word in info["argv"]]
        if info.get("phase") == "end":
            run.ended = True
            run.status, run.signal = info.get("status"), info.get("signal")
            run.duration = finite_number(info.get("duration"))
            return
        if isinstance(info.get("git"), dict):
            run.git = info["git"]
        if isinstance(info.get("labels"), dict):
            run.labels = info["labels"]

    def _forget_finished(self) -> None:
        """Drop the streams that finished longest ago (failed ones last) down to ``keep``."""
        finished = [key for key, row in self._rows.items() if row.state in (DONE, FAILED)]
        rows = self._rows
        finished.sort(key=lambda key: (rows[key].state == FAILED, rows[key].last_seen))
        for key in finished[: len(rows) - self.keep]:
            del rows[key]
            self.forgotten += 1


Folding = Callable[[Sequence[StreamRow], dict[int, str]], list[Any]]


def _line_status(line: Any, statuses: dict[int, str]) -> str:
    """A stream's status, or a group line's (``status_of_group``)."""
    return getattr(line, "status_of_group", None) or statuses[line.order]


def _copy(line: Any) -> Any:
    """A row as it is now (a group line with copies of its members)."""
    members = getattr(line, "members", None)
    if members is None:
        return replace(line)
    return replace(line, members=[replace(member) for member in members])


def _member_statuses(line: Any, statuses: dict[int, str]) -> list[str]:
    members = getattr(line, "members", None)
    return [statuses[m.order] for m in members] if members else [statuses[line.order]]


def _first_seen(row: StreamRow) -> int:
    return row.order


def _tally(statuses: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return counts


def _importance(row: StreamRow, status: str) -> tuple[int, float, int]:
    """Failed, running, stalled, then the latest finished; first seen first within each, so
    the rows on screen do not change places from one frame to the next."""
    return (_RANK[status], -row.last_seen if status == DONE else 0.0, row.order)


def _new_row(order: int, key: tuple[Hashable, Hashable, Hashable]) -> StreamRow:
    host, pid, probe = key
    return StreamRow(
        order,
        probe=NO_PROBE if probe is None else str(probe),
        host="-" if host is None else str(host),
        pid=pid,
    )


def _id(value: Any) -> Hashable:
    """A part of a stream's key: JSON lists and objects (from other clients) as text."""
    return value if value is None or isinstance(value, (str, int, float)) else repr(value)


def _apply(row: StreamRow, event: dict[str, Any], now: float) -> None:
    kind = event.get("event")
    row.run = _id(event.get("run"))
    row.events += 1
    row.last_seen = now
    numbers = finite_fields(event, "n", "total", "elapsed", "rate")
    row.n = numbers.get("n", row.n + 1)
    if numbers.get("total", 0) > 0:
        row.total = numbers["total"]
    row.elapsed = numbers.get("elapsed", row.elapsed)
    row.rate = numbers.get("rate", row.rate)
    if "unit" in event:
        row.unit = event["unit"]
    state = STATE_OF_KIND.get(kind)
    if kind == "start":
        row.rate = None
        row.data = None
    elif kind == "end" and row.elapsed and not _ends_at_exit(row):
        row.rate = row.n / row.elapsed  # the average over the stream's life
    elif kind == "error":
        row.errors += 1
        row.error = _error_text(event.get("error"))
    data = event.get("data")
    if data and kind in ("progress", "mark") and isinstance(data, dict):
        row.data = data
    if state is not None:
        row.state = state


def _ends_at_exit(row: StreamRow) -> bool:
    """A tracked function's stream without a total ends when its process exits, after any
    idle time: it keeps its last (recent) rate rather than an average over that time."""
    return row.unit == CALLS and row.total is None and row.rate is not None


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        kind, message = error.get("type"), error.get("message")
        return ": ".join(str(part) for part in (kind, message) if part) or "error"
    return str(error) if error else "error"


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    text = str(value)
    return text if len(text) <= 24 else text[:23] + "…"
