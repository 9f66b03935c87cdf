"""Streams that end when they should, and tqdm's keywords on ``probe.iterate``."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

import probe
from collector.pipeline.endpoints import free_tcp_endpoint
from plugins.live.board import DONE, LiveBoard
from tests.helpers import read_jsonl, run_program, wait_for


def collect(start_collector, tmp_path, name: str, done) -> tuple[list[dict], str]:
    """Run ``tests/programs/<name>.py`` against a collector keeping everything, until
    ``done(events)``; returns the events and what the program printed."""
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    result = run_program(name, endpoint=collector.endpoint)
    assert result.returncode == 0, result.stderr
    assert wait_for(lambda: done(read_jsonl(out)))
    assert collector.stop() == 0
    return read_jsonl(out), result.stdout


def test_a_tracked_function_with_a_total_ends_there_with_its_recent_rate(start_collector, tmp_path):
    events, stdout = collect(
        start_collector,
        tmp_path,
        "track_to_total",
        lambda events: sum(e["event"] == "end" for e in events if e["probe"] == "step") == 2,
    )
    loop = json.loads(stdout)["loop"]
    step = [e for e in events if e["probe"] == "step"]
    kinds = [e["event"] for e in step]
    first_end = kinds.index("end")
    assert kinds[0] == "start" and set(kinds[1:first_end]) <= {"progress"}
    assert kinds[first_end + 1 :][0] == "start" and kinds[-1] == "end"
    end, last = step[first_end], step[-1]
    assert (end["n"], end["total"], end["unit"]) == (100, 100, "call")
    assert last["n"] == 10 and step[first_end + 1]["n"] == 0  # the next epoch counts afresh
    [later] = [e for e in events if e["probe"] == "later"]
    assert datetime.fromisoformat(end["timestamp"]) < datetime.fromisoformat(later["timestamp"])
    assert 0.5 * loop <= end["elapsed"] <= loop  # the calls' time, not the process's

    board = LiveBoard()
    board.update(step[: first_end + 1], now=0.0)
    [row] = board.snapshot(now=60.0).rows
    assert board.snapshot(now=60.0).statuses == [DONE]  # not "98/100 stalled"
    assert row.rate == pytest.approx(100 / end["elapsed"])
    assert row.rate >= 100 / loop


def test_iterate_takes_tqdm_keywords_with_their_meaning_or_refuses_them(start_collector, tmp_path):
    events, stdout = collect(
        start_collector,
        tmp_path,
        "iterate_keywords",
        lambda events: any(e["probe"] == "fast" and e["event"] == "end" for e in events),
    )
    by_name: dict[str, list[dict]] = {}
    for event in events:
        by_name.setdefault(event["probe"], []).append(event)
    assert set(by_name) == {"<run>", "load", "slow", "fast", "bytes"}  # disable=True: nothing
    assert {e["unit"] for e in by_name["bytes"]} == {"B"} and "data" not in by_name["bytes"][0]
    load = by_name["load"]
    assert (load[0]["event"], load[-1]["event"], load[-1]["n"]) == ("start", "end", 5)
    assert {e["unit"] for e in load} == {"batch"}  # a slow machine may add a progress event
    assert "data" not in load[0]  # desc and unit are not data
    slow = [e for e in by_name["slow"] if e["event"] == "progress"]
    fast = [e for e in by_name["fast"] if e["event"] == "progress"]
    assert len(slow) <= by_name["slow"][-1]["elapsed"] / 0.5 + 1
    assert len(fast) > len(slow)
    leave, position, ncols, both = json.loads(stdout)
    assert "'leave'" in leave and "draws no bar" in leave
    assert "'position'" in position and "'ncols'" in ncols
    assert both == "probe.iterate() takes a name or desc, not both"


def test_iterate_refuses_before_anything_is_sent():
    probe.configure(endpoint=free_tcp_endpoint())  # this process's probe: nobody listens
    before = probe.stats()["sent"] + probe.stats()["dropped"]
    with pytest.raises(TypeError, match="'bar_format', 'leave'"):
        probe.iterate(range(3), leave=True, bar_format="{l_bar}")
    assert probe.stats()["sent"] + probe.stats()["dropped"] == before
    assert list(probe.iterate(range(3), unit="x", fold=2)) == [0, 1, 2]  # own fields still pass
