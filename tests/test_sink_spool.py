"""The disk spool: order, crash safety, bounds, and cleaning up after itself."""

from __future__ import annotations

import subprocess
import sys

import pytest

from collector.pipeline.endpoints import free_tcp_endpoint
from collector.pipeline.spool import Spool, SpoolUnavailable, spool_directory
from collector.redact import redacted
from tests.helpers import fill


def batch(start: int, count: int) -> list[dict]:
    return [{"seq": i} for i in range(start, start + count)]


def drain(spool: Spool) -> list[int]:
    seqs = []
    while (head := spool.head()) is not None:
        seqs.extend(event["seq"] for event in head)
        spool.pop_head()
    return seqs


def test_batches_come_back_in_order_with_put_back_batches_first(tmp_path):
    spool = Spool(tmp_path / "s", max_bytes=1 << 20)
    spool.append([batch(10, 5), batch(15, 5)])
    spool.append([batch(20, 5)])
    spool.prepend(batch(5, 5))
    spool.prepend(batch(0, 5))
    assert spool.events == 25
    assert drain(spool) == list(range(25))
    assert spool.events == 0


def test_a_restarted_spool_replays_what_its_predecessor_left(tmp_path):
    spool = Spool(tmp_path / "s", max_bytes=1 << 20, segment_bytes=200)
    for start in range(0, 100, 10):
        spool.append([batch(start, 10)])
    assert spool.head() is not None
    spool.pop_head()  # the first ten were delivered
    spool.close()
    again = Spool(tmp_path / "s", max_bytes=1 << 20)
    assert again.events == 90
    assert drain(again) == list(range(10, 100))
    again.close()
    assert not (tmp_path / "s").exists()


def test_a_torn_tail_is_ignored_and_the_rest_replayed(tmp_path):
    spool = Spool(tmp_path / "s", max_bytes=1 << 20)
    spool.append([batch(0, 10), batch(10, 10)])
    spool.close()
    (segment,) = (tmp_path / "s").glob("*.spool")
    whole = segment.read_bytes()
    segment.write_bytes(whole + whole[:30])  # a crash in the middle of the next append
    again = Spool(tmp_path / "s", max_bytes=1 << 20)
    again.append([batch(20, 5)])
    assert drain(again) == list(range(25))
    assert again.lost == 0


def test_a_damaged_record_ends_its_segment_and_is_counted(tmp_path):
    spool = Spool(tmp_path / "s", max_bytes=1 << 20)
    spool.append([batch(0, 10), batch(10, 10)])
    spool.close()
    (segment,) = (tmp_path / "s").glob("*.spool")
    data = bytearray(segment.read_bytes())
    data[-5] ^= 0xFF  # flip a byte in the second record's payload
    segment.write_bytes(bytes(data))
    again = Spool(tmp_path / "s", max_bytes=1 << 20)
    assert drain(again) == list(range(10))
    assert again.lost == 10


def test_over_the_bound_the_oldest_events_go_and_are_counted(tmp_path, caplog):
    spool = Spool(tmp_path / "s", max_bytes=4000, segment_bytes=1000)
    for start in range(0, 1000, 10):
        spool.append([batch(start, 10)])
    assert spool.bytes <= 4000
    seqs = drain(spool)
    assert seqs == list(range(1000 - len(seqs), 1000))
    assert spool.lost == 1000 - len(seqs) > 0
    assert "dropped the" in caplog.text


def test_one_collector_per_spool_directory(tmp_path):
    spool = Spool(tmp_path / "s", max_bytes=1 << 20)
    with pytest.raises(SpoolUnavailable, match="in use"):
        Spool(tmp_path / "s", max_bytes=1 << 20)
    spool.close()
    Spool(tmp_path / "s", max_bytes=1 << 20).close()


def test_directory_names_are_stable_and_carry_no_password(tmp_path):
    spec = "mongodb://user:secret@db.example:27017/science?collection=runs"
    first = spool_directory(tmp_path, spec)
    assert first == spool_directory(tmp_path, spec)
    assert first != spool_directory(tmp_path, spec.replace("runs", "other"))
    assert "secret" not in str(first) and "user" not in str(first)
    assert redacted(spec) == "mongodb://user:***@db.example:27017/science?collection=runs"


def test_a_second_collector_on_the_same_spool_stops_at_start(tmp_path, start_collector):
    sink = f"file:{tmp_path / 'events.jsonl'}"
    first = start_collector("--sink", sink)
    second = subprocess.run(
        [sys.executable, "-m", "collector", "--bind", free_tcp_endpoint(), "--sink", sink],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 2
    assert "in use by another collector" in second.stderr
    assert first.stop() == 0


def test_an_append_cut_short_by_a_full_disk_leaves_only_whole_records(small_disk):
    disk = small_disk("spool", "1m")
    spool = Spool(disk / "s", max_bytes=1 << 30)
    spool.append([batch(0, 100)])
    filler = fill(disk)
    big = [{"seq": i, "pad": "x" * 200} for i in range(100, 400)]
    with pytest.raises(OSError, match="No space left"):
        spool.append([big])
    with pytest.raises(OSError, match="No space left"):
        spool.prepend(big)
    assert spool.events == 100
    filler.unlink()
    spool.append([batch(400, 100)])
    spool.prepend(batch(-5, 5))
    spool.close()
    segments = sorted((disk / "s").glob("*.spool"))
    assert len(segments) == 2  # the failed prepend left no file behind
    restarted = Spool(disk / "s", max_bytes=1 << 30)
    assert drain(restarted) == list(range(-5, 100)) + list(range(400, 500))
    assert restarted.lost == 0
