"""Per-iteration overhead of the probe against tqdm's, side by side in one process.

    PYTHONPATH=. python benchmarks/probe_overhead.py [--n 200000] [--repeats 7]

Runs one measuring process per setting: a collector attached (a bare PAIR + PULL reader bound
to the probe's endpoints), the same with CURVE encryption, a reader killed and restarted every
0.3 s (the probe reconnects each time), the reader stopped with SIGSTOP, nobody listening, and
``HOTPROBE_DISABLE=1`` (read at import, hence the separate processes). Each measuring process
times, in interleaved repeats, a bare loop, the tqdm anchors and the probe's counterparts, and
reports medians. Printed ratios are the probe's overhead over the bare loop divided by tqdm's;
the goals come from issue 3.
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
import threading
import time
from statistics import median

from _common import clean_environment, iteration_parser, run_measuring, start_reader

from collector.curve.keygen import generate
from collector.pipeline.endpoints import free_tcp_endpoint

GOALS = {"iterate": 0.5, "update": 0.7, "track": 1.0}
ANCHORS = {
    "iterate": "probe.iterate(range(N)) vs tqdm(range(N), file=devnull)",
    "update": "Progress.update() vs tqdm.update()",
    "track": "@probe.track call over a plain call vs tqdm's per-iteration overhead",
}


def measure(n: int, repeats: int) -> dict[str, float | bool]:
    """Median seconds per iteration of every variant, in this process."""
    from tqdm import tqdm

    import probe

    devnull = open(os.devnull, "w")  # noqa: SIM115 - open for the whole measurement

    def work(x):
        return x

    tracked = probe.track(name="bench.track")(work)
    tracked_to_total = probe.track(name="bench.track-total", total=n)(work)  # ends every loop

    def bare():
        for _ in range(n):
            pass

    def tqdm_iterate():
        for _ in tqdm(range(n), file=devnull):
            pass

    def probe_iterate():
        for _ in probe.iterate(range(n), "bench.iterate"):
            pass

    def tqdm_update():
        with tqdm(total=n, file=devnull) as bar:
            for _ in range(n):
                bar.update()

    def probe_update():
        with probe.progress("bench.update", total=n) as p:
            for _ in range(n):
                p.update()

    class UpdateWithoutFields(probe.Progress):
        """``Progress.update`` minus ``**fields``: what accepting fields costs per call."""

        __slots__ = ()

        def update(self, k: int = 1) -> None:
            n = self.n = self.n + k
            if n >= self._next_check:
                self._next_check = self.checkpoint()

    def update_without_fields():
        with UpdateWithoutFields("bench.update-without-fields", n, None) as p:
            for _ in range(n):
                p.update()

    def plain_call():
        for i in range(n):
            work(i)

    def tracked_call():
        for i in range(n):
            tracked(i)

    def tracked_to_total_call():
        for i in range(n):
            tracked_to_total(i)

    variants = [
        bare,
        tqdm_iterate,
        probe_iterate,
        tqdm_update,
        probe_update,
        update_without_fields,
        plain_call,
        tracked_call,
        tracked_to_total_call,
    ]
    times: dict[str, list[float]] = {v.__name__: [] for v in variants}
    for _ in range(repeats):
        for variant in variants:
            started = time.perf_counter()
            variant()
            times[variant.__name__].append((time.perf_counter() - started) / n)
    result = {name: median(values) for name, values in times.items()}
    result["sent"] = probe.stats()["sent"]
    result["enabled"] = probe.stats()["enabled"]
    return result


def ratios(t: dict[str, float]) -> dict[str, tuple[float, float, float]]:
    """(probe overhead, tqdm overhead, ratio) per comparison, overheads in seconds."""
    tqdm_iteration = t["tqdm_iterate"] - t["bare"]
    pairs = {
        "iterate": (t["probe_iterate"] - t["bare"], tqdm_iteration),
        "update": (t["probe_update"] - t["bare"], t["tqdm_update"] - t["bare"]),
        "track": (t["tracked_call"] - t["plain_call"], tqdm_iteration),
    }
    return {k: (ours, theirs, ours / theirs) for k, (ours, theirs) in pairs.items()}


class RestartingReader:
    """A reader on ``endpoint`` killed and started again every ``period`` seconds."""

    def __init__(self, endpoint: str, period: float = 0.3) -> None:
        self.endpoint, self.period, self.restarts = endpoint, period, 0
        self.reader = start_reader(endpoint)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self.reader.kill()
            self.reader.wait()
            self.reader = start_reader(self.endpoint)
            self.restarts += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.reader.kill()
        self.reader.wait()


def main() -> None:
    parser = iteration_parser(
        __doc__, n=200_000, repeats=7, repeats_help="repeats (medians are reported)"
    )
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.n, args.repeats)))
        return

    base = clean_environment()
    listening, encrypted, restarting, stopped, silent = (free_tcp_endpoint() for _ in range(5))
    with tempfile.TemporaryDirectory(prefix="hotprobe-bench-keys-") as keys:
        server_public, server_secret = map(str, generate(keys, "collector"))  # secrets: 0600
        client_secret = str(generate(keys, "client")[1])
        curve = {"HOTPROBE_SERVER_KEY": server_public, "HOTPROBE_CLIENT_KEY": client_secret}
        settings = {
            "collector attached": dict(base, HOTPROBE_ENDPOINT=listening),
            "collector attached, CURVE": dict(base, HOTPROBE_ENDPOINT=encrypted, **curve),
            "collector restarted every 0.3 s": dict(base, HOTPROBE_ENDPOINT=restarting),
            "collector stopped (SIGSTOP)": dict(base, HOTPROBE_ENDPOINT=stopped),
            "no collector": dict(base, HOTPROBE_ENDPOINT=silent),
            "HOTPROBE_DISABLE=1": dict(base, HOTPROBE_ENDPOINT=silent, HOTPROBE_DISABLE="1"),
        }
        readers = [
            start_reader(listening),
            start_reader(stopped),
            start_reader(encrypted, server_secret),
        ]
        readers[1].send_signal(signal.SIGSTOP)
        results = {}
        try:
            for label, env in settings.items():
                if env["HOTPROBE_ENDPOINT"] != restarting:
                    results[label] = run_measuring(__file__, args, env, timeout=600, label=label)
                    continue
                restarter = RestartingReader(restarting)  # only while this setting runs
                try:
                    results[label] = run_measuring(__file__, args, env, timeout=600, label=label)
                finally:
                    restarter.stop()
                results[label]["restarts"] = restarter.restarts
        finally:
            for reader in readers:
                reader.send_signal(signal.SIGCONT)
                reader.kill()
                reader.wait()

    print(f"n={args.n} iterations per loop, medians of {args.repeats} repeats, ns per iteration")
    for label, times in results.items():
        print(f"\n[{label}]  bare loop {times['bare'] * 1e9:.1f} ns, events sent {times['sent']}")
        if "restarts" in times:
            print(f"  the collector was restarted {times['restarts']} times meanwhile")
        for key, (ours, theirs, ratio) in ratios(times).items():
            verdict = "ok" if ratio <= GOALS[key] else "OVER GOAL"
            print(
                f"  {ANCHORS[key]:<70} probe {ours * 1e9:6.1f}  tqdm {theirs * 1e9:6.1f}  "
                f"ratio {ratio:5.2f}x (goal <= {GOALS[key]}x) {verdict}"
            )
        if times["enabled"]:
            fields_cost = (times["probe_update"] - times["update_without_fields"]) * 1e9
            print(f"  accepting **fields in Progress.update costs {fields_cost:.1f} ns per call")
            total_cost = (times["tracked_to_total_call"] - times["tracked_call"]) * 1e9
            print(f"  a total on @probe.track (it ends there) costs {total_cost:.1f} ns per call")


if __name__ == "__main__":
    main()
