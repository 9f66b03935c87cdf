"""The probe knows when nothing arrives: ``stats()`` tells queued from sent to a connected,
authenticated peer, warns once when nobody accepts, and leaves a PAIR slot another client took.
Issue 12, cases 8 to 11, each from outside: real collectors, real sockets, real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import zmq

from collector.curve.keygen import generate
from collector.pipeline.endpoints import free_tcp_endpoint
from tests.conftest import read_jsonl, run_python, wait_for

THREADS = 64

BUSY_THREADS = f"""
    import json, threading
    import probe

    def worker(k):
        for _ in probe.iterate(range(20_000), f"stream-{{k}}"):
            sum(range(20))  # busy: every thread wants the GIL all the time

    threads = [threading.Thread(target=worker, args=(k,)) for k in range({THREADS})]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps(probe.stats()))
"""


def test_busy_threads_never_lose_an_end(tmp_path, start_collector):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    result = run_python(BUSY_THREADS, collector.endpoint, timeout=120)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["dropped"] == 0

    def ends():
        return {e["probe"]: e["n"] for e in read_jsonl(out) if e["event"] == "end"}

    assert wait_for(lambda: len(ends()) == THREADS, timeout=30), sorted(ends())
    assert ends() == {f"stream-{k}": 20_000 for k in range(THREADS)}
    for k in range(THREADS):
        seqs = [e["seq"] for e in read_jsonl(out) if e["probe"] == f"stream-{k}"]
        assert seqs == list(range(len(seqs)))


WAIT_AND_REPORT = """
    import json, time
    import probe
    for i in range({events}):
        probe.emit("beat", i=i)
    time.sleep({wait})
    print(json.dumps(probe.stats()), flush=True)
"""


def hotprobe_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "hotprobe:" in line]


def test_no_collector_queues_sends_nothing_and_warns_once():
    program = WAIT_AND_REPORT.format(events=26, wait=6.5)  # past the 5 s of the warning
    result = run_python(program, free_tcp_endpoint(), timeout=60)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert (stats["sent"], stats["queued"], stats["dropped"]) == (0, 26, 0)
    assert stats["connected"] is False
    [warning] = hotprobe_lines(result.stderr)
    assert "has accepted an event after 5 s" in warning
    assert "26 events wait" in warning


def test_a_wrong_server_key_delivers_nothing_and_says_why(tmp_path, start_collector):
    keys = tmp_path / "keys"
    for name in ("collector", "impostor", "alice"):
        generate(keys, name)
    clients = tmp_path / "clients"
    clients.mkdir()
    (clients / "alice.key").write_bytes((keys / "alice.key").read_bytes())
    out = tmp_path / "events.jsonl"
    collector = start_collector(
        "--interval", "0", "--sink", f"file:{out}",
        "--curve-secret-key", str(keys / "collector.key_secret"),
        "--curve-clients", str(clients),
    )  # fmt: skip
    result = run_python(
        WAIT_AND_REPORT.format(events=1000, wait=6.5),
        collector.endpoint,
        timeout=60,
        HOTPROBE_SERVER_KEY=str(keys / "impostor.key"),
        HOTPROBE_CLIENT_KEY=str(keys / "alice.key_secret"),
    )
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert (stats["sent"], stats["queued"], stats["dropped"]) == (0, 1000, 0)
    assert stats["handshake_failures"] > 0
    [warning] = hotprobe_lines(result.stderr)
    assert "handshakes failed: is the server key the collector's public key" in warning
    assert "1000 events never accepted" not in warning  # that one comes only at exit
    assert read_jsonl(out) == []


FOREIGN_PAIR_CLIENT = """
import sys, time, zmq
sock = zmq.Context().socket(zmq.PAIR)
sock.connect(sys.argv[1])
sock.send(b'{"probe": "foreign", "event": "mark"}')
print("connected", flush=True)
sys.stdin.readline()
"""


def test_a_probe_cut_off_by_a_foreign_pair_client_moves_to_the_fan_in(tmp_path, start_collector):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    foreign = subprocess.Popen(
        [sys.executable, "-c", FOREIGN_PAIR_CLIENT, collector.endpoint],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert foreign.stdout.readline().strip() == "connected"
        assert wait_for(lambda: any(e["probe"] == "foreign" for e in read_jsonl(out)))
        code = """
            import json
            import probe
            for i in range(42):
                probe.emit("mine", i=i)
            assert probe.flush(30)
            print(json.dumps(probe.stats()), flush=True)
        """
        result = run_python(code, collector.endpoint, timeout=60)
    finally:
        foreign.communicate("\n", timeout=30)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["socket"] == "push" and stats["endpoint"] != collector.endpoint
    assert (stats["sent"], stats["queued"], stats["dropped"]) == (42, 0, 0)
    [warning] = hotprobe_lines(result.stderr)
    assert "has another peer" in warning and stats["endpoint"] in warning

    def mine():
        return [e["data"]["i"] for e in read_jsonl(out) if e["probe"] == "mine"]

    assert wait_for(lambda: len(mine()) == 42), mine()
    assert mine() == list(range(42))  # each once, in order
    assert collector.stop() == 0


def test_the_collector_answers_its_pair_peer_and_nobody_else(start_collector):
    collector = start_collector("--interval", "0", "--sink", "stdout")
    context = zmq.Context()
    try:
        first, second = context.socket(zmq.PAIR), context.socket(zmq.PAIR)
        for sock in (first, second):
            sock.connect(collector.endpoint)
            sock.send(b'{"probe": "p"}')
        assert first.poll(10_000) and first.recv() == b"ok"
        assert not second.poll(1000)
    finally:
        context.destroy(linger=0)


def test_a_probe_on_a_listening_collector_is_connected_and_sends_everything(start_collector):
    collector = start_collector("--interval", "0", "--sink", "stdout")
    code = """
        import json
        import probe
        for i in range(100):
            probe.emit("beat", i=i)
        assert probe.flush(30)
        print(json.dumps(probe.stats()), flush=True)
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTPROBE_")}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=dict(env, HOTPROBE_ENDPOINT=collector.endpoint),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert (stats["sent"], stats["queued"], stats["dropped"]) == (100, 0, 0)
    assert stats["connected"] is True and stats["socket"] == "pair"
    assert hotprobe_lines(result.stderr) == []
