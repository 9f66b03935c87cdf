"""The probe knows when nothing arrives: ``stats()`` tells queued from sent to a connected,
authenticated peer, warns once when nobody accepts, and leaves a PAIR slot another client took.
Issue 12, cases 8 to 11, each from outside: real collectors, real sockets, real processes."""

from __future__ import annotations

import json
import subprocess

import zmq

from collector.pipeline.endpoints import free_tcp_endpoint
from probe.protocol import PAIR_ANSWER, PAIR_HELLO
from tests.helpers import make_keys, program, read_jsonl, run_program, wait_for

THREADS = 64


def test_busy_threads_never_lose_an_end(tmp_path, start_collector):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    result = run_program("busy_threads", endpoint=collector.endpoint, timeout=120)
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


def hotprobe_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "hotprobe:" in line]


def test_no_collector_queues_sends_nothing_and_warns_once():
    # past the 5 s of the warning
    result = run_program("emit_and_wait", "26", "6.5", endpoint=free_tcp_endpoint())
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    # the marks and the run event before them
    assert (stats["sent"], stats["queued"], stats["dropped"]) == (0, 27, 0)
    assert stats["connected"] is False
    [warning] = hotprobe_lines(result.stderr)
    assert "has accepted an event after 5 s" in warning
    assert "27 events wait" in warning


def test_a_wrong_server_key_delivers_nothing_and_says_why(tmp_path, start_collector):
    keys, clients = make_keys(tmp_path)  # collector, alice (allowed) and mallory
    out = tmp_path / "events.jsonl"
    collector = start_collector(
        "--interval", "0", "--sink", f"file:{out}",
        "--curve-secret-key", str(keys / "collector.key_secret"),
        "--curve-clients", str(clients),
    )  # fmt: skip
    result = run_program(
        "emit_and_wait", "1000", "6.5",
        endpoint=collector.endpoint,
        HOTPROBE_SERVER_KEY=str(keys / "mallory.key"),  # not the collector's
        HOTPROBE_CLIENT_KEY=str(keys / "alice.key_secret"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert (stats["sent"], stats["queued"], stats["dropped"]) == (0, 1 + 1000, 0)  # run, marks
    assert stats["handshake_failures"] > 0
    [warning] = hotprobe_lines(result.stderr)
    assert "handshakes failed: is the server key the collector's public key" in warning
    assert "1001 events never accepted" not in warning  # that one comes only at exit
    assert read_jsonl(out) == []


def test_a_probe_cut_off_by_a_foreign_pair_client_moves_to_the_fan_in(tmp_path, start_collector):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    foreign = subprocess.Popen(
        program("foreign_pair_client", collector.endpoint),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert foreign.stdout.readline().strip() == "connected"
        assert wait_for(lambda: any(e["probe"] == "foreign" for e in read_jsonl(out)))
        result = run_program("emit_and_flush", "42", "mine", endpoint=collector.endpoint)
    finally:
        foreign.communicate("\n", timeout=30)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["socket"] == "push" and stats["endpoint"] != collector.endpoint
    assert (stats["sent"], stats["queued"], stats["dropped"]) == (1 + 42, 0, 0)  # run, marks
    [warning] = hotprobe_lines(result.stderr)
    assert "has another peer" in warning and stats["endpoint"] in warning

    def mine():
        return [e["data"]["i"] for e in read_jsonl(out) if e["probe"] == "mine"]

    assert wait_for(lambda: len(mine()) == 42), mine()
    assert mine() == list(range(42))  # each once, in order
    assert collector.stop() == 0


def test_the_collector_answers_a_hello_from_its_pair_peer_and_nobody_else(
    start_collector, tmp_path
):
    out = tmp_path / "out.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    context = zmq.Context()
    try:
        first, second = context.socket(zmq.PAIR), context.socket(zmq.PAIR)
        for sock in (first, second):  # one after the other: the first takes the PAIR slot
            sock.connect(collector.endpoint)
            sock.send(PAIR_HELLO)
            sock.send(b'{"probe": "first"}')
            if sock is first:
                assert first.poll(10_000) and first.recv() == PAIR_ANSWER
        assert not second.poll(1000)  # cut off by libzmq: never answered
        assert wait_for(lambda: [e.get("probe") for e in read_jsonl(out)] == ["first"])
    finally:
        context.destroy(linger=0)
    assert collector.stop() == 0
    assert [e.get("probe") for e in read_jsonl(out)] == ["first"]  # a hello is not an event


def test_a_client_without_a_hello_is_never_answered(start_collector, tmp_path):
    out = tmp_path / "out.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    context = zmq.Context()
    try:
        plain = context.socket(zmq.PAIR)  # as the seed's clients: it only sends
        plain.connect(collector.endpoint)
        for i in range(3):
            plain.send(b'{"probe": "plain", "n": %d}' % i)
        assert wait_for(lambda: len(read_jsonl(out)) == 3)
        assert not plain.poll(1000)  # nothing waits unread in its connection
    finally:
        context.destroy(linger=0)
    assert collector.stop() == 0


def test_a_probe_on_a_listening_collector_is_connected_and_sends_everything(start_collector):
    collector = start_collector("--interval", "0", "--sink", "stdout")
    result = run_program("emit_and_flush", "100", "beat", endpoint=collector.endpoint)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert (stats["sent"], stats["queued"], stats["dropped"]) == (1 + 100, 0, 0)  # run, marks
    assert stats["connected"] is True and stats["socket"] == "pair"
    assert hotprobe_lines(result.stderr) == []
