"""How long a send takes in the program's threads when many busy threads send at once.

    PYTHONPATH=. python benchmarks/probe_threads.py [--threads 64] [--items 20000]

A measuring process runs ``--threads`` threads, each looping with ``probe.iterate`` over busy
work (``min_interval`` 1 ms, so progress events are frequent) and sending a ``probe.emit``
mark every 100 items, which it times: one event built and sent from the calling thread. A bare
PAIR + PULL reader bound to the probe's endpoints counts the ``end`` events that arrive.
Printed: send time p50 / p99 / max, how many sends took longer than ``exit_timeout`` (0.5 s),
and the streams whose ``end`` arrived.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from _common import clean_environment, start_reader

from collector.pipeline.endpoints import free_tcp_endpoint

MEASURE = """
import json, sys, threading, time
import probe

durations = []

def worker(k, items):
    for i in probe.iterate(range(items), f"stream-{k}"):
        sum(range(30))
        if i % 100 == 0:
            started = time.perf_counter()
            probe.emit(f"mark-{k}", i=i)
            durations.append(time.perf_counter() - started)

count, items = int(sys.argv[1]), int(sys.argv[2])
threads = [threading.Thread(target=worker, args=(k, items)) for k in range(count)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"durations": durations, "stats": probe.stats()}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=64)
    parser.add_argument("--items", type=int, default=20_000)
    args = parser.parse_args()
    endpoint = free_tcp_endpoint()
    reader = start_reader(endpoint, count_ends=True)
    env = clean_environment()
    env.update(HOTPROBE_ENDPOINT=endpoint, HOTPROBE_MIN_INTERVAL="0.001")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(args.threads), str(args.items)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        reader.kill()
        raise SystemExit(f"measuring process failed:\n{result.stderr}")
    ends = int(reader.communicate(timeout=60)[0].strip())
    measured = json.loads(result.stdout)
    durations = sorted(measured["durations"])

    def quantile(q: float) -> float:
        return durations[min(len(durations) - 1, int(q * len(durations)))] * 1000

    over = sum(d > 0.5 for d in durations)
    stats = measured["stats"]
    print(f"{args.threads} threads x {args.items} items, {len(durations)} sends in {elapsed:.1f} s")
    print(
        f"send time ms: p50 {quantile(0.5):.3f}  p99 {quantile(0.99):.3f}  "
        f"max {durations[-1] * 1000:.1f}; over 0.5 s: {over} ({100 * over / len(durations):.1f}%)"
    )
    print(f"probe stats: sent {stats['sent']} dropped {stats['dropped']}")
    print(f"streams whose end arrived: {ends} of {args.threads}")


if __name__ == "__main__":
    main()
