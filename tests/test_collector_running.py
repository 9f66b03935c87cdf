"""A running collector: stats, dead letters, oversized messages, a second PAIR peer, trailing,
a config file, and stopping under a flood. Real processes, real sockets, real signals."""

from __future__ import annotations

import base64
import re
import signal
import subprocess
from datetime import datetime, timedelta, timezone

import orjson
import zmq

from probe.protocol import fan_in_endpoint
from tests.helpers import client, last_stats, program, read_jsonl, wait_for

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


def event(n: int, seconds: float, kind: str = "progress", probe: str = "p") -> bytes:
    stamp = (NOW + timedelta(seconds=seconds)).isoformat(timespec="microseconds")
    return orjson.dumps({"probe": probe, "event": kind, "n": n, "timestamp": stamp})


def test_stats_line_periodically_and_at_exit(tmp_path, start_collector):
    out = tmp_path / "events.jsonl"
    collector = start_collector(
        "--interval", "1", "--stats-interval", "0.2", "--sink", f"file:{out}"
    )
    with client(collector.endpoint) as sock:
        for n in range(10):
            sock.send(event(n, n * 0.01))
        sock.send(b"\xff not utf-8")
    assert wait_for(lambda: "received=11 " in collector.stderr), collector.stderr
    assert collector.stop() == 0
    lines = [line for line in collector.stderr.splitlines() if "stats:" in line]
    assert len(lines) >= 2
    assert last_stats(collector.stderr).counts == {
        "received": 11,
        "kept": 1,
        "suppressed": 9,
        "rejected": 1,
    }
    sink = rf"sink\[file:{re.escape(str(out))}\]"
    assert re.search(rf"{sink} written=1 rejected=0 failed=0", lines[-1])


def test_rejected_messages_are_dead_lettered_with_reason_and_bytes(tmp_path, start_collector):
    out, dead = tmp_path / "events.jsonl", tmp_path / "rejects" / "dead.jsonl"
    (tmp_path / "rejects").mkdir()
    collector = start_collector(
        "--interval", "0", "--sink", f"file:{out}", "--dead-letter", str(dead)
    )
    bad = [b"\xc3\x28 broken", orjson.dumps({"timestamp": "not a time", "n": 1})]
    with client(collector.endpoint) as sock:
        sock.send(event(0, 0))
        for raw in bad:
            sock.send(raw)
        sock.send(event(1, 1))
    assert wait_for(lambda: len(read_jsonl(dead)) == 2 and len(read_jsonl(out)) == 2)
    assert collector.stop() == 0
    records = read_jsonl(dead)
    assert [base64.b64decode(r["raw_base64"]) for r in records] == bad
    assert "invalid UTF-8" in records[0]["reason"]
    assert "unparseable timestamp 'not a time'" in records[1]["reason"]
    assert all(datetime.fromisoformat(r["rejected_at"]).tzinfo for r in records)
    assert not (tmp_path / "hotprobe-dead-letter.jsonl").exists()


def test_oversized_messages_are_rejected_counted_and_their_senders_keep_sending(
    tmp_path, start_collector
):
    out, dead = tmp_path / "events.jsonl", tmp_path / "dead.jsonl"
    collector = start_collector(
        "--interval", "0", "--max-message-size", "1KiB", "--sink", f"file:{out}",
        "--dead-letter", str(dead),
    )  # fmt: skip
    big = b'{"blob": "' + b"x" * 1500 + b'"}'  # over 1 KiB, under twice that
    with (
        client(collector.endpoint) as pair,
        client(fan_in_endpoint(collector.endpoint), zmq.PUSH) as push,
    ):
        pair.send(event(0, 0))
        pair.send(big)
        pair.send(event(1, 1))
        push.send(big)
        push.send(event(2, 2, probe="q"))
        assert wait_for(lambda: len(read_jsonl(out)) == 3), collector.stderr
        assert "disconnected" not in collector.stderr  # nobody was cut off
    assert collector.stop() == 0
    assert sorted(e["n"] for e in read_jsonl(out)) == [0, 1, 2]
    last = [line for line in collector.stderr.splitlines() if "stats:" in line][-1]
    assert "received=5 kept=3 suppressed=0 rejected=2 oversized=2 " in last
    records = read_jsonl(dead)
    assert len(records) == 2
    for record in records:
        assert record["reason"] == (
            f"message of {len(big)} bytes is over --max-message-size 1024; "
            "raw_base64 holds its first 1024 bytes"
        )
        assert base64.b64decode(record["raw_base64"]) == big[:1024]


def test_a_message_over_twice_the_limit_disconnects_its_sender_and_no_one_else(
    tmp_path, start_collector
):
    out = tmp_path / "events.jsonl"
    collector = start_collector(
        "--interval", "0", "--max-message-size", "1KiB", "--sink", f"file:{out}"
    )
    with client(collector.endpoint) as big:
        big.send(event(0, 0))
        big.send(b'{"blob": "' + b"x" * 4096 + b'"}')
        assert wait_for(lambda: "disconnected" in collector.stderr), collector.stderr
    assert "a message over 2048 bytes, twice --max-message-size" in collector.stderr
    with client(fan_in_endpoint(collector.endpoint), zmq.PUSH) as other:
        for n in range(1, 6):
            other.send(event(n, n))
    assert wait_for(lambda: len(read_jsonl(out)) == 6), collector.stderr
    assert collector.proc.poll() is None
    assert collector.stop() == 0
    assert [e["n"] for e in read_jsonl(out)] == [0, 1, 2, 3, 4, 5]


def test_second_pair_peer_is_noticed_and_named_the_fan_in_endpoint(tmp_path, start_collector):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    with client(collector.endpoint) as first:
        first.send(event(0, 0))
        assert wait_for(lambda: len(read_jsonl(out)) == 1)  # first is the peer now
        with client(collector.endpoint) as second:
            second.send(event(1, 1))
            assert wait_for(lambda: "second process" in collector.stderr), collector.stderr
            first.send(event(2, 2))
            assert wait_for(lambda: len(read_jsonl(out)) == 2)
    warning = next(line for line in collector.stderr.splitlines() if "second process" in line)
    assert collector.endpoint in warning
    assert fan_in_endpoint(collector.endpoint) in warning
    assert collector.stop() == 0
    assert "pair_peers_cut_off=1" in collector.stderr


def test_trailing_emits_the_newest_suppressed_event_when_the_interval_closes(
    tmp_path, start_collector
):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0.3", "--trailing", "--sink", f"file:{out}")
    with client(collector.endpoint) as sock:
        for n in range(5):
            sock.send(event(n, n * 0.01))
        # The collector releases n=4 about 0.3 s after n=0 arrived, while the stream is silent.
        assert wait_for(lambda: [e["n"] for e in read_jsonl(out)] == [0, 4]), read_jsonl(out)
    assert collector.stop() == 0
    assert last_stats(collector.stderr).counts == {
        "received": 5,
        "kept": 2,
        "suppressed": 3,
        "rejected": 0,
    }


def test_config_file_with_a_command_line_override(tmp_path, start_collector):
    out, other = tmp_path / "events.jsonl", tmp_path / "other.jsonl"
    config = tmp_path / "collector.toml"
    config.write_text(
        f'interval = 10\nkey = "probe"\nsink = "file:{other}"\nstats-interval = 0.2\n'
    )
    collector = start_collector("--config", str(config), "--sink", f"file:{out}")
    with client(collector.endpoint) as sock:
        sock.send(orjson.dumps({"probe": "a", "pid": 1, "event": "progress"}))
        sock.send(orjson.dumps({"probe": "a", "pid": 2, "event": "progress"}))
        sock.send(orjson.dumps({"probe": "b", "pid": 1, "event": "progress"}))
    assert wait_for(lambda: "received=3 " in collector.stderr), collector.stderr
    assert collector.stop() == 0
    assert [(e["probe"], e["pid"]) for e in read_jsonl(out)] == [("a", 1), ("b", 1)]
    assert not other.exists()


def test_stops_promptly_with_status_0_under_a_flood(tmp_path, start_collector):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    sender = subprocess.Popen(
        program("raw_flood", collector.endpoint, fan_in_endpoint(collector.endpoint))
    )
    try:
        assert wait_for(lambda: len(read_jsonl(out)) > 1000), collector.stderr
        status = collector.stop(signal.SIGINT)  # fails if it takes over 20 s
    finally:
        sender.kill()
        sender.wait(timeout=10)
    assert status == 0, collector.stderr
    stats = last_stats(collector.stderr)
    lost = stats.sink("file")["lost"]  # a sink that fell behind says so
    assert len(read_jsonl(out)) == stats.counts["kept"] - lost
