"""The seed's own clients work against the collector unchanged in spirit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT, read_jsonl, wait_for

EXAMPLES = ROOT / "examples"


def run_example(name: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``examples/<name>`` with ``args`` to a status of 0."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result


def collected(tmp_path: Path, start_collector, example: str, count: int) -> list[dict]:
    """The events a collector's file sink wrote while ``example`` sent ``count`` messages."""
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    run_example(example, "--endpoint", collector.endpoint, "--count", str(count))
    assert wait_for(lambda: len(read_jsonl(out)) == count), collector.stderr
    assert collector.stop() == 0
    return read_jsonl(out)


def test_plain_string_pings_are_accepted(tmp_path, start_collector):
    events = collected(tmp_path, start_collector, "seed_pair_client.py", 25)
    assert [e["message"] for e in events] == [f"ping {i}" for i in range(1, 26)]
    assert all("timestamp" in e for e in events)


def test_json_dicts_without_timestamps_are_stamped_on_arrival(tmp_path, start_collector):
    events = collected(tmp_path, start_collector, "seed_json_client.py", 50)
    assert all({"apples", "oranges", "bananas", "timestamp"} <= set(e) for e in events)
    assert not (tmp_path / "hotprobe-dead-letter.jsonl").exists()


def test_monte_carlo_example_runs_with_no_collector():
    assert run_example("monte_carlo.py").stdout.startswith("pi ~ 3.1")
