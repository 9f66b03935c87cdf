"""Alert latency: from a probe's ``error`` to the webhook server's receipt of the alert.

    PYTHONPATH=. python benchmarks/alert_latency.py [--errors 30] [--gap 0.3] [--window 0]

A collector process with a ``notify:`` sink (``window`` as given, no rate limit) posts to an
HTTP server in this process; a probe program fails one stream every ``gap`` seconds, putting
the time just before the ``error`` in the error's message. Prints p50, p95 and the maximum
of (receipt - error), and, for scale, the same with the default ``window=2``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson

from collector.pipeline.endpoints import free_tcp_endpoint

PROGRAM = """
import sys, time, probe
for i in range(int(sys.argv[1])):
    try:
        with probe.progress(f"task[{i}]", total=1):
            raise ValueError(repr(time.time()))
    except ValueError:
        pass
    time.sleep(float(sys.argv[2]))
"""


def measure(errors: int, gap: float, window: float) -> list[float]:
    latencies: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received = time.time()
            payload = orjson.loads(self.rfile.read(int(self.headers["Content-Length"])))
            for alert in payload["alerts"]:
                latencies.append(received - float(alert["error"]["message"]))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = free_tcp_endpoint()
    with tempfile.TemporaryDirectory(prefix="hotprobe-alerts-") as directory:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        options = f"window={window}&min_interval=0&state={directory}/alerts.jsonl"
        collector = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "collector",
                "--bind",
                endpoint,
                "--sink",
                f"notify:{url}?{options}",
                "--spool-dir",
                f"{directory}/spool",
            ],
            stderr=open(os.path.join(directory, "collector.err"), "w"),  # noqa: SIM115
            cwd=directory,
        )
        try:
            time.sleep(1.0)  # bound and listening
            env = {k: v for k, v in os.environ.items() if not k.startswith("HOTPROBE_")}
            subprocess.run(
                [sys.executable, "-c", PROGRAM, str(errors), str(gap)],
                env=env | {"HOTPROBE_ENDPOINT": endpoint},
                check=True,
                timeout=60 + errors * gap,
            )
            deadline = time.monotonic() + 10 + window
            while len(latencies) < errors and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            collector.terminate()
            collector.wait(timeout=30)
            if len(latencies) < errors:  # say why
                with open(os.path.join(directory, "collector.err")) as log:
                    print(log.read()[-2000:])
            server.shutdown()
    return latencies


def report(label: str, latencies: list[float], expected: int) -> None:
    ms = sorted(1000 * value for value in latencies)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    print(
        f"  {label}: {len(ms)}/{expected} alerts, p50 {statistics.median(ms):.0f} ms, "
        f"p95 {p95:.0f} ms, max {ms[-1]:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--errors", type=int, default=30)
    parser.add_argument("--gap", type=float, default=0.3)
    args = parser.parse_args()
    print(f"{args.errors} errors, one every {args.gap} s; load average {os.getloadavg()}")
    report("window=0", measure(args.errors, args.gap, 0.0), args.errors)
    report("window=2 (default)", measure(args.errors // 3, 2.5, 2.0), args.errors // 3)


if __name__ == "__main__":
    main()
