"""The interval filter's promises, one test each."""

from __future__ import annotations

from collector.event import Event
from collector.filter import IntervalFilter


def ev(t: float, kind: str = "progress", probe: str = "p", pid: int = 1, **more) -> Event:
    return Event({"probe": probe, "pid": pid, "host": "h", "event": kind, **more}, t)


def kept_times(flt: IntervalFilter, events: list[Event]) -> list[float]:
    return [k.time for e in events for k in flt.offer(e)]


def test_keeps_first_then_one_per_interval():
    flt = IntervalFilter(0.1)
    times = [0.0, 0.03, 0.06, 0.1, 0.15, 0.21, 0.25, 0.31]
    assert kept_times(flt, [ev(t) for t in times]) == [0.0, 0.1, 0.21, 0.31]
    assert flt.suppressed == 4


def test_streams_are_independent():
    flt = IntervalFilter(1.0)
    events = [ev(0, probe="a"), ev(0.1, probe="b"), ev(0.2, probe="a"), ev(0.3, pid=2, probe="a")]
    assert kept_times(flt, events) == [0, 0.1, 0.3]


def test_lifecycle_events_always_pass():
    flt = IntervalFilter(10)
    kinds = ["start", "progress", "progress", "mark", "error", "end"]
    kept = [k.kind for i, kind in enumerate(kinds) for k in flt.offer(ev(i * 0.01, kind))]
    assert kept == ["start", "mark", "error", "end"]


def test_clock_stepping_backwards_is_not_silenced():
    flt = IntervalFilter(0.1)
    assert kept_times(flt, [ev(100.0), ev(50.0), ev(50.05), ev(50.2)]) == [100.0, 50.0, 50.2]


def test_interval_zero_keeps_everything():
    flt = IntervalFilter(0)
    assert kept_times(flt, [ev(0), ev(0), ev(0.001)]) == [0, 0, 0.001]


def test_trailing_releases_newest_suppressed_when_interval_closes():
    flt = IntervalFilter(0.1, trailing=True)
    assert kept_times(flt, [ev(0.0, n=1), ev(0.02, n=2), ev(0.05, n=3)]) == [0.0]
    assert flt.expire(now=0.05) == []
    released = flt.expire(now=0.11)
    assert [e.fields["n"] for e in released] == [3]
    assert flt.suppressed == 1


def test_custom_key():
    flt = IntervalFilter(1.0, key=("run",))
    events = [ev(0, run="x", probe="a"), ev(0.1, run="x", probe="b"), ev(0.2, run="y")]
    assert kept_times(flt, events) == [0, 0.2]
