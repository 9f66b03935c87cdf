"""argv[1] threads share the process's socket: argv[2] calls of one tracked function each,
then a loop, a progress bar and 200 marks of their own; prints ``probe.stats()``."""

import json
import sys

from _threads import run_in_threads

import probe

threads, calls = int(sys.argv[1]), int(sys.argv[2])


@probe.track
def shared(x):
    return x


def worker(k: int) -> None:
    for i in range(calls):
        shared(i)
    for _ in probe.iterate(range(50_000), f"iterate-{k}"):
        pass
    with probe.progress(f"progress-{k}", total=3000) as p:
        for _ in range(3000):
            p.update(thread=k)
    for i in range(200):
        probe.emit(f"mark-{k}", i=i)


run_in_threads(worker, threads)
print(json.dumps(probe.stats()))
