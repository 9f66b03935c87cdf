"""A mark every 0.2 ms, ``i`` counting up, until it is killed."""

import time

import probe

for i in range(1_000_000):
    probe.emit("marks", i=i)
    time.sleep(0.0002)
