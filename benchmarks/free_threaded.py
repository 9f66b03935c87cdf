"""The probe's shared counting paths on any CPython, free-threaded or not, beside tqdm's.

    PYTHONPATH=. python benchmarks/free_threaded.py [--python python3.14t] [--n 300000]

A measuring process runs on ``--python`` (default: this interpreter; it needs the probe's
``pyzmq`` and tqdm), with no collector listening: events are queued and dropped, the hot paths
are the same. One thread first, per call or unit over a bare loop, best of ``--repeats``:

- ``@probe.track`` call overhead vs tqdm's per-iteration overhead;
- ``Progress.update()`` vs ``tqdm.update()``;
- ``probe.iterate`` vs ``tqdm(range)`` (one thread's loop: never locked).

Then ``--threads`` threads share one tracked function, one ``probe.progress`` bar and one tqdm
bar, ``--n`` calls each: the counts each ends with against the calls made, and the time per
call. Without the GIL the probe counts these under the stream's lock; tqdm does not lock its
``n``, so its count may come out short.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from _common import clean_environment

MEASURE = """
import json, os, sys, threading, time
import probe, tqdm

n, repeats, threads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
devnull = open(os.devnull, "w")

def best(run):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) / n * 1e9)
    return min(times)

def plain(x):
    return x

tracked = probe.track(plain)

def calls(function):
    def run():
        for i in range(n):
            function(i)
    return run

def bare_loop():
    for _ in range(n):
        pass

def updates(make_bar):
    def run():
        with make_bar() as bar:
            for _ in range(n):
                bar.update()
    return run

def iterations(wrap):
    def run():
        for _ in wrap(range(n)):
            pass
    return run

loop = best(bare_loop)
call = best(calls(plain))
tqdm_iteration = best(iterations(lambda r: tqdm.tqdm(r, file=devnull))) - loop
one_thread = {
    "track": (best(calls(tracked)) - call, tqdm_iteration),
    "update": (
        best(updates(lambda: probe.progress("bar"))) - loop,
        best(updates(lambda: tqdm.tqdm(file=devnull))) - loop,
    ),
    "iterate": (best(iterations(lambda r: probe.iterate(r, "loop"))) - loop, tqdm_iteration),
}

def shared(step):
    workers = [
        threading.Thread(target=lambda: [step(i) for i in range(n)]) for _ in range(threads)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return (time.perf_counter() - started) / (n * threads) * 1e9

shared_track = probe.track(plain)
with probe.progress("shared") as probe_bar:
    probe_ns = shared(lambda i: (shared_track(i), probe_bar.update()))
with tqdm.tqdm(file=devnull) as tqdm_bar:
    tqdm_ns = shared(lambda i: tqdm_bar.update())
gil = sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else True
print(json.dumps({
    "python": sys.version.split()[0], "gil": gil, "loop": loop, "one_thread": one_thread,
    "made": n * threads, "track_n": shared_track.__hotprobe_stream__.n,
    "progress_n": probe_bar.n, "tqdm_n": tqdm_bar.n, "probe_ns": probe_ns, "tqdm_ns": tqdm_ns,
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable, help="the interpreter measured")
    parser.add_argument("--n", type=int, default=300_000, help="calls per loop and per thread")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    result = subprocess.run(
        [args.python, "-c", MEASURE, str(args.n), str(args.repeats), str(args.threads)],
        env={**clean_environment(), "HOTPROBE_ENDPOINT": "tcp://127.0.0.1:9"},  # nobody listens
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if result.returncode != 0:
        raise SystemExit(f"the measuring process failed:\n{result.stderr}")
    figures = json.loads(result.stdout.splitlines()[-1])
    print(
        f"python {figures['python']}, GIL {'on' if figures['gil'] else 'off'}, "
        f"n={args.n}, best of {args.repeats}, bare loop {figures['loop']:.1f} ns"
    )
    for name, (probe_ns, tqdm_ns) in figures["one_thread"].items():
        print(
            f"  one thread, {name:<8} probe {probe_ns:6.1f} ns  tqdm {tqdm_ns:6.1f} ns  "
            f"ratio {probe_ns / tqdm_ns:4.2f}x"
        )
    made = figures["made"]
    print(f"  {args.threads} threads sharing, {made:,} calls made:")
    for name in ("track", "progress", "tqdm"):
        counted = figures[f"{name}_n"]
        print(f"    {name:<8} counted {counted:>10,}  lost {made - counted:>9,}")
    print(
        f"    per call: probe (track + update) {figures['probe_ns']:.1f} ns, "
        f"tqdm update {figures['tqdm_ns']:.1f} ns"
    )


if __name__ == "__main__":
    main()
