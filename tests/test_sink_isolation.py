"""A sink that always fails and one that takes 5 s per batch hold up nobody else."""

from __future__ import annotations

import time

from tests.event_sender import make_events, send
from tests.helpers import install_sink_plugin, last_stats, read_jsonl, wait_for


def test_failing_and_slow_sinks_do_not_delay_a_file_sink(tmp_path, monkeypatch, start_collector):
    install_sink_plugin("hotprobe_test_sinks", tmp_path / "plugin", monkeypatch)
    out, slept = tmp_path / "events.jsonl", tmp_path / "slept.txt"
    collector = start_collector(
        "--interval", "0", "--shutdown-timeout", "4",
        "--sink", "failing", "--sink", f"sleepy:{slept}", "--sink", f"file:{out}",
    )  # fmt: skip
    events = make_events(400)
    send(collector.endpoint, events[:200])
    assert wait_for(lambda: len(read_jsonl(out)) == 200, timeout=10), collector.stderr
    send(collector.endpoint, events[200:])
    assert wait_for(lambda: len(read_jsonl(out)) == 400, timeout=10), collector.stderr
    assert not slept.exists(), "the file sink was only as fast as a 5 s batch"

    started = time.monotonic()
    assert collector.stop() == 0, collector.stderr
    assert time.monotonic() - started < 4 + 3  # the shutdown bound, plus process exit
    assert [e["seq"] for e in read_jsonl(out)] == list(range(400))
    assert "this sink always fails" in collector.stderr
    failing = last_stats(collector.stderr).sink("failing")
    sleepy = last_stats(collector.stderr).sink("sleepy")
    assert failing["in_spool"] == 400 and failing["lost"] == 0 and failing["retried"] > 0
    assert sleepy["written"] + sleepy["in_spool"] >= 400 and sleepy["lost"] == 0
