"""Tracked work in worker processes started the way argv[1] says (``fork``, ``spawn`` or
``executor``), argv[2] tasks; prints the parent's pid and the workers' pids as JSON."""

import json
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import probe


@probe.track
def work(x):
    return os.getpid()


def run(kind: str, tasks: int) -> set[int]:
    if kind == "executor":
        with ProcessPoolExecutor(4) as executor:
            return set(executor.map(work, range(tasks)))
    with multiprocessing.get_context(kind).Pool(4) as pool:  # leaves through terminate()
        return set(pool.map(work, range(tasks), chunksize=1))


if __name__ == "__main__":
    for _ in probe.iterate(range(10), "parent-before"):  # the parent's socket exists before
        pass
    pids = run(sys.argv[1], int(sys.argv[2]))
    for _ in probe.iterate(range(10), "parent-after"):
        pass
    print(json.dumps({"parent": os.getpid(), "workers": sorted(pids)}))
