"""30,000 marks and a 1,000,000-item loop with nobody listening; prints ``probe.stats()``."""

import json

import probe

for i in range(30_000):
    probe.emit("marks", i=i)
for _ in probe.iterate(range(1_000_000), "loop"):
    pass
print(json.dumps(probe.stats()))
