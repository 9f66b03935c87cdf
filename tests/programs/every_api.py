"""Every probe API once: a tracked function, ``iterate``, ``progress`` with data, a mark."""

import time

import probe


@probe.track
def step(x):
    time.sleep(0.0005)
    return x * 2


for i in range(400):
    step(i)

for _ in probe.iterate(range(300), "loop"):
    time.sleep(0.0005)

with probe.progress("solve", total=200) as p:
    for i in range(200):
        time.sleep(0.0005)
        p.update(residual=1.0 / (i + 1))

probe.emit("checkpoint", loss=0.25)
