"""One event's whole journey: probe APIs in a real process -> collector process -> file."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
from collections import defaultdict
from datetime import datetime

import pytest

from tests.conftest import read_jsonl, run_python, wait_for

WORKLOAD = """
    import time
    import probe

    @probe.track
    def step(x):
        time.sleep(0.0005)
        return x * 2

    for i in range(400):
        step(i)

    for item in probe.iterate(range(300), "loop"):
        time.sleep(0.0005)

    with probe.progress("solve", total=200) as p:
        for i in range(200):
            time.sleep(0.0005)
            p.update(residual=1.0 / (i + 1))

    probe.emit("checkpoint", loss=0.25)
"""

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
    result = run_python(WORKLOAD, collector.endpoint)
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
    result = run_python(WORKLOAD, collector.endpoint)
    assert result.returncode == 0, result.stderr
    wait_for(lambda: len(read_jsonl(out)) >= 7)
    assert collector.stop() == 0
    streams = by_stream(read_jsonl(out))
    for name in ("step", "loop", "solve"):
        assert [e["event"] for e in streams[name]] == ["start", "end"], name


def test_errors_are_sent_and_reraised_unchanged(tmp_path, start_collector):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    code = """
        import probe

        class Boom(Exception):
            pass

        @probe.track("flaky")
        def flaky(x):
            if x == 3:
                raise Boom("x was 3")
            return x

        for i in range(5):
            try:
                flaky(i)
            except Boom as exc:
                assert str(exc) == "x was 3"

        try:
            with probe.progress("ctx") as p:
                p.update()
                raise KeyError("missing")
        except KeyError:
            pass

        def broken():
            yield 1
            raise ValueError("bad item")

        try:
            for _ in probe.iterate(broken(), "gen"):
                pass
        except ValueError:
            pass
    """
    result = run_python(code, collector.endpoint)
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
    code = """
        import time
        import probe
        for i in range(1_000_000):
            probe.emit("marks", i=i)
            time.sleep(0.0002)
    """
    env = dict(os.environ, HOTPROBE_ENDPOINT=collector.endpoint)
    sender = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env)
    try:
        assert wait_for(lambda: len(read_jsonl(out)) > 200), collector.stderr
        status = collector.stop(sig)  # while events are still streaming in
    finally:
        sender.kill()
        sender.wait(timeout=10)
    assert status == 0, collector.stderr
    kept = int(re.search(r"kept=(\d+)", collector.stderr).group(1))
    marks = [e["data"]["i"] for e in read_jsonl(out)]
    assert len(marks) == kept > 200
    assert marks == sorted(set(marks))
