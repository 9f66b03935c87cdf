"""What is worth an alert: a stream's error, a stall and its resume, a stream's end, a run's end.

``Watch`` folds kept events into the state of every stream and run, and ``tick`` looks at the
clock for stalls and for runs whose streams have all ended. Each ``Alert`` has a ``key`` naming
its cause (the event that raised it, or the stream and event a stall followed), so the same
cause gives the same key in every collector run: the outbox sends each key once.
"""

from __future__ import annotations

import fnmatch
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from collector.states import STALLED, quiet_state

ERROR, STALL, RESUMED, END, RUN_END = "error", "stall", "resumed", "end", "run_end"
KINDS = (ERROR, STALL, END, RUN_END)  # what ``on=`` may name (``stall`` brings ``resumed``)
DEFAULT_ON = (ERROR, STALL, RUN_END)
#: Streams and runs remembered at most; the longest finished go first.
MAX_STREAMS = 100_000
MAX_RUNS = 10_000


@dataclass(frozen=True)
class Alert:
    """One thing to tell: ``kind``, where it happened, and the facts for the message."""

    key: str
    kind: str
    run: str
    probe: str = ""
    where: str = ""
    n: Any = None
    total: Any = None
    error_type: str = ""
    error_message: str = ""
    quiet_for: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    duration: float | None = None
    status: Any = None

    def as_json(self) -> dict[str, Any]:
        """The alert as the generic JSON webhook receives it."""
        record: dict[str, Any] = {"alert": self.kind, "run": self.run}
        if self.kind == RUN_END:
            record.update(counts=self.counts, duration=self.duration, status=self.status)
            return record
        record.update(probe=self.probe, where=self.where, n=self.n, total=self.total)
        if self.kind == ERROR:
            record["error"] = {"type": self.error_type, "message": self.error_message}
        if self.kind in (STALL, RESUMED):
            record["quiet_for"] = round(self.quiet_for, 1)
        return record


@dataclass
class _Stream:
    run: str
    probe: str
    where: str
    state: str = "running"  # running, done, failed
    last_seen: float = 0.0
    last_seq: Any = None
    n: Any = None
    total: Any = None
    unit: Any = None
    stalled: bool = False


@dataclass
class _Run:
    streams: set = field(default_factory=set)
    first_seen: float = 0.0
    last_seen: float = 0.0
    ended: bool = False  # its run_end alert is out
    end_info: dict[str, Any] | None = None


class Watch:
    """Stream and run state from events; alerts for the kinds in ``on``."""

    def __init__(
        self,
        on: tuple[str, ...] = DEFAULT_ON,
        stall_after: float = 600.0,
        probes: tuple[str, ...] = (),
        run_end_after: float = 10.0,
    ) -> None:
        self.on = frozenset(on)
        self.stall_after = stall_after
        self.probes = probes
        self.run_end_after = run_end_after
        self._streams: OrderedDict[tuple[Any, Any, Any], _Stream] = OrderedDict()
        self._runs: OrderedDict[str, _Run] = OrderedDict()

    def feed(self, event: dict[str, Any], now: float | None = None) -> list[Alert]:
        """Fold one event in; the alerts it raises."""
        now = time.monotonic() if now is None else now
        kind = event.get("event")
        run_id = str(event.get("run"))
        run = self._runs.get(run_id)
        if run is None:
            run = self._runs[run_id] = _Run(first_seen=now)
            self._forget(self._runs, MAX_RUNS)
        run.last_seen = now
        if kind == "run":
            info = event.get("info")
            if isinstance(info, dict) and info.get("phase") == "end":
                run.end_info = info
            return []
        name = event.get("probe")
        if not isinstance(name, str) or (
            self.probes and not any(fnmatch.fnmatchcase(name, p) for p in self.probes)
        ):
            return []
        key = (event.get("host"), event.get("pid"), name)
        stream = self._streams.get(key)
        if stream is None:
            if kind == "mark":
                return []
            stream = self._streams[key] = _Stream(run_id, name, _where(event))
            self._forget(self._streams, MAX_STREAMS)
        run.streams.add(key)
        self._streams.move_to_end(key)
        alerts = []
        if stream.stalled:
            stream.stalled = False
            quiet = now - stream.last_seen
            alerts.append(self._alert(RESUMED, stream, event, quiet_for=quiet))
        stream.last_seen, stream.last_seq = now, event.get("seq")
        stream.n, stream.total = event.get("n", stream.n), event.get("total", stream.total)
        stream.unit = event.get("unit", stream.unit)
        if kind in ("start", "progress"):
            stream.state = "running"
        elif kind == "end":
            stream.state = "done"
            alerts.append(self._alert(END, stream, event))
        elif kind == "error":
            stream.state = "failed"
            error = event.get("error") if isinstance(event.get("error"), dict) else {}
            alerts.append(
                self._alert(
                    ERROR,
                    stream,
                    event,
                    error_type=str(error.get("type", "error")),
                    error_message=str(error.get("message", "")),
                )
            )
        return [a for a in alerts if self._wanted(a.kind)]

    def tick(self, now: float | None = None) -> list[Alert]:
        """Alerts the clock raises: stalls, and runs that are over."""
        now = time.monotonic() if now is None else now
        alerts = []
        if STALL in self.on:
            for stream in self._streams.values():
                if (
                    stream.state == "running"
                    and not stream.stalled
                    and now - stream.last_seen >= self.stall_after
                    and quiet_state(stream.unit) == STALLED  # a function not called is idle
                ):
                    stream.stalled = True
                    alerts.append(self._stall(stream, now))
        if RUN_END in self.on:
            for run_id, run in self._runs.items():
                if not run.ended and self._run_over(run, now):
                    run.ended = True
                    alerts.append(self._run_end(run_id, run, now))
        return alerts

    def _run_over(self, run: _Run, now: float) -> bool:
        if run.end_info is not None:
            return True
        if not run.streams or now - run.last_seen < self.run_end_after:
            return False
        states = [self._streams[k].state for k in run.streams if k in self._streams]
        return bool(states) and all(state != "running" for state in states)

    def _run_end(self, run_id: str, run: _Run, now: float) -> Alert:
        counts = {"done": 0, "failed": 0, "stalled": 0, "running": 0}
        for key in run.streams:
            stream = self._streams.get(key)
            if stream is not None:
                counts["stalled" if stream.stalled else stream.state] += 1
        info = run.end_info or {}
        duration = info.get("duration")
        if not isinstance(duration, (int, float)):
            duration = round(run.last_seen - run.first_seen, 1)
        return Alert(
            key=f"run_end|{run_id}",
            kind=RUN_END,
            run=run_id,
            counts={state: count for state, count in counts.items() if count},
            duration=duration,
            status=info.get("status"),
        )

    def _stall(self, stream: _Stream, now: float) -> Alert:
        facts = {"n": stream.n, "total": stream.total, "quiet_for": now - stream.last_seen}
        return self._about(STALL, stream, stream.last_seq, **facts)

    def _alert(self, kind: str, stream: _Stream, event: dict[str, Any], **facts: Any) -> Alert:
        facts = {"n": event.get("n"), "total": event.get("total"), **facts}
        return self._about(kind, stream, event.get("seq"), **facts)

    @staticmethod
    def _about(kind: str, stream: _Stream, seq: Any, **facts: Any) -> Alert:
        """An alert on ``stream``, its key naming the cause: the event ``seq`` raised it or
        was the last before it."""
        key = f"{kind}|{stream.run}|{stream.where}|{stream.probe}|{seq}"
        return Alert(key, kind, stream.run, stream.probe, stream.where, **facts)

    def _wanted(self, kind: str) -> bool:
        return kind in self.on or (kind == RESUMED and STALL in self.on)

    @staticmethod
    def _forget(table: OrderedDict, limit: int) -> None:
        while len(table) > limit:
            table.popitem(last=False)


def _where(event: dict[str, Any]) -> str:
    host, pid = event.get("host"), event.get("pid")
    return f"{host}:{pid}" if pid is not None else str(host)
