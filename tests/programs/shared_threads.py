"""argv[1] threads share the process's socket and its streams: argv[2] calls each of one
tracked function and of one progress bar's ``update``, 1000 items each of one tracked
generator, then a loop, a progress bar and 200 marks of their own; prints ``probe.stats()``."""

import json
import sys

from _threads import run_in_threads

import probe

threads, calls = int(sys.argv[1]), int(sys.argv[2])


@probe.track
def shared(x):
    return x


@probe.track("shared-items")
def items(count):
    yield from range(count)


def worker(k: int) -> None:
    for i in range(calls):
        shared(i)
        bar.update()
    for _ in items(1000):
        pass
    for _ in probe.iterate(range(50_000), f"iterate-{k}"):
        pass
    with probe.progress(f"progress-{k}", total=3000) as p:
        for _ in range(3000):
            p.update(thread=k)
    for i in range(200):
        probe.emit(f"mark-{k}", i=i)


with probe.progress("shared-bar") as bar:
    run_in_threads(worker, threads)
print(json.dumps(probe.stats()))
