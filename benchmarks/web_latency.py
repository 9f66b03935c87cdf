"""The web view in a real browser: latency from a probe event to the page, and a run of
10,000 streams from 200 processes.

    PYTHONPATH=. python benchmarks/web_latency.py [--samples N] [--streams N] [--processes N]

A collector process runs with ``--sink web?port=0``; headless Chromium (the system's, driven
by Selenium) opens the page. Events go over a real PAIR socket, as the probe sends them.

  latency   one stream, with the sink's own default delivery (``max_delay`` 0.02 s: how long
            an event may wait for its batch) and with every other sink's ``max_delay=0.2``;
            each event carries a new ``n``, its send time noted.
            A MutationObserver in the page notes when the row's count shows that ``n`` or a
            later one (``performance.timeOrigin + performance.now()``, the same machine's
            clock). Events 0.05 to 1 s apart: some arrive while the page is idle, some while
            an update was just sent (the next waits for the interval).
            Printed: p50, p95 and max of (shown - sent), with the page's update interval.
  scale     ``--streams`` streams from ``--processes`` processes in one run, either sharing
            names across processes (``grouped``: one group row per name) or all named apart
            (``distinct``: one row each). The page is opened once the collector holds them
            all; then a stream in ten gets a new event every second for ``--seconds``.
            Printed: first paint (navigation start to the first rows drawn, from the page's
            ``hotprobe:first-paint`` mark), how long each update took to apply (the page's
            ``hotprobe:apply`` measures: message received to rows drawn) against the update
            interval, and how many row elements the page holds (only what is on screen).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
import zmq

from collector.pipeline.endpoints import free_tcp_endpoint
from probe.protocol import PROTOCOL_VERSION
from tests.helpers import chromium, wait_for, web_url

INTERVAL = 0.5
OBSERVE = """
window.seen = [];
const rows = document.getElementById('rows');
new MutationObserver(() => {
  const at = performance.timeOrigin + performance.now();
  for (const row of rows.children) {
    const name = row.querySelector('.c-name');
    if (name && name.textContent === 'latency') {
      window.seen.push([row.querySelector('.c-count').textContent, at]);
    }
  }
}).observe(rows, {subtree: true, childList: true, characterData: true});
"""


def event(probe: str, kind: str, n: int, total: int, pid: int, **data) -> bytes:
    return orjson.dumps(
        {
            "v": PROTOCOL_VERSION,
            "probe": probe,
            "event": kind,
            "n": n,
            "total": total,
            "rate": 10.0,
            "host": "node01",
            "pid": pid,
            "run": "bench-run",
            "data": data,
        }
    )


class Collector:
    def __init__(self, workdir: str, max_delay: float | None = None) -> None:
        self.endpoint = free_tcp_endpoint()
        self.err = Path(workdir) / f"collector-{time.monotonic_ns()}.err"
        option = f"web?port=0&interval={INTERVAL}"
        if max_delay is not None:
            option += f"&max_delay={max_delay}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "collector", "--bind", self.endpoint, "--sink", option],
            stdout=subprocess.DEVNULL,
            stderr=self.err.open("wb"),
        )
        self.url = wait_for(lambda: web_url(self.err.read_text()), timeout=30)
        if not self.url:
            raise SystemExit(f"collector did not start:\n{self.err.read_text()}")
        self.sock = zmq.Context.instance().socket(zmq.PAIR)
        self.sock.setsockopt(zmq.SNDHWM, 200_000)
        self.sock.connect(self.endpoint)

    def send(self, messages: list[bytes]) -> None:
        """Send, then take the collector's answers on PAIR, as the probe does."""
        for message in messages:
            self.sock.send(message)
        with contextlib.suppress(zmq.Again):
            while True:
                self.sock.recv(zmq.NOBLOCK)

    def stop(self) -> None:
        self.sock.close(linger=1000)
        self.proc.terminate()
        self.proc.wait(timeout=30)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def latency(workdir: str, samples: int, max_delay: float | None) -> None:
    collector = Collector(workdir, max_delay)
    browser = chromium()
    try:
        collector.send([event("latency", "start", 0, samples, pid=1)])
        browser.get(collector.url)
        wait_for(lambda: browser.execute_script("return document.querySelector('.c-count')"))
        browser.execute_script(OBSERVE)
        sent: dict[int, float] = {}
        for n in range(1, samples + 1):
            time.sleep(random.uniform(0.05, 1.0))  # mostly past the collector's 0.1 s interval
            sent[n] = time.time() * 1000
            collector.send([event("latency", "progress", n, samples, pid=1)])
        final = f"{samples}/{samples}"
        wait_for(
            lambda: any(c == final for c, _ in browser.execute_script("return window.seen")),
            timeout=30,
        )
        shown = [
            (int(c.split("/")[0]), at) for c, at in browser.execute_script("return window.seen")
        ]
        # An event is on the page once the count shows it or a later one.
        delays = [
            next(at for m, at in shown if m >= n) - moment
            for n, moment in sent.items()
            if any(m >= n for m, _ in shown)
        ]
        print(
            f"latency, probe event to page ({len(delays)} of {samples} events shown, 0.05-1 s "
            "apart; update "
            f"interval {INTERVAL * 1000:.0f} ms; sink max_delay "
            f"{'0.02 (its own default)' if max_delay is None else max_delay} s): "
            f"p50 {percentile(delays, 0.5):.0f} ms, "
            f"p95 {percentile(delays, 0.95):.0f} ms, max {max(delays):.0f} ms"
        )
    finally:
        browser.quit()
        collector.stop()


def scale(workdir: str, streams: int, processes: int, seconds: float, grouped: bool) -> None:
    collector = Collector(workdir)
    per_process = streams // processes
    names = [
        [f"step_{j}" if grouped else f"task_{pid}_{j}" for j in range(per_process)]
        for pid in range(processes)
    ]
    browser = chromium()
    try:
        collector.send(
            [
                event(names[pid][j], "start", 0, 1000, pid=1000 + pid)
                for pid in range(processes)
                for j in range(per_process)
            ]
        )
        state = collector.url + "api/state"
        browser.get(state)
        wait_for(
            lambda: browser.find_element("tag name", "body").text.count('"probe"') >= streams,
            timeout=60,
        )
        browser.get(collector.url)
        paint = wait_for(
            lambda: browser.execute_script(
                "const m = performance.getEntriesByName('hotprobe:first-paint');"
                "return m.length ? m[0].startTime : null"
            ),
            timeout=60,
        )
        rows = browser.execute_script("return document.querySelectorAll('#rows > .row').length")
        shown = browser.execute_script("return document.getElementById('rows').style.height")
        browser.execute_script("performance.clearMeasures('hotprobe:apply')")
        rng = random.Random(1)
        n = 0
        deadline = time.monotonic() + seconds
        sent = 0
        while time.monotonic() < deadline:
            n += 10
            batch = []
            for _ in range(streams // 10):
                pid = rng.randrange(processes)
                j = rng.randrange(per_process)
                batch.append(event(names[pid][j], "progress", n, 1000, pid=1000 + pid))
            collector.send(batch)
            sent += len(batch)
            time.sleep(1.0)
        time.sleep(2 * INTERVAL)
        applied = browser.execute_script(
            "return performance.getEntriesByName('hotprobe:apply').map(m => m.duration)"
        )
        kind = "grouped (one row per name)" if grouped else "distinct (one row per stream)"
        print(
            f"scale, {streams:,} streams from {processes} processes, {kind}: first paint "
            f"{paint:.0f} ms; {len(applied)} updates applied ({sent:,} events), p50 "
            f"{percentile(applied, 0.5):.0f} ms, p95 {percentile(applied, 0.95):.0f} ms, max "
            f"{max(applied):.0f} ms (interval {INTERVAL * 1000:.0f} ms); {rows} row elements "
            f"for a table {shown} high"
        )
    finally:
        browser.quit()
        collector.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--streams", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="hotprobe-web-bench-") as workdir:
        latency(workdir, args.samples, None)
        latency(workdir, args.samples, 0.2)
        for grouped in (True, False):
            scale(workdir, args.streams, args.processes, args.seconds, grouped)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
