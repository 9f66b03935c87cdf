"""The file sink: whole lines, appended, rotated by size without tearing a line."""

from __future__ import annotations

import pytest

from collector.sinks import SinkSpec
from plugins.file import FileSink
from tests.helpers import fill, read_jsonl


def sink_for(text: str) -> FileSink:
    sink = FileSink(SinkSpec.parse(text))
    sink.open()
    return sink


def test_appends_to_what_is_there_and_ends_a_torn_line_first(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_bytes(b'{"seq": -1}\n{"seq": -2, "torn')
    sink = sink_for(f"file:{path}")
    sink.write([{"seq": 0}, {"seq": 1}])
    sink.close()
    lines = path.read_bytes().splitlines()
    assert lines[0] == b'{"seq": -1}' and lines[1] == b'{"seq": -2, "torn'
    assert lines[2:] == [b'{"seq":0}', b'{"seq":1}']


def test_rotation_keeps_lines_whole_and_in_order_across_files(tmp_path):
    path = tmp_path / "out.jsonl"
    sink = sink_for(f"file:{path}?max_bytes=2000&backups=3&fsync=batch")
    for start in range(0, 400, 37):
        sink.write([{"seq": i, "pad": "x" * (i % 50)} for i in range(start, min(start + 37, 400))])
    sink.close()
    files = [path.with_name(f"out.jsonl.{n}") for n in (3, 2, 1)] + [path]
    assert all(f.exists() for f in files) and not path.with_name("out.jsonl.4").exists()
    seqs = []
    for f in files:
        data = f.read_bytes()
        assert len(data) <= 2000 and data.endswith(b"\n")
        seqs.extend(event["seq"] for event in read_jsonl(f))
    assert seqs == list(range(400 - len(seqs), 400))  # the newest, in order, none torn


def test_a_line_longer_than_max_bytes_gets_a_file_of_its_own(tmp_path):
    path = tmp_path / "out.jsonl"
    sink = sink_for(f"file:{path}?max_bytes=50&backups=2")
    sink.write([{"seq": 0}, {"seq": 1, "big": "y" * 100}, {"seq": 2}])
    sink.close()
    assert [e["seq"] for e in read_jsonl(path.with_name("out.jsonl.2"))] == [0]
    assert [e["seq"] for e in read_jsonl(path.with_name("out.jsonl.1"))] == [1]
    assert [e["seq"] for e in read_jsonl(path)] == [2]


@pytest.mark.parametrize("option", ["fsync=sometimes", "max_bytes=-1", "max_bytes=big"])
def test_bad_options_are_clear_errors(tmp_path, option):
    with pytest.raises(ValueError, match=option.partition("=")[0]):
        FileSink(SinkSpec.parse(f"file:{tmp_path / 'x'}?{option}"))


def test_a_full_disk_mid_batch_leaves_whole_lines_and_the_retry_writes_each_once(
    small_disk,
):
    disk = small_disk("out", "1m")
    path = disk / "out.jsonl"
    sink = sink_for(f"file:{path}")
    sink.write([{"seq": i} for i in range(10)])
    filler = fill(disk)  # 16 KiB left: the next batch is cut short
    batch = [{"seq": i, "pad": "x" * 200} for i in range(10, 500)]
    with pytest.raises(OSError, match="No space left"):
        sink.write(batch)
    assert [e["seq"] for e in read_jsonl(path)] == list(range(10))  # as before the batch
    assert path.read_bytes().endswith(b"\n")
    filler.unlink()
    sink.write(batch)
    sink.close()
    assert [e["seq"] for e in read_jsonl(path)] == list(range(500))


def test_lines_a_failed_batch_left_in_a_rotated_file_are_not_written_again(small_disk):
    disk = small_disk("out", "1m")
    path = disk / "out.jsonl"
    sink = sink_for(f"file:{path}?max_bytes=8192&backups=3")
    sink.write([{"seq": i, "pad": "x" * 50} for i in range(80)])  # about 6 KB: 2 pages
    filler = fill(disk, leave=0)
    # The first part of this batch fits in the file's last page; after the rotation the
    # new file gets no page at all.
    batch = [{"seq": i, "pad": "x" * 50} for i in range(80, 400)]
    with pytest.raises(OSError, match="No space left"):
        sink.write(batch)
    rotated = path.with_name("out.jsonl.1")
    assert rotated.exists() and read_jsonl(path) == []
    in_rotated = [e["seq"] for e in read_jsonl(rotated)]
    assert in_rotated[:80] == list(range(80)) and len(in_rotated) > 80
    filler.unlink()
    sink.write(batch)
    sink.close()
    seqs = [e["seq"] for name in ("out.jsonl.3", "out.jsonl.2", "out.jsonl.1", "out.jsonl")
            for e in read_jsonl(path.with_name(name))]  # fmt: skip
    assert seqs == list(range(400))


def test_a_different_batch_after_a_failure_is_written_in_full(small_disk):
    disk = small_disk("out", "1m")
    path = disk / "out.jsonl"
    sink = sink_for(f"file:{path}?max_bytes=8192&backups=3")
    sink.write([{"seq": i, "pad": "x" * 50} for i in range(80)])
    filler = fill(disk, leave=0)
    with pytest.raises(OSError):
        sink.write([{"seq": i, "pad": "x" * 50} for i in range(80, 400)])
    filler.unlink()
    sink.write([{"seq": -1}])  # not the batch that failed: nothing of it is skipped
    sink.close()
    assert [e["seq"] for e in read_jsonl(path)] == [-1]
