"""A probe program for the history tests: ``python history_workload.py KIND``.

``done``: two streams that end. ``pool``: four Pool workers on one stream name, the third of
which fails. ``hang``: a stream that starts and never ends (the test kills the process).
``calls``: a tracked function called a few times, its stream ended at exit. ``quiet``: the same
function called a few times, then quiet while a loop over a tracked generator goes on, then
the loop stalls too and neither ends (the test kills the process).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from multiprocessing import get_context

import probe


def work(rank: int) -> int:
    with probe.progress("chunk", total=50) as p:
        for _ in range(50):
            time.sleep(0.001)
            p.update(loss=1.0 / (rank + 1))
            if rank == 2 and p.n >= 20:
                raise ValueError(f"rank {rank} diverged")
    return rank


@probe.track
def step(x: int) -> int:
    return 2 * x


@probe.track
def produce(count: int) -> Iterator[int]:
    yield from range(count)


def main(kind: str) -> None:
    if kind == "done":
        for _ in probe.iterate(range(40), "load"):
            time.sleep(0.001)
        with probe.progress("fit", total=30) as p:
            for i in range(30):
                time.sleep(0.002)
                p.update(loss=1.0 / (i + 1))
        probe.emit("checkpoint", epoch=1)
    elif kind == "pool":
        with get_context("spawn").Pool(4, maxtasksperchild=1) as pool:  # 4 processes
            results = [pool.apply_async(work, (rank,)) for rank in range(4)]
            for result in results:
                with contextlib.suppress(ValueError):  # the failing rank's error
                    result.get(timeout=60)
    elif kind == "hang":
        with probe.progress("forever", total=1000) as p:
            for _ in range(5):
                p.update()
            print("started", flush=True)
            time.sleep(60)
    elif kind == "calls":
        for i in range(7):
            step(i)
    elif kind == "quiet":
        for i in range(5):
            step(i)
        loop = probe.iterate(produce(1000), "loop", total=1000)
        for i, _ in enumerate(loop):  # the run goes on without a call of step
            time.sleep(0.002)
            if i == 20:
                print("stalled", flush=True)
                time.sleep(60)


if __name__ == "__main__":
    main(sys.argv[1])
