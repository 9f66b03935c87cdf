"""Plain tqdm, no probe: bars in the main process, in fork, spawn and forkserver workers, and
in process_map tasks under spawn. Run with HOTPROBE_TQDM=1."""

import multiprocessing
import sys

from tqdm import tqdm
from tqdm.contrib.concurrent import process_map


def task(i):
    for _ in tqdm(range(10 + i), desc=f"task-{i}"):
        pass
    return i


def worker(kind):
    for _ in tqdm(range(7), desc=f"worker-{kind}"):
        pass


if __name__ == "__main__":
    multiprocessing.set_start_method("spawn")  # before tqdm makes its lock: process_map's
    for _ in tqdm(range(25), desc="main"):
        pass
    for kind in ("fork", "spawn", "forkserver"):
        process = multiprocessing.get_context(kind).Process(target=worker, args=(kind,))
        process.start()
        process.join()
    results = process_map(task, range(4), max_workers=2, desc="process_map")
    print(sorted(results), "probe" in sys.modules)
