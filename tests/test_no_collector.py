"""An instrumented program with nobody listening finishes and exits promptly."""

from __future__ import annotations

import json
import time

from collector.pipeline.endpoints import free_tcp_endpoint
from tests.helpers import run_program


def test_program_exits_promptly_with_no_collector():
    started = time.monotonic()
    # no progress events (a long min_interval): the run event, the loop's start and end, f's
    # start, the marks
    result = run_program(
        "busy_loop", endpoint=free_tcp_endpoint(), timeout=30, HOTPROBE_MIN_INTERVAL="600"
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert (stats["sent"], stats["queued"], stats["dropped"]) == (0, 4 + 5000, 0)
    assert stats["connected"] is False
    warnings = [line for line in result.stderr.splitlines() if "hotprobe:" in line]
    assert len(warnings) == 1, result.stderr  # f's end joined them at exit
    assert "5005 events never accepted" in warnings[0] and "dropped at exit" in warnings[0]
    assert elapsed < 15, f"took {elapsed:.1f} s: the exit is not bounded"


def test_disabled_probe_sends_nothing():
    result = run_program("disabled_probe", endpoint=free_tcp_endpoint(), HOTPROBE_DISABLE="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "0"]
