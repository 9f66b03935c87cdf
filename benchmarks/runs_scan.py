"""``hotprobe runs`` over a large file beside a bare loop that only reads lines and parses them.

    PYTHONPATH=. python benchmarks/runs_scan.py [--events 5000000] [--repeats 3]

Writes a JSON-lines file of probe events as the file sink writes them (50 runs of 20 streams,
start / progress / end, one mark per run), then times, in one process and interleaved repeats:

  (a) ``for line in file: orjson.loads(line)``;
  (b) what ``hotprobe runs FILE`` does: read, summarise every run, print the table (to a
      discarded stream).

The ratio is rate (b) / rate (a) (goal: >= 0.5). The resident memory of (b) is reported
before and after, to show that it does not grow with the file.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import sys
import tempfile
import time
from contextlib import redirect_stdout
from datetime import datetime, timedelta, timezone

import orjson

from collector.cli import main as hotprobe

RUNS, STREAMS = 50, 20


def write_events(path: str, count: int) -> None:
    """``count`` events shaped as the probe writes them and the collector keeps them."""
    per_run = count // RUNS
    per_stream = max(3, per_run // STREAMS)
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with open(path, "wb") as file:
        for r in range(RUNS):
            run = f"train-202611{r + 1:02d}T000000-{r:06x}"
            lines = []
            for i in range(per_stream):
                for s in range(STREAMS):
                    kind = "start" if i == 0 else "end" if i == per_stream - 1 else "progress"
                    when = start + timedelta(days=r, seconds=i * 0.1 + s * 0.001)
                    event = {
                        "v": 1,
                        "timestamp": when.isoformat(timespec="microseconds"),
                        "probe": f"worker_{s % 5}",
                        "event": kind,
                        "n": i,
                        "total": per_stream - 1,
                        "unit": "it",
                        "elapsed": i * 0.1,
                        "rate": 10.0,
                        "host": "node01",
                        "pid": 1000 + s,
                        "run": run,
                        "seq": i,
                        "dropped": 0,
                    }
                    lines.append(orjson.dumps(event) + b"\n")
            file.write(b"".join(lines))


def bare(path: str) -> int:
    loads, count = orjson.loads, 0
    with open(path, "rb") as file:
        for line in file:
            loads(line)
            count += 1
    return count


def runs_command(path: str) -> int:
    with redirect_stdout(io.StringIO()):
        status = hotprobe(["runs", path, "--limit", "100"])
    assert status == 0, status
    return 0


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hotprobe-runs-") as directory:
        path = os.path.join(directory, "events.jsonl")
        write_events(path, args.events)
        size = os.path.getsize(path)
        events = bare(path)
        print(f"{events:,} events, {size / 1e6:,.0f} MB, {RUNS} runs of {STREAMS} streams")
        bare_times, runs_times, ratios = [], [], []
        rss_before = rss_mb()
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            bare(path)
            t1 = time.perf_counter()
            runs_command(path)
            t2 = time.perf_counter()
            bare_times.append(t1 - t0)
            runs_times.append(t2 - t1)
            ratios.append((t1 - t0) / (t2 - t1))
        bare_rate = events / statistics.median(bare_times)
        runs_rate = events / statistics.median(runs_times)
        print(f"  (a) read lines + orjson.loads: {bare_rate:,.0f} events/s")
        print(f"  (b) hotprobe runs:             {runs_rate:,.0f} events/s")
        print(
            f"  ratio (b)/(a): {runs_rate / bare_rate:.2f}x "
            f"(paired median {statistics.median(ratios):.2f}x; goal >= 0.5x)"
        )
        print(f"  peak RSS: {rss_before:,.0f} MB before the repeats, {rss_mb():,.0f} MB after")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
