"""tqdm's own test suite (vendored in tests/third_party/tqdm/) run twice, plain and with
``probe.patch_tqdm()`` in force, the patched bars sending to a real collector: every test has
the same outcome both times, so patching changes nothing tqdm's own tests can see.

Left out of the vendored suite: tests_perf.py (timings, which depend on the machine's speed),
and tests_keras.py, tests_dask.py, tests_gui.py, tests_tk.py (tensorflow, dask, a matplotlib
window, tkinter: not installed for the tests, so they would only skip).
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers import probe_environment, read_jsonl

SUITE = Path(__file__).parent / "third_party" / "tqdm"
SUITE_TIMEOUT = 600.0


def outcomes(report: Path) -> dict[str, str]:
    """``{test id: passed | failed | skipped}`` from a JUnit XML report."""
    results = {}
    for case in ElementTree.parse(report).iter("testcase"):
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
            elif child.tag == "skipped":
                outcome = "skipped"
        results[f"{case.get('classname')}::{case.get('name')}"] = outcome
    return results


def run_suite(tmp_path: Path, endpoint: str, patched: bool) -> dict[str, str]:
    report = tmp_path / f"tqdm-suite-{'patched' if patched else 'plain'}.xml"
    patch = ["-p", "hotprobe_patch"] if patched else []
    options = ["-c", "pytest.ini", "--rootdir", ".", "-q", f"--junitxml={report}"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *patch, *options, "."],
        cwd=SUITE,
        env=probe_environment(endpoint),
        capture_output=True,
        text=True,
        timeout=SUITE_TIMEOUT,
    )
    assert report.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    return outcomes(report)


@pytest.mark.slow
def test_tqdm_own_suite_has_the_same_outcomes_patched(tmp_path, start_collector):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    plain = run_suite(tmp_path, collector.endpoint, patched=False)
    patched = run_suite(tmp_path, collector.endpoint, patched=True)
    assert collector.stop() == 0

    summary = Counter(plain.values())
    print(f"\ntqdm's suite, plain: {dict(summary)}; patched: {dict(Counter(patched.values()))}")
    assert summary["passed"] >= 150, summary  # the vendored suite is really there and runs
    assert patched == plain, {t: (plain.get(t), patched.get(t)) for t in plain | patched}

    events = read_jsonl(out)
    assert events, "only the patched run sends, and it did"
    pids = {event["pid"] for event in events}
    starts = Counter(event["event"] for event in events)
    print(
        f"patched run: {starts['start']} bars started, {starts['end']} ended, "
        f"{starts['error']} ended by an error, from {len(pids)} process(es)"
    )
    assert starts["start"] >= 200
    assert starts["end"] + starts["error"] >= 0.9 * starts["start"]
