"""100 calls of a function tracked with total=100, the time they took printed as JSON, a
second of idling, a mark, then 10 more calls (the next epoch)."""

import json
import time

import probe


@probe.track(total=100)
def step(i):
    time.sleep(0.002)


started = time.perf_counter()
for i in range(100):
    step(i)
print(json.dumps({"loop": time.perf_counter() - started}), flush=True)
time.sleep(1.0)  # the process lives on after the last call
probe.emit("later")
for i in range(10):
    step(i)
