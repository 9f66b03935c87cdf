"""The demo's scientific workload: estimate pi by Monte Carlo, instrumented with the probe."""

from __future__ import annotations

import os
import random
import time

import probe


@probe.track
def sample(rng: random.Random) -> bool:
    """One dart: does it land inside the unit quarter circle?"""
    x, y = rng.random(), rng.random()
    return x * x + y * y <= 1.0


def estimate_pi(seconds: float) -> float:
    rng = random.Random(42)
    inside = total = 0
    deadline = time.monotonic() + seconds
    batches = 40
    with probe.progress("estimate_pi", total=batches) as bar:
        for batch in range(batches):
            for _ in probe.iterate(range(20_000), "darts"):
                inside += sample(rng)
            total += 20_000
            bar.update(estimate=4 * inside / total)
            time.sleep(max(0.0, (deadline - time.monotonic()) / (batches - batch)))
    probe.emit("result", pi=4 * inside / total, darts=total)
    return 4 * inside / total


if __name__ == "__main__":
    estimate_pi(float(os.environ.get("HOTPROBE_DEMO_SECONDS", "3")))
