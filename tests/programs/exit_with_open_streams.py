"""Leaves streams open and messages unsent, prints the time, then ends as argv[1] says:
``normal``, ``sys.exit`` (status 3) or ``uncaught exception``."""

import sys
import time

import probe


@probe.track
def work(x):
    return x


for i in range(500):
    work(i)
loop = probe.iterate(range(1000), "loop")
for i in loop:
    if i == 400:
        break  # abandoned: its generator is still referenced
bar = probe.progress("bar", total=10)
bar.__enter__()
bar.update(3)  # left open
for i in range(2000):
    probe.emit("marks", i=i)  # unsent messages for the linger to wait on
print(time.time(), flush=True)
ending = sys.argv[1]
if ending == "sys.exit":
    sys.exit(3)
if ending == "uncaught exception":
    raise RuntimeError("boom")
