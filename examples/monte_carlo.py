"""Scientific code with the probe left in: a Monte Carlo estimate of pi with numpy.

hotprobe collect &            # in one terminal
python examples/monte_carlo.py
"""

import numpy as np

import probe


@probe.track
def throw(rng: np.random.Generator, darts: int) -> int:
    """One batch of darts; returns how many land inside the quarter circle."""
    xy = rng.random((darts, 2))
    return int(np.count_nonzero((xy**2).sum(axis=1) <= 1.0))


def estimate_pi(batches: int = 2_000, darts: int = 10_000, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    inside = 0
    for done in probe.iterate(range(1, batches + 1), "batches"):
        inside += throw(rng, darts)
        if done % 500 == 0:
            probe.emit("estimate", pi=4 * inside / (done * darts), batches=done)
    return 4 * inside / (batches * darts)


if __name__ == "__main__":
    print(f"pi ~ {estimate_pi():.5f}")
