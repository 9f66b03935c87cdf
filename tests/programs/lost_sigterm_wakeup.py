"""A forked worker whose SIGTERM lands on another thread while its main thread sleeps in a C
call (argv[1] ``held``: a main thread that blocks SIGTERM too); prints the worker's pid and
exit code."""

import multiprocessing
import signal
import sys
import threading

import probe


@probe.track
def work(x):
    return x


def worker(hold_sigterm: bool) -> None:
    work(1)  # opens the socket: the probe now handles SIGTERM in this worker
    helper = next(t for t in threading.enumerate() if t.name == "hotprobe-sigterm")
    if hold_sigterm:  # a main thread that no signal can interrupt
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    # SIGTERM lands on another thread while the main thread is blocked in a C call, as when it
    # arrives just before the main thread blocks: Python has seen it, the main thread sleeps on.
    threading.Timer(0.5, signal.pthread_kill, (helper.ident, signal.SIGTERM)).start()
    threading.Event().wait()


if __name__ == "__main__":
    held = sys.argv[1] == "held"
    process = multiprocessing.get_context("fork").Process(target=worker, args=(held,))
    process.start()
    process.join(timeout=30)
    print(process.pid, process.exitcode)
