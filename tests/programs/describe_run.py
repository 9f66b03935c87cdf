"""Labels set before the first event, then events from this process, two spawned pool
workers and a subprocess, all of one run."""

import multiprocessing
import os
import subprocess
import sys

import probe


def child(_):
    probe.emit("in-child", pid=os.getpid())


if __name__ == "__main__":
    probe.configure(labels={"lr": 0.1, "model": "small"})
    probe.emit("parent")
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(child, range(2))
    subprocess.run([sys.executable, "-c", "import probe; probe.emit('in-subprocess')"], check=True)
