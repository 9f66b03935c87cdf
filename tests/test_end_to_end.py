"""One event's whole journey: probe APIs in a real process -> collector process -> file."""

from __future__ import annotations

import signal
import subprocess
from collections import defaultdict
from datetime import datetime

import pytest

from tests.helpers import last_stats, probe_environment, program, read_jsonl, run_program, wait_for

FIELD_TYPES = {
    "v": int,
    "timestamp": str,
    "probe": str,
    "event": str,
    "n": int,
    "total": (int, type(None)),
    "unit": (str, type(None)),
    "elapsed": (int, float),
    "rate": (int, float, type(None)),
    "host": str,
    "pid": int,
    "run": str,
    "seq": int,
    "dropped": int,
}


def by_stream(events: list[dict]) -> dict[str, list[dict]]:
    streams = defaultdict(list)
    for event in events:
        streams[event["probe"]].append(event)
    return streams


def test_every_api_reaches_the_file_with_all_protocol_fields(tmp_path, start_collector):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    result = run_program("every_api", endpoint=collector.endpoint)
    assert result.returncode == 0, result.stderr
    wait_for(lambda: any(e.get("probe") == "step" and e["event"] == "end" for e in read_jsonl(out)))
    assert collector.stop() == 0

    streams = by_stream(read_jsonl(out))
    assert set(streams) == {"<run>", "step", "loop", "solve", "checkpoint"}
    assert [e["event"] for e in streams["<run>"]] == ["run"]  # tests/test_run_event.py
    for name, events in streams.items():
        for event in events:
            for field, kind in FIELD_TYPES.items():
                assert isinstance(event[field], kind), (name, field, event)
            assert event["v"] == 1
            assert datetime.fromisoformat(event["timestamp"]).utcoffset().total_seconds() == 0
            assert event["dropped"] == 0
        seqs = [e["seq"] for e in events]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), (name, seqs)
        assert len({e["run"] for e in events}) == 1
    for name, total in (("step", 400), ("loop", 300), ("solve", 200)):
        kinds = [e["event"] for e in streams[name]]
        assert kinds[0] == "start" and kinds[-1] == "end", (name, kinds)
        assert "progress" in kinds, (name, kinds)
        assert streams[name][-1]["n"] == total
    assert streams["loop"][0]["total"] == 300
    assert streams["solve"][-1]["data"]["residual"] == pytest.approx(1 / 200)
    assert {name: streams[name][0]["unit"] for name in streams} == {
        "<run>": None,
        "step": "call",
        "loop": "it",
        "solve": "it",
        "checkpoint": None,
    }
    assert [e["event"] for e in streams["checkpoint"]] == ["mark"]
    assert streams["checkpoint"][0]["data"] == {"loss": 0.25}


def test_interval_filter_thins_progress_but_keeps_start_and_end(tmp_path, start_collector):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "10", "--sink", f"file:{out}")
    result = run_program("every_api", endpoint=collector.endpoint)
    assert result.returncode == 0, result.stderr
    wait_for(lambda: len(read_jsonl(out)) >= 7)
    assert collector.stop() == 0
    streams = by_stream(read_jsonl(out))
    for name in ("step", "loop", "solve"):
        assert [e["event"] for e in streams[name]] == ["start", "end"], name


def test_errors_are_sent_and_reraised_unchanged(tmp_path, start_collector):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    result = run_program("errors_reraised", endpoint=collector.endpoint)
    assert result.returncode == 0, result.stderr
    wait_for(lambda: len([e for e in read_jsonl(out) if e["event"] == "error"]) >= 3)
    assert collector.stop() == 0
    streams = by_stream(read_jsonl(out))
    flaky_error = next(e for e in streams["flaky"] if e["event"] == "error")
    assert flaky_error["error"] == {"type": "Boom", "message": "x was 3"}
    assert streams["flaky"][-1]["event"] == "end" and streams["flaky"][-1]["n"] == 4
    assert streams["ctx"][-1]["error"]["type"] == "KeyError"
    assert streams["gen"][-1]["error"] == {"type": "ValueError", "message": "bad item"}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_with_status_0_and_keeps_every_kept_event(tmp_path, start_collector, sig):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0.1", "--sink", f"file:{out}")
    sender = subprocess.Popen(program("endless_marks"), env=probe_environment(collector.endpoint))
    try:
        assert wait_for(lambda: len(read_jsonl(out)) > 200), collector.stderr
        status = collector.stop(sig)  # while events are still streaming in
    finally:
        sender.kill()
        sender.wait(timeout=10)
    assert status == 0, collector.stderr
    kept = last_stats(collector.stderr).counts["kept"]
    run, *rest = read_jsonl(out)
    assert run["event"] == "run"  # the sender's run event first, then its marks
    marks = [e["data"]["i"] for e in rest]
    assert len(marks) + 1 == kept > 200
    assert marks == sorted(set(marks))
