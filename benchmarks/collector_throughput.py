"""Collector throughput beside a bare pyzmq receive loop, on the same pre-encoded probe events.

    PYTHONPATH=. python benchmarks/collector_throughput.py [--events N] [--repeats R]

In one run, each repeat sends the same file of pre-encoded events (100 streams, what the probe
writes) from a sender process over PAIR on loopback to, in turn:

  (a) a bare PAIR receive loop that only calls ``orjson.loads``;
  (b) the collector, ``--interval 0.1``, into a sink that discards (registered here as a
      plugin, exactly as a third-party sink is);
  (c) the collector, ``--interval 0``, into the ``file:`` sink;
  (d) as (b), with CURVE: the sender encrypts with an allowed client key;
  (e) as (b), with the ``web`` sink beside the discard sink, and a page's update stream
      (Server-Sent Events) read throughout, as an open browser tab would; timed as (b).

Each rate is events / (last event handled - first event sent), where handled is parsed for
(a), dispatched for (b) and written to the file for (c); the figures are medians of
the repeats, and the ratios are (b)/(a), (c)/(a) and (d)/(a) (goals: >= 0.5 and >= 0.3 for
(b) and (c)); (e)/(b) is the web sink's cost (goal: >= 0.9). Then the
collector of (b) receives ``--rss-events`` freshly generated events and reports its resident
memory at every million and its peak (goal: flat, under 150 MB).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import orjson
import zmq

from collector import Sink, hookimpl
from collector.pipeline.endpoints import free_tcp_endpoint
from probe.protocol import PROTOCOL_VERSION

STREAMS = 100
BASE_TIME = datetime(2026, 11, 28, tzinfo=timezone.utc).timestamp()
HWM = 100_000


# -- the events ----------------------------------------------------------------------------
def probe_event(k: int, step: float) -> dict:
    """The k-th event of a run: round-robin over STREAMS streams, ``step`` s apart each."""
    stream, i = k % STREAMS, k // STREAMS
    moment = BASE_TIME + i * step + stream * 1e-5
    return {
        "v": PROTOCOL_VERSION,
        "timestamp": datetime.fromtimestamp(moment, timezone.utc).isoformat(
            timespec="microseconds"
        ),
        "probe": f"solver.step_{stream % 10}",
        "event": "start" if i == 0 else "progress",
        "n": i * 1000,
        "total": None,
        "elapsed": i * step,
        "rate": 1e5,
        "host": "node01",
        "pid": 4000 + stream // 10,
        "run": "5f0c2a9e1b7d",
        "seq": i,
        "dropped": 0,
        "data": {"loss": 1.0 / (i + 1)},
    }


def write_events(path: Path, count: int, step: float) -> None:
    with path.open("wb") as file:
        for start in range(0, count, 100_000):
            stop = min(count, start + 100_000)
            file.write(
                b"".join(orjson.dumps(probe_event(k, step)) + b"\n" for k in range(start, stop))
            )


# -- the processes -------------------------------------------------------------------------
def send_file(endpoint: str, path: str, keys: str = "") -> None:
    """Send every line of ``path`` as one message; print the time of the first send. With
    ``keys`` (the directory ``make_keys`` filled), as an allowed CURVE client."""
    messages = Path(path).read_bytes().splitlines()
    context = zmq.Context()
    sock = context.socket(zmq.PAIR)
    sock.setsockopt(zmq.SNDHWM, HWM)
    if keys:
        from probe.protocol import read_key_file, read_keypair

        sock.curve_serverkey = read_key_file(f"{keys}/collector.key")[0]
        sock.curve_publickey, sock.curve_secretkey = read_keypair(f"{keys}/sender.key_secret")
    sock.connect(endpoint)
    send = sock.send
    started = time.time()
    for message in messages:
        send(message)
    print(json.dumps({"started": started}), flush=True)
    sock.close(linger=60_000)
    context.term()  # waits for the queue to drain: without it, the exit drops what is queued


def send_generated(endpoint: str, count: int, step: float) -> None:
    """Send ``count`` events made on the fly (for the memory run: every timestamp is new)."""
    context = zmq.Context()
    sock = context.socket(zmq.PAIR)
    sock.setsockopt(zmq.SNDHWM, HWM)
    sock.connect(endpoint)
    started = time.time()
    for start in range(0, count, 10_000):
        chunk = [
            orjson.dumps(probe_event(k, step)) for k in range(start, min(count, start + 10_000))
        ]
        for message in chunk:
            sock.send(message)
    print(json.dumps({"started": started}), flush=True)
    sock.close(linger=120_000)
    context.term()


def bare_loop(endpoint: str, count: int) -> None:
    """(a): receive ``count`` messages and parse each with orjson, nothing else."""
    sock = zmq.Context().socket(zmq.PAIR)
    sock.setsockopt(zmq.RCVHWM, HWM)
    sock.bind(endpoint)
    print("ready", flush=True)
    recv, loads = sock.recv, orjson.loads
    for _ in range(count):
        loads(recv())
    print(json.dumps({"finished": time.time()}), flush=True)
    sock.close(linger=0)


class DiscardSink(Sink):
    """Takes every batch and keeps nothing."""

    def write(self, events: list[dict]) -> None:
        pass


@hookimpl
def register_sinks(register):
    register("discard", DiscardSink, description="drops every event (benchmark only)")


def make_keys(workdir: str) -> str:
    """Key pairs for the collector and the sender, the sender's allowed; their directory."""
    from collector.curve.keygen import generate

    keys = os.path.join(workdir, "keys")
    generate(keys, "collector")
    generate(keys, "sender")
    os.makedirs(os.path.join(keys, "clients"))
    os.link(os.path.join(keys, "sender.key"), os.path.join(keys, "clients", "sender.key"))
    return keys


def run_collector(
    endpoint: str, count: int, interval: float, sink: str, workdir: str, keys: str = ""
) -> None:
    """(b), (c), (d) and the memory run: an in-process collector, stopped once ``count``
    events were received and dispatched, and (except for the discard sink, which writes
    nothing) every kept one was written by each sink. ``sink`` may name several, joined by
    " + ". With ``keys``, with CURVE. ``lost`` adds up every sink's, after the stop's drain."""
    from collector import registry as registry_module
    from collector.config import CollectorConfig
    from collector.pipeline.collect import Collector

    config = CollectorConfig(
        bind=[endpoint],
        interval=interval,
        sinks=sink.split(" + "),
        dead_letter=os.path.join(workdir, "dead-letter.jsonl"),
        curve_secret_key=f"{keys}/collector.key_secret" if keys else None,
        curve_clients=f"{keys}/clients" if keys else None,
    )
    registry = registry_module.load(extra_plugins=(sys.modules[__name__],))
    collector = Collector.from_config(config, registry)
    result: dict = {"rss_mb": []}
    # Into the discard sink (alone, or beside the web sink as in (e)), done is when all was
    # received: those sinks write nothing anywhere, and their last batch's wait for
    # ``max_delay`` is no part of the collector's pace.
    discard = sink.split(" + ")[0] == "discard"

    def watch() -> None:
        counters, runners = collector.counters, collector.runners
        next_sample = 1_000_000
        while True:
            received = counters.received
            if received >= next_sample:
                result["rss_mb"].append((received, _rss_mb()))
                next_sample += 1_000_000
            written = [runner.counters for runner in runners]
            if received >= count and (
                discard or all(c.written + c.lost >= counters.kept for c in written)
            ):
                result["finished"] = time.time()
                break
            time.sleep(0.002)
        collector.stop()

    threading.Thread(target=watch, daemon=True).start()
    print("ready", flush=True)
    collector.run()
    result.update(
        received=collector.counters.received,
        kept=collector.counters.kept,
        suppressed=collector.filter.suppressed,
        lost=sum(runner.counters.lost for runner in collector.runners),
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
    print(json.dumps(result), flush=True)


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# -- the orchestra -------------------------------------------------------------------------
def _child(*args: object) -> subprocess.Popen:
    command = [sys.executable, __file__, *map(str, args)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def _result(proc: subprocess.Popen, timeout: float = 600) -> dict:
    out, _ = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        raise SystemExit(f"{proc.args} exited {proc.returncode}")
    return json.loads(out.strip().splitlines()[-1])


def read_updates(port: int, received: list[int]) -> None:
    """Read the web view's update stream as a page does, counting its messages, until the
    collector closes it."""
    deadline = time.monotonic() + 20
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            connection.request("GET", "/api/updates?since=-1")
            break
        except OSError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.05)
    answer = connection.getresponse()
    try:
        for line in answer:
            if line.startswith(b"data: "):
                received[0] += 1
    except (OSError, http.client.HTTPException):
        pass
    connection.close()


def measure(receiver_args: list, sender_args: list, web_port: int | None = None) -> dict:
    """Start the receiver, then the sender; the receiver's result plus the send start. With
    ``web_port``, a page's update stream is read from the collector's web view meanwhile."""
    endpoint = free_tcp_endpoint()
    receiver = _child(receiver_args[0], endpoint, *receiver_args[1:])
    if receiver.stdout.readline().strip() != "ready":
        raise SystemExit(f"{receiver.args} did not start")
    updates = [0]
    if web_port is not None:
        reader = threading.Thread(target=read_updates, args=(web_port, updates), daemon=True)
        reader.start()
    sender = _child(sender_args[0], endpoint, *sender_args[1:])
    result = _result(receiver)
    result["started"] = _result(sender)["started"]
    if web_port is not None:
        reader.join(10)
        result["updates"] = updates[0]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--step", type=float, default=0.01, help="event time between a stream's events"
    )
    parser.add_argument("--rss-events", type=int, default=5_000_000)
    args = parser.parse_args()
    os.environ["HOTPROBE_PLUGINS"] = "none"  # built-in sinks only, plus the discard sink here
    with tempfile.TemporaryDirectory(prefix="hotprobe-bench-") as workdir:
        events = Path(workdir) / "events.jsonl"
        write_events(events, args.events, args.step)
        size = events.stat().st_size / args.events
        print(
            f"{args.events:,} events, {STREAMS} streams, {args.step * 1000:g} ms apart per stream, "
            f"{size:.0f} bytes each; {args.repeats} repeats; load average {os.getloadavg()}"
        )
        keys = make_keys(workdir)
        web_port = int(free_tcp_endpoint().rpartition(":")[2])
        plain, encrypted = ["_send", events], ["_send", events, keys]
        cases = {
            "(a) bare PAIR + orjson.loads": ["_bare", args.events],
            "(b) collector, --interval 0.1, discard sink": [
                "_collector",
                args.events,
                0.1,
                "discard",
                workdir,
            ],
            "(e) as (b), with the web sink and a page's updates": [
                "_collector",
                args.events,
                0.1,
                f"discard + web?port={web_port}",
                workdir,
            ],
            "(c) collector, --interval 0, file sink": [
                "_collector",
                args.events,
                0,
                f"file:{workdir}/out.jsonl",
                workdir,
            ],
            "(d) as (b), with CURVE": ["_collector", args.events, 0.1, "discard", workdir, keys],
        }
        # (e) runs right after (b), the case it is compared with, so that the machine's load
        # changes least between the two.
        rates: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.repeats):
            for name, receiver_args in cases.items():
                Path(workdir, "out.jsonl").unlink(missing_ok=True)
                sender = encrypted if name.startswith("(d)") else plain
                result = measure(
                    receiver_args, sender, web_port if name.startswith("(e)") else None
                )
                rate = args.events / (result["finished"] - result["started"])
                rates[name].append(rate)
                extra = ""
                if "kept" in result:
                    extra = f" kept={result['kept']:,} lost by the sink={result['lost']:,}"
                if "updates" in result:
                    extra += f" page updates read={result['updates']}"
                print(f"  {name}: {rate:,.0f} events/s{extra}", flush=True)
        medians = {name: statistics.median(values) for name, values in rates.items()}
        bare_name = next(iter(cases))
        bare, bare_rates = medians[bare_name], rates[bare_name]
        print("medians (and the median of each repeat's own ratio, which shared-machine noise")
        print("between repeats affects less):")
        for name, rate in medians.items():
            paired = statistics.median(r / b for r, b in zip(rates[name], bare_rates, strict=True))
            print(f"  {name}: {rate:,.0f} events/s  {rate / bare:.2f}x (a)  (paired {paired:.2f}x)")
        with_web, without = (
            rates[next(n for n in cases if n.startswith("(e)"))],
            rates[next(n for n in cases if n.startswith("(b)"))],
        )
        paired = statistics.median(w / b for w, b in zip(with_web, without, strict=True))
        print(
            f"web sink: (e)/(b) = {statistics.median(with_web) / statistics.median(without):.2f}x"
            f" (paired {paired:.2f}x; goal >= 0.9)"
        )
        if args.rss_events:
            result = measure(
                ["_collector", args.rss_events, 0.1, "discard", workdir],
                ["_send_generated", args.rss_events, args.step],
            )
            samples = ", ".join(f"{n // 1_000_000}M: {mb:.0f} MB" for n, mb in result["rss_mb"])
            print(
                f"collector (b) RSS after {result['received']:,} events: {samples}; "
                f"peak {result['peak_rss_mb']:.0f} MB"
            )
        print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        mode, rest = sys.argv[1], sys.argv[2:]
        if mode == "_send":
            send_file(*rest)
        elif mode == "_send_generated":
            send_generated(rest[0], int(rest[1]), float(rest[2]))
        elif mode == "_bare":
            bare_loop(rest[0], int(rest[1]))
        else:
            run_collector(rest[0], int(rest[1]), float(rest[2]), *rest[3:])
    else:
        main()
