"""A program that used the probe exits promptly however it ends, collector or not, and tries
to send the ``end`` of every open stream first."""

from __future__ import annotations

import signal
import time

import pytest

from collector.pipeline.endpoints import free_tcp_endpoint
from tests.helpers import read_jsonl, run_program, wait_for

HANG = 10.0  # seconds: far above the 1 s target, only to tell a hang from a slow machine

ENDINGS = {"normal": 0, "sys.exit": 3, "uncaught exception": 1}  # how it ends: its status


@pytest.mark.parametrize("ending", ENDINGS)
@pytest.mark.parametrize("collector_state", ["listening", "none", "stopped"])
def test_exit_is_bounded_and_ends_are_sent(tmp_path, start_collector, ending, collector_state):
    out = tmp_path / "events.jsonl"
    status = ENDINGS[ending]
    if collector_state == "none":
        endpoint = free_tcp_endpoint()
    else:
        collector = start_collector("--interval", "0", "--sink", f"file:{out}")
        endpoint = collector.endpoint
        if collector_state == "stopped":
            collector.proc.send_signal(signal.SIGSTOP)
    try:
        result = run_program("exit_with_open_streams", ending, endpoint=endpoint, timeout=60)
        exited = time.time()
    finally:
        if collector_state == "stopped":
            collector.proc.send_signal(signal.SIGCONT)
    assert result.returncode == status, result.stderr
    exit_seconds = exited - float(result.stdout.split()[0])
    print(f"\nexit took {exit_seconds:.3f} s ({ending}, collector {collector_state})")
    assert exit_seconds < HANG
    if collector_state == "listening":

        def ends():
            return {e["probe"]: e["n"] for e in read_jsonl(out) if e["event"] == "end"}

        assert wait_for(lambda: len(ends()) == 3), collector.stderr
        assert ends() == {"work": 500, "loop": 400, "bar": 3}
