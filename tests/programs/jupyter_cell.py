"""A notebook cell: a tracked function, a loop, a progress bar left open; prints the pid."""

import os

import probe


@probe.track
def step(x):
    return x


for i in range(1000):
    step(i)
for _ in probe.iterate(range(100), "cell-loop"):
    pass
bar = probe.progress("open-bar", total=10)
bar.__enter__()
bar.update(5)
print(os.getpid())
