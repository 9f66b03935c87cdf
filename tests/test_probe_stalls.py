"""The hot loop never waits for the collector: what cannot be sent is counted and reported."""

from __future__ import annotations

import json
import signal
import subprocess

from collector.pipeline.endpoints import free_tcp_endpoint
from tests.helpers import probe_environment, program, read_jsonl, run_program, wait_for

FLOOD = 200_000


def test_a_stopped_collector_costs_drops_not_time_and_the_drops_are_reported(
    tmp_path, start_collector
):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    flooding = subprocess.Popen(
        program("flood_while_stopped", str(FLOOD)),
        env=probe_environment(collector.endpoint),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        json.loads(flooding.stdout.readline())
        assert wait_for(lambda: any(e["probe"] == "before" for e in read_jsonl(out)))
        collector.proc.send_signal(signal.SIGSTOP)
        flooding.stdin.write("go\n")
        flooding.stdin.flush()
        during = json.loads(flooding.stdout.readline())  # the flood finished while stopped
        collector.proc.send_signal(signal.SIGCONT)
        flooding.stdin.write("go\n")
        flooding.stdin.flush()
        after = json.loads(flooding.stdout.readline())

        def reporting():
            return [e for e in read_jsonl(out) if e["dropped"] > 0]

        assert wait_for(reporting, timeout=60), collector.stderr
        flooding.stdin.write("exit\n")
        flooding.stdin.flush()
        assert flooding.wait(timeout=30) == 0
    finally:
        collector.proc.send_signal(signal.SIGCONT)
        flooding.kill()
    assert during["dropped"] > 0
    # the run event, "before", the flood
    assert during["sent"] + during["queued"] + during["dropped"] == 2 + FLOOD
    assert after["dropped_since_last_send"] == 0
    assert after["dropped"] >= during["dropped"]
    assert collector.stop() == 0
    # every drop is reported once, by the next event the sender took after it
    assert sum(e["dropped"] for e in reporting()) == after["dropped"]
    flood = [e["seq"] for e in read_jsonl(out) if e["probe"] == "flood"]
    assert flood == sorted(flood)
    assert len(flood) <= FLOOD - during["dropped"]  # seq gaps: what the probe dropped


def test_with_no_collector_the_send_queue_fills_and_the_rest_is_counted():
    result = run_program(
        "fill_send_queue", endpoint=free_tcp_endpoint(), timeout=60, HOTPROBE_MIN_INTERVAL="600"
    )
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["sent"] == 0  # nobody accepted any: ZeroMQ was given none
    # the queue's bound (and the one mark the sender holds), then nothing blocks; the run
    # event and the loop's start and end have an allowance of their own
    assert stats["queued"] - 3 in (10_000, 10_001)
    assert stats["queued"] + stats["dropped"] == 30_000 + 3  # the marks, run, start, end
    assert stats["open_streams"] == 0


def test_a_socket_error_is_logged_once_and_never_raised():
    result = run_program("track_and_emit", endpoint="bogus://nowhere", timeout=60)
    assert result.returncode == 0, result.stderr
    dropped, sent = map(int, result.stdout.split())
    assert sent == 0 and dropped >= 1000
    warnings = [line for line in result.stderr.splitlines() if "hotprobe:" in line]
    assert len(warnings) == 1, result.stderr
    assert "cannot connect" in warnings[0]
