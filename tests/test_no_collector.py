"""An instrumented program with nobody listening finishes and exits promptly."""

from __future__ import annotations

import time

from collector.pipeline.endpoints import free_tcp_endpoint
from tests.helpers import run_program


def test_program_exits_promptly_with_no_collector():
    started = time.monotonic()
    result = run_program("busy_loop", endpoint=free_tcp_endpoint(), timeout=30)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
    assert elapsed < 15, f"took {elapsed:.1f} s: the exit is not bounded"


def test_disabled_probe_sends_nothing():
    result = run_program("disabled_probe", endpoint=free_tcp_endpoint(), HOTPROBE_DISABLE="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "0"]
