"""64 busy threads, each looping with ``probe.iterate`` over 20,000 items on its own stream;
prints ``probe.stats()``."""

import json

from _threads import run_in_threads

import probe

THREADS = 64


def worker(k):
    for _ in probe.iterate(range(20_000), f"stream-{k}"):
        sum(range(20))  # busy: every thread wants the GIL all the time


run_in_threads(worker, THREADS)
print(json.dumps(probe.stats()))
