"""The demo's scientific workload, instrumented with the probe: estimate pi by Monte Carlo in
this process while four Markov chains run in worker processes (one of them diverges)."""

from __future__ import annotations

import math
import multiprocessing
import os
import random
import time

import probe

CHAINS = 4
DIVERGING_CHAIN = 2


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
            for _ in range(20_000):
                inside += sample(rng)
            total += 20_000
            bar.update(estimate=4 * inside / total)
            time.sleep(max(0.0, (deadline - time.monotonic()) / (batches - batch)))
    probe.emit("result", pi=4 * inside / total, darts=total)
    return 4 * inside / total


def run_chain(chain: int, seconds: float) -> str:
    """A Metropolis random walk on a standard normal, paced to last about ``seconds``;
    the diverging chain raises two thirds of the way through."""
    rng = random.Random(chain)
    steps = 300 * (chain + 1)
    pause = seconds * (0.5 + 0.15 * chain) / steps
    x = 0.0
    try:
        with probe.progress(f"chain[{chain}]", total=steps) as bar:
            for step in range(steps):
                proposal = x + rng.gauss(0.0, 1.0)
                if rng.random() < math.exp(min(0.0, (x * x - proposal * proposal) / 2)):
                    x = proposal
                if chain == DIVERGING_CHAIN and step == 2 * steps // 3:
                    raise FloatingPointError(f"chain {chain} diverged at step {step}")
                bar.update(x=x)
                time.sleep(pause)
    except FloatingPointError as exc:
        return str(exc)
    return f"chain {chain} done"


def main(seconds: float) -> None:
    with multiprocessing.get_context("spawn").Pool(CHAINS) as pool:
        chains = pool.starmap_async(run_chain, [(c, seconds) for c in range(CHAINS)])
        estimate_pi(seconds)
        chains.get(timeout=seconds + 60)


if __name__ == "__main__":
    main(float(os.environ.get("HOTPROBE_DEMO_SECONDS", "3")))
