"""The dead-letter file: bounded by size with rotation, whole records only, and every rejected
message either in it or counted (``dead_letter_failures``, ``dead_letters_dropped``)."""

from __future__ import annotations

import base64
from pathlib import Path

import orjson
import zmq

from collector.pipeline.deadletter import DeadLetters
from collector.pipeline.event import Rejected
from probe.protocol import fan_in_endpoint
from tests.helpers import client, fill, last_stats, read_jsonl, wait_for


def rejected(index: int, size: int = 1000) -> Rejected:
    return Rejected(f"test reject {index}", b"\xff" + index.to_bytes(4, "big") * (size // 4))


def written(path: Path, count: int, max_bytes: int, backups: int) -> DeadLetters:
    """A dead-letter file at ``path`` bounded by ``max_bytes`` and ``backups``, once ``count``
    rejects were written to it and it was closed."""
    dead = DeadLetters(str(path), max_bytes=max_bytes, backups=backups)
    for index in range(count):
        dead.write(rejected(index))
    dead.close()
    return dead


def records(path: Path) -> list[dict]:
    """Every line of ``path``, each of which must be a whole record."""
    if not path.exists():
        return []
    data = path.read_bytes()
    assert not data or data.endswith(b"\n"), data[-80:]
    return [orjson.loads(line) for line in data.splitlines()]


def test_rotation_bounds_the_files_keeps_the_newest_and_counts_what_it_removed(tmp_path):
    path = tmp_path / "dead.jsonl"
    dead = written(path, 100, max_bytes=10_000, backups=1)
    current, backup = records(path), records(Path(f"{path}.1"))
    assert path.stat().st_size <= 10_000 and Path(f"{path}.1").stat().st_size <= 10_000
    assert not Path(f"{path}.2").exists()
    kept = [int(r["reason"].split()[-1]) for r in backup + current]
    assert kept == list(range(100 - len(kept), 100))  # the newest, in order
    assert dead.dropped == 100 - len(kept) > 0
    assert dead.failures == 0


def test_without_backups_a_full_file_is_removed_and_counted(tmp_path):
    path = tmp_path / "dead.jsonl"
    dead = written(path, 20, max_bytes=5_000, backups=0)
    assert not Path(f"{path}.1").exists()
    assert len(records(path)) + dead.dropped == 20
    assert dead.dropped > 0


def test_a_record_torn_by_an_earlier_run_is_cut_off_before_appending(tmp_path):
    path = tmp_path / "dead.jsonl"
    whole = orjson.dumps({"reason": "earlier", "raw_base64": ""}) + b"\n"
    path.write_bytes(whole + b'{"reason": "cut sh')
    dead = DeadLetters(str(path))
    dead.write(rejected(1))
    dead.close()
    assert [r["reason"] for r in records(path)] == ["earlier", "test reject 1"]


def test_a_flood_of_rejects_stays_within_the_bound_and_every_one_is_counted(
    tmp_path, start_collector
):
    dead = tmp_path / "dead.jsonl"
    collector = start_collector(
        "--stats-interval", "0.2", "--sink", f"file:{tmp_path / 'out.jsonl'}",
        "--dead-letter", str(dead), "--dead-letter-max-bytes", "64KiB",
        "--dead-letter-backups", "1",
    )  # fmt: skip
    with client(fan_in_endpoint(collector.endpoint), zmq.PUSH, timeout=10) as push:
        for index in range(300):
            push.send(b"\xff not UTF-8 " + index.to_bytes(4, "big") * 2500)
    assert wait_for(lambda: "received=300 " in collector.stderr), collector.stderr
    assert collector.stop() == 0
    counted = last_stats(collector.stderr).counts
    on_disk = records(Path(f"{dead}.1")) + records(dead)
    assert counted["rejected"] == 300
    assert dead.stat().st_size <= 64 << 10 and Path(f"{dead}.1").stat().st_size <= 64 << 10
    assert len(on_disk) + counted["dead_letters_dropped"] == 300
    assert counted["dead_letters_dropped"] > 250
    assert "dead_letter_failures" not in counted
    raw = base64.b64decode(on_disk[-1]["raw_base64"])
    assert raw == b"\xff not UTF-8 " + (299).to_bytes(4, "big") * 2500


def test_on_a_full_disk_each_reject_is_written_whole_or_counted_once(
    tmp_path, small_disk, start_collector
):
    disk = small_disk("dead", "1m")
    dead = disk / "dead.jsonl"
    collector = start_collector(
        "--stats-interval", "0.2", "--sink", f"file:{tmp_path / 'out.jsonl'}",
        "--dead-letter", str(dead),
    )  # fmt: skip
    with client(fan_in_endpoint(collector.endpoint), zmq.PUSH, timeout=10) as push:

        def reject(first: int, count: int) -> None:
            for index in range(first, first + count):
                push.send(b"\xff" + index.to_bytes(4, "big") * 1000)  # a 5.4 KB record each

        reject(0, 5)
        assert wait_for(lambda: len(read_jsonl(dead)) == 5), collector.stderr
        filler = fill(disk)
        reject(5, 20)
        assert wait_for(lambda: "received=25 " in collector.stderr), collector.stderr
        written_while_full = len(records(dead)) - 5
        filler.unlink()
        reject(25, 10)
        assert wait_for(lambda: "received=35 " in collector.stderr), collector.stderr
    assert collector.stop() == 0
    counted = last_stats(collector.stderr).counts
    kept = [base64.b64decode(r["raw_base64"])[1:5] for r in records(dead)]
    indexes = [int.from_bytes(k, "big") for k in kept]
    assert counted["rejected"] == 35
    assert len(indexes) == len(set(indexes))  # none twice
    assert len(indexes) + counted["dead_letter_failures"] == 35
    assert counted["dead_letter_failures"] == 20 - written_while_full > 0
    assert indexes[:5] == list(range(5)) and indexes[-10:] == list(range(25, 35))
    assert collector.stderr.count("cannot write the dead-letter file") == 1
    assert "is written again" in collector.stderr
