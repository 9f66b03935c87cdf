"""A run worth drawing: a tracked step inside a progress bar, a loop, and a bar that fails."""

import time

import probe


@probe.track
def step():
    time.sleep(0.002)


with probe.progress("solve", total=120) as p:
    for _ in range(120):
        step()
        p.update()
for _ in probe.iterate(range(80), "load"):
    time.sleep(0.004)
try:
    with probe.progress("fit", total=100) as p:
        for _ in range(60):
            time.sleep(0.004)
            p.update()
        raise ValueError("diverged")
except ValueError:
    pass
