"""Several threads share the process's one socket and its streams: no corrupted message, no
lost stream, no lost count; on CPython with its GIL and, where one is installed, without it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict

import pytest

from tests.helpers import ROOT, last_stats, read_jsonl, run_program, wait_for

THREADS = 8
CALLS = 20_000
#: Names a free-threaded CPython to run the probe on, else ``python3.14t``/``python3.13t``.
FREE_THREADED_VARIABLE = "HOTPROBE_TEST_FREE_THREADED_PYTHON"
_NO_GIL_CHECK = "import sys, zmq; sys.exit(sys._is_gil_enabled())"


def free_threaded_python() -> str:
    """A CPython running without the GIL with the probe's dependencies, or a skip saying why."""
    names = [os.environ.get(FREE_THREADED_VARIABLE), "python3.14t", "python3.13t"]
    found = [path for path in map(shutil.which, filter(None, names)) if path]
    if not found:
        pytest.skip(f"no free-threaded CPython: none on PATH, {FREE_THREADED_VARIABLE} unset")
    check = subprocess.run(
        [found[0], "-c", _NO_GIL_CHECK], capture_output=True, text=True, timeout=60
    )
    if check.returncode != 0:
        pytest.skip(f"{found[0]} cannot run the probe without the GIL: {check.stderr[-500:]}")
    return found[0]


@pytest.mark.parametrize("gil", [True, False], ids=["with-gil", "free-threaded"])
def test_threads_using_the_probe_at_once(tmp_path, start_collector, gil):
    python, env = sys.executable, {}
    if not gil:
        python, env = free_threaded_python(), {"PYTHONPATH": str(ROOT)}
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    result = run_program(
        "shared_threads",
        str(THREADS),
        str(CALLS),
        endpoint=collector.endpoint,
        python=python,
        timeout=180.0,
        **env,
    )
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["dropped"] == 0

    def ended():
        return {e["probe"] for e in read_jsonl(out) if e["event"] == "end"}

    assert wait_for(lambda: len(ended()) == 3 + 2 * THREADS), ended()
    assert collector.stop() == 0
    assert last_stats(collector.stderr).counts["rejected"] == 0, collector.stderr

    streams = defaultdict(list)
    for event in read_jsonl(out):
        streams[event["probe"]].append(event)
    assert [e["event"] for e in streams.pop("<run>")] == ["run"]
    assert len(streams) == 3 + 3 * THREADS
    for name, events in streams.items():
        assert [e["seq"] for e in events] == list(range(len(events))), name
    # every thread counted on the same three streams: not one count lost
    shared = (("shared", CALLS), ("shared-bar", CALLS), ("shared-items", 1000))
    for name, calls in shared:
        kinds = [e["event"] for e in streams[name]]
        assert kinds[0] == "start" and kinds[-1] == "end" and kinds.count("start") == 1, name
        assert streams[name][-1]["n"] == THREADS * calls, name
    for k in range(THREADS):
        for name, n in ((f"iterate-{k}", 50_000), (f"progress-{k}", 3000)):
            kinds = [e["event"] for e in streams[name]]
            assert kinds[0] == "start" and kinds[-1] == "end", name
            assert streams[name][-1]["n"] == n, name
        assert streams[f"progress-{k}"][-1]["data"] == {"thread": k}
        assert [e["data"]["i"] for e in streams[f"mark-{k}"]] == list(range(200))
