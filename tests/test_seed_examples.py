"""The seed's own clients work against the collector unchanged in spirit."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT, read_jsonl, wait_for

EXAMPLES = ROOT / "examples"


def run_example(name: str, *args: str) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_plain_string_pings_are_accepted(tmp_path, start_collector):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    run_example("seed_pair_client.py", "--endpoint", collector.endpoint, "--count", "25")
    assert wait_for(lambda: len(read_jsonl(out)) == 25), collector.stderr
    assert collector.stop() == 0
    events = read_jsonl(out)
    assert [e["message"] for e in events] == [f"ping {i}" for i in range(1, 26)]
    assert all("timestamp" in e for e in events)


def test_json_dicts_without_timestamps_are_stamped_on_arrival(tmp_path, start_collector):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    run_example("seed_json_client.py", "--endpoint", collector.endpoint, "--count", "50")
    assert wait_for(lambda: len(read_jsonl(out)) == 50), collector.stderr
    assert collector.stop() == 0
    events = read_jsonl(out)
    assert all({"apples", "oranges", "bananas", "timestamp"} <= set(e) for e in events)
    assert not (tmp_path / "hotprobe-dead-letter.jsonl").exists()


def test_monte_carlo_example_runs_with_no_collector():
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "monte_carlo.py")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("pi ~ 3.1")
