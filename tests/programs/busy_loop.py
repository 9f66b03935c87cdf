"""200,000 tracked iterations and 5,000 marks; prints ``probe.stats()``."""

import json

import probe


@probe.track
def f(x):
    return x


for i in probe.iterate(range(200_000), "loop"):
    f(i)
for i in range(5000):
    probe.emit("marks", i=i)
print(json.dumps(probe.stats()))
