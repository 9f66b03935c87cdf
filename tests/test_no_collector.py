"""An instrumented program with nobody listening finishes and exits promptly."""

from __future__ import annotations

import time

from collector.pipeline.endpoints import free_tcp_endpoint
from tests.helpers import run_python

BUSY = """
    import probe

    @probe.track
    def f(x):
        return x

    for i in probe.iterate(range(200_000), "loop"):
        f(i)
    for i in range(5000):
        probe.emit("marks", i=i)   # far more than the send queue holds
    print(probe.stats()["dropped"] > 0 or probe.stats()["sent"] > 0)
"""


def test_program_exits_promptly_with_no_collector():
    started = time.monotonic()
    result = run_python(BUSY, free_tcp_endpoint(), timeout=30)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
    assert elapsed < 15, f"took {elapsed:.1f} s: the exit is not bounded"


def test_disabled_probe_sends_nothing():
    code = """
        import probe

        @probe.track
        def f(x):
            return x

        assert not hasattr(f, "__hotprobe_stream__")
        data = [1, 2, 3]
        assert probe.iterate(data) is data
        probe.emit("x")
        print(probe.stats()["sent"], probe.stats()["dropped"])
    """
    result = run_python(code, free_tcp_endpoint(), HOTPROBE_DISABLE="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "0"]
