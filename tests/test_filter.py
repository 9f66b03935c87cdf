"""The interval filter's promises, one test each."""

from __future__ import annotations

import orjson

from collector.pipeline.decode import decode_batch
from collector.pipeline.filter import IntervalFilter


def ev(t: float, kind: str = "progress", probe: str = "p", pid: int = 1, **more) -> dict:
    return {"t": t, "probe": probe, "pid": pid, "host": "h", "event": kind, **more}


def kept_times(flt: IntervalFilter, events: list[dict], now: float = 0.0) -> list[float]:
    """Offer ``events`` one batch at a time (event time = their ``t``); the kept ``t``s."""
    kept = []
    for event in events:
        kept += flt.select([event], [event["t"]], now)
    return [k["t"] for k in kept]


def test_keeps_first_then_one_per_interval():
    flt = IntervalFilter(0.1)
    times = [0.0, 0.03, 0.06, 0.1, 0.15, 0.21, 0.25, 0.31]
    assert kept_times(flt, [ev(t) for t in times]) == [0.0, 0.1, 0.21, 0.31]
    assert flt.suppressed == 4


def test_a_batch_gives_the_same_answer_as_one_at_a_time():
    events = [ev(t / 100, probe=f"p{t % 3}") for t in range(100)]
    batched = IntervalFilter(0.1).select(events, [e["t"] for e in events], 0.0)
    assert [e["t"] for e in batched] == kept_times(IntervalFilter(0.1), events)


def test_streams_are_independent():
    flt = IntervalFilter(1.0)
    events = [ev(0, probe="a"), ev(0.1, probe="b"), ev(0.2, probe="a"), ev(0.3, pid=2, probe="a")]
    assert kept_times(flt, events) == [0, 0.1, 0.3]


def test_lifecycle_events_always_pass():
    flt = IntervalFilter(10)
    kinds = ["start", "progress", "progress", "mark", "error", "end"]
    events = [ev(i * 0.01, kind) for i, kind in enumerate(kinds)]
    assert [e["event"] for e in flt.select(events, [e["t"] for e in events], 0.0)] == [
        "start",
        "mark",
        "error",
        "end",
    ]


def test_clock_stepping_backwards_is_not_silenced():
    flt = IntervalFilter(0.1)
    assert kept_times(flt, [ev(100.0), ev(50.0), ev(50.05), ev(50.2)]) == [100.0, 50.0, 50.2]


def test_mixed_time_zones_compare_as_instants_and_are_not_silenced():
    stamps = [
        "2026-11-28T10:00:00.00+01:00",  # 09:00:00.00 UTC: first, kept
        "2026-11-28T09:00:00.05Z",  # the same clock 0.05 s later, another zone: suppressed
        "2026-11-28T04:00:00.12-05:00",  # 0.12 s after the first: kept
        "2026-11-28 09:00:00.15",  # naive (read as UTC), 0.03 s later: suppressed
        "2026-11-28 10:00:00.30",  # a naive local clock an hour ahead: kept
        "2026-11-28T10:00:00.35+01:00",  # back an hour: kept, not silenced for an hour
        "2026-11-28T10:00:00.40+01:00",  # 0.05 s later: suppressed
        "2026-11-28T09:00:00.50Z",  # kept
    ]
    raws = [orjson.dumps({"probe": "p", "n": i, "timestamp": s}) for i, s in enumerate(stamps)]
    batch = decode_batch(raws, arrival=0.0)
    flt = IntervalFilter(0.1)
    kept = flt.select(batch.fields, batch.times, 0.0)
    assert [e["n"] for e in kept] == [0, 2, 4, 5, 7]


def test_interval_zero_keeps_everything():
    flt = IntervalFilter(0)
    assert kept_times(flt, [ev(0), ev(0), ev(0.001)]) == [0, 0, 0.001]


def test_custom_key():
    flt = IntervalFilter(1.0, key=("run",))
    events = [ev(0, run="x", probe="a"), ev(0.1, run="x", probe="b"), ev(0.2, run="y")]
    assert kept_times(flt, events) == [0, 0.2]


def test_lists_and_objects_in_key_or_kind_fields_are_streams_like_any_other():
    flt = IntervalFilter(1.0)
    events = [
        ev(0, probe=[1]),
        ev(0.1, probe=[1]),
        ev(0.2, probe={"a": 1}),
        ev(0.3, probe=[1], kind=[2]),
    ]
    assert kept_times(flt, events) == [0, 0.2]


def test_trailing_releases_newest_suppressed_when_interval_closes_on_collector_clock():
    flt = IntervalFilter(0.25, trailing=True)
    # Event clocks are years away from the collector's clock: only arrival times matter.
    base = 1_795_000_000.0
    assert kept_times(flt, [ev(base, n=1)], now=5.0) == [base]
    assert kept_times(flt, [ev(base + 0.02, n=2), ev(base + 0.05, n=3)], now=5.125) == []
    assert flt.suppressed == 2
    assert flt.next_expiry() == 5.25
    assert flt.expire(now=5.2) == []
    assert [e["n"] for e in flt.expire(now=5.25)] == [3]
    assert flt.suppressed == 1
    # The released event starts the interval, in event time and on the collector's clock.
    assert kept_times(flt, [ev(base + 0.25, n=4)], now=5.375) == []
    assert flt.expire(now=5.375) == []
    assert [e["n"] for e in flt.expire(now=5.5)] == [4]


def test_trailing_release_comes_first_when_the_next_event_arrives_after_the_interval():
    flt = IntervalFilter(0.25, trailing=True)
    kept_times(flt, [ev(10.0, n=1), ev(10.02, n=2)], now=0.0)
    # The stream's clock runs slow: 0.03 s of event time, but 0.5 s on the collector's clock.
    kept = flt.select([ev(10.05, n=3)], [10.05], now=0.5)
    assert [e["n"] for e in kept] == [2]
    assert [e["n"] for e in flt.expire(now=0.75)] == [3]


def test_trailing_held_event_is_superseded_by_a_newer_kept_one():
    flt = IntervalFilter(0.1, trailing=True)
    assert kept_times(flt, [ev(0.0, n=1), ev(0.05, n=2), ev(0.12, n=3)], now=0.0) == [0.0, 0.12]
    assert flt.expire(now=1.0) == []
    assert flt.suppressed == 1


def test_trailing_held_events_are_released_at_shutdown():
    flt = IntervalFilter(0.1, trailing=True)
    kept_times(flt, [ev(0.0, probe="a"), ev(0.05, probe="a"), ev(0.0, probe="b")])
    assert [e["t"] for e in flt.release_all()] == [0.05]
    assert flt.suppressed == 0


def test_idle_streams_are_forgotten():
    flt = IntervalFilter(0.1)
    kept_times(flt, [ev(0.0, probe="old")], now=0.0)
    kept_times(flt, [ev(0.0, probe="new")], now=50.0)
    assert flt.forget_idle(now=60.0, idle=30.0) == 1
    assert kept_times(flt, [ev(0.05, probe="old")], now=60.0) == [0.05]  # forgotten: new again
    assert kept_times(flt, [ev(0.05, probe="new")], now=60.0) == []  # remembered: too soon
