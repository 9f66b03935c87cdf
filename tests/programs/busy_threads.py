"""64 busy threads, each looping with ``probe.iterate`` over 20,000 items on its own stream;
prints ``probe.stats()``."""

import json
import threading

import probe

THREADS = 64


def worker(k):
    for _ in probe.iterate(range(20_000), f"stream-{k}"):
        sum(range(20))  # busy: every thread wants the GIL all the time


threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(probe.stats()))
