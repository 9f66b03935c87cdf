"""A probe program for the alert tests: ``python notify_workload.py KIND [ARG]``.

``fail``: one stream that fails at 7/10. ``stall SECONDS``: a stream that goes quiet for
SECONDS, then resumes and ends, while a tracked function called once before is not called
again (idle, which is no stall). ``mixed``: two streams that end and one that fails.
``pool N``: N streams in four Pool workers, every one failing (two with MemoryError).
"""

from __future__ import annotations

import contextlib
import sys
import time
from multiprocessing import get_context

import probe


def fail(name: str = "fit", error: type[Exception] = ValueError) -> None:
    with contextlib.suppress(Exception), probe.progress(name, total=10) as p:
        for _ in range(7):
            p.update()
        raise error(f"{name} diverged")


@probe.track
def prepare() -> None:
    """A tracked function: its stream's unit is ``call``."""


def chunk(index: int) -> None:
    fail(f"chunk[{index}]", MemoryError if index in (5, 17) else ValueError)


def main(kind: str, argument: str = "") -> None:
    if kind == "fail":
        fail()
    elif kind == "stall":
        prepare()
        with probe.progress("slow", total=3) as p:
            p.update()
            time.sleep(float(argument))
            p.update()
            p.update()
    elif kind == "mixed":
        for name in ("load", "save"):
            for _ in probe.iterate(range(5), name):
                pass
        fail()
    elif kind == "pool":
        with get_context("spawn").Pool(4) as pool:
            pool.map(chunk, range(int(argument)))


if __name__ == "__main__":
    main(*sys.argv[1:])
