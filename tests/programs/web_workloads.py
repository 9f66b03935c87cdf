"""Workloads for the web view's browser tests, chosen by argv[1]:

``slow STEPS DELAY`` one loop ``train`` of STEPS items, DELAY seconds each;
``pool`` four Pool workers, each a loop ``chunk`` of 25 items;
``fail`` a stream ``fit`` that raises after 3 of 10 units, beside a loop ``load`` that ends;
``named NAME`` one short loop called NAME.
"""

import multiprocessing
import sys
import time

import probe

_barrier = None


def meet(barrier) -> None:
    global _barrier
    _barrier = barrier


def chunk(_: int) -> None:
    _barrier.wait(30)  # four tasks at once: each in its own worker
    for _ in probe.iterate(range(25), "chunk"):
        time.sleep(0.01)


def fail() -> None:
    for _ in probe.iterate(range(5), "load"):
        pass
    try:
        with probe.progress("fit", total=10) as progress:
            progress.update(3)
            raise ValueError("diverged at step 3")
    except ValueError:
        pass


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "slow":
        steps, delay = int(sys.argv[2]), float(sys.argv[3])
        for _ in probe.iterate(range(steps), "train", loss=0.5):
            time.sleep(delay)
    elif kind == "pool":
        context = multiprocessing.get_context("fork")
        with context.Pool(4, initializer=meet, initargs=(context.Barrier(4),)) as pool:
            pool.map(chunk, range(4), chunksize=1)
    elif kind == "fail":
        fail()
    elif kind == "named":
        for _ in probe.iterate(range(5), sys.argv[2]):
            pass
