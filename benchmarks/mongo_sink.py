"""Events per second into MongoDB: through the collector, against a bare ``insert_many`` loop.

    PYTHONPATH=. python benchmarks/mongo_sink.py [--events 20000] [--batch-size 500] [--repeats 3]

One MongoDB server for both: ``MONGODB_URI`` when set, else a ``secantusd-py`` started here
(``--storage-path :memory: --standalone``) on a free loopback port. Repeats alternate:

(a) bare: ``insert_many(ordered=False)`` of the documents the sink would write, already built,
    in batches of ``--batch-size``, into a fresh collection carrying the sink's two indexes.
(b) collector: ``python -m collector --interval 0 --sink mongodb://...?batch_size=N`` into a
    fresh collection, fed the same events pre-encoded over its PAIR endpoint as fast as it
    takes them; timed from the first send until its stats line reports every event written
    (one warm-up event first, so that connecting and creating indexes are not timed).

Prints events/s for each (medians), the ratio of the medians and the median of the ratios
of each repeat's pair (the machine's load changes less within a pair); the goal is >= 0.8.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import orjson
import zmq
from pymongo import MongoClient

from probe.protocol import PROTOCOL_VERSION

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plugins.mongodb import INDEXES, to_document  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(workdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [shutil.which("secantusd-py") or "secantusd-py", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--storage-path", ":memory:", "--standalone"]
    cmd += ["--log-level", "WARNING"]
    server = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.DEVNULL)
    uri = f"mongodb://127.0.0.1:{port}/bench?directConnection=true"
    client = MongoClient(uri, serverSelectionTimeoutMS=30_000)
    client.admin.command("ping")
    client.close()
    return server, uri


def make_events(count: int) -> list[dict]:
    run = uuid.uuid4().hex
    now = datetime.now(timezone.utc).isoformat()
    return [
        {
            "v": PROTOCOL_VERSION,
            "timestamp": now,
            "probe": f"task_{i % 100:03d}",
            "event": "progress",
            "n": i // 100,
            "total": count // 100,
            "elapsed": i / 1000,
            "rate": 100.0,
            "host": "node",
            "pid": 1000 + i % 100,
            "run": run,
            "seq": i // 100,
            "dropped": 0,
            "data": {"loss": 1.0 / (i + 1)},
        }
        for i in range(count)
    ]


def bare(client: MongoClient, events: list[dict], batch_size: int) -> float:
    collection = client.get_default_database("bench")[f"bare_{uuid.uuid4().hex[:8]}"]
    for fields in INDEXES:
        collection.create_index([(name, 1) for name in fields])
    documents = [to_document(event) for event in events]
    start = time.perf_counter()
    for i in range(0, len(documents), batch_size):
        collection.insert_many(documents[i : i + batch_size], ordered=False)
    elapsed = time.perf_counter() - start
    assert collection.count_documents({}) == len(events)
    collection.drop()
    return len(events) / elapsed


def through_collector(
    client: MongoClient, uri: str, events: list[dict], batch_size: int, workdir: Path
) -> float:
    name = f"collector_{uuid.uuid4().hex[:8]}"
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    spec = f"{uri}{'&' if '?' in uri else '?'}collection={name}&batch_size={batch_size}"
    err = workdir / f"{name}.err"
    cmd = [sys.executable, "-m", "collector", "--bind", endpoint, "--interval", "0"]
    cmd += ["--stats-interval", "0.05", "--sink", spec, "--spool-dir", str(workdir / "spool")]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with err.open("wb") as stderr:
        collector = subprocess.Popen(cmd, cwd=workdir, stderr=stderr, env=env)
    context = zmq.Context()
    sock = context.socket(zmq.PAIR)
    sock.setsockopt(zmq.SNDTIMEO, 60_000)
    sock.connect(endpoint)
    payloads = [orjson.dumps(event) for event in events]
    try:
        wait_written(err, collector, 0, started=False)
        sock.send(orjson.dumps({**events[0], "probe": "warm-up"}))  # connection and indexes
        wait_written(err, collector, 1)
        start = time.perf_counter()
        for payload in payloads:
            sock.send(payload)
        wait_written(err, collector, len(events) + 1)
        elapsed = time.perf_counter() - start
    finally:
        sock.close(linger=0)
        context.term()
        collector.terminate()
        collector.wait(timeout=60)
    assert client.get_default_database("bench")[name].count_documents({}) >= len(events) + 1
    client.get_default_database("bench")[name].drop()
    return len(events) / elapsed


def wait_written(err: Path, collector: subprocess.Popen, count: int, started: bool = True) -> None:
    wanted = f"written={count} " if started else "listening on"
    deadline = time.monotonic() + 300
    while wanted not in err.read_text(errors="replace"):
        if collector.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"collector: {err.read_text(errors='replace')[-2000:]}")
        time.sleep(0.01)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        server, uri = None, os.environ.get("MONGODB_URI")
        if uri is None:
            server, uri = start_server(workdir)
        client = MongoClient(uri, serverSelectionTimeoutMS=30_000)
        try:
            events = make_events(args.events)
            rates: dict[str, list[float]] = {"bare": [], "collector": []}
            for _ in range(args.repeats):
                rates["bare"].append(bare(client, events, args.batch_size))
                rates["collector"].append(
                    through_collector(client, uri, events, args.batch_size, workdir)
                )
                print(
                    f"  repeat: bare {rates['bare'][-1]:,.0f}/s  "
                    f"collector {rates['collector'][-1]:,.0f}/s",
                    flush=True,
                )
        finally:
            client.close()
            if server is not None:
                server.terminate()
                server.wait(timeout=60)
    a, b = statistics.median(rates["bare"]), statistics.median(rates["collector"])
    pairs = zip(rates["bare"], rates["collector"], strict=True)
    paired = statistics.median(collector / bare for bare, collector in pairs)
    print(f"events={args.events} batch_size={args.batch_size} repeats={args.repeats}")
    print(f"(a) bare insert_many loop:  {a:,.0f} events/s (median)")
    print(f"(b) through the collector:  {b:,.0f} events/s (median)")
    print(f"ratio (b)/(a) of medians: {b / a:.2f}; median of paired ratios: {paired:.2f}")
    print("goal: >= 0.8")


if __name__ == "__main__":
    main()
