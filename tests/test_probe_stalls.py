"""The hot loop never waits for the collector: what cannot be sent is counted and reported."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

from collector.pipeline.endpoints import free_tcp_endpoint
from tests.conftest import read_jsonl, run_python, wait_for

FLOOD = 200_000

STOPPED_COLLECTOR = f"""
    import json, sys, time
    import probe

    def report():
        print(json.dumps(probe.stats()), flush=True)

    probe.emit("before")
    report()
    sys.stdin.readline()                  # the collector is stopped now
    for i in range({FLOOD}):
        probe.emit("flood", i=i)
    report()
    sys.stdin.readline()                  # the collector runs again
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        probe.emit("after")
        if probe.stats()["dropped_since_last_send"] == 0:
            break
        time.sleep(0.01)
    report()
    sys.stdin.readline()                  # the report arrived: exit (queue empty, no linger)
"""


def test_a_stopped_collector_costs_drops_not_time_and_the_drops_are_reported(
    tmp_path, start_collector
):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTPROBE_")}
    env["HOTPROBE_ENDPOINT"] = collector.endpoint
    program = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(STOPPED_COLLECTOR)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        json.loads(program.stdout.readline())
        assert wait_for(lambda: any(e["probe"] == "before" for e in read_jsonl(out)))
        collector.proc.send_signal(signal.SIGSTOP)
        program.stdin.write("go\n")
        program.stdin.flush()
        during = json.loads(program.stdout.readline())  # the flood finished while stopped
        collector.proc.send_signal(signal.SIGCONT)
        program.stdin.write("go\n")
        program.stdin.flush()
        after = json.loads(program.stdout.readline())

        def reporting():
            return [e for e in read_jsonl(out) if e["dropped"] > 0]

        assert wait_for(reporting, timeout=60), collector.stderr
        program.stdin.write("exit\n")
        program.stdin.flush()
        assert program.wait(timeout=30) == 0
    finally:
        collector.proc.send_signal(signal.SIGCONT)
        program.kill()
    assert during["dropped"] > 0
    assert during["sent"] + during["dropped"] == 2 + FLOOD  # the run event, "before", the flood
    assert after["dropped_since_last_send"] == 0
    assert after["dropped"] >= during["dropped"]
    assert collector.stop() == 0
    [report] = reporting()  # the drops were one run, reported by the next event through
    assert report["dropped"] == after["dropped"]
    flood = [e["seq"] for e in read_jsonl(out) if e["probe"] == "flood"]
    assert flood == sorted(flood)
    assert len(flood) <= FLOOD - during["dropped"]  # seq gaps: what the probe dropped


def test_with_no_collector_the_send_queue_fills_and_the_rest_is_counted():
    code = """
        import json
        import probe

        for i in range(30_000):
            probe.emit("marks", i=i)
        for _ in probe.iterate(range(1_000_000), "loop"):
            pass
        print(json.dumps(probe.stats()))
    """
    result = run_python(code, free_tcp_endpoint(), timeout=60)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["dropped"] > 0
    assert stats["sent"] <= 10_000 + 1  # the queue's high-water mark, then nothing blocks
    assert stats["open_streams"] == 0


def test_a_socket_error_is_logged_once_and_never_raised():
    code = """
        import probe

        @probe.track
        def f(x):
            return x

        for i in range(1000):
            f(i)
            probe.emit("marks", i=i)
        print(probe.stats()["dropped"], probe.stats()["sent"])
    """
    result = run_python(code, "bogus://nowhere", timeout=60)
    assert result.returncode == 0, result.stderr
    dropped, sent = map(int, result.stdout.split())
    assert sent == 0 and dropped >= 1000
    warnings = [line for line in result.stderr.splitlines() if "hotprobe:" in line]
    assert len(warnings) == 1, result.stderr
    assert "cannot connect" in warnings[0]
