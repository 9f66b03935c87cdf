"""The file sink: whole lines, appended, rotated by size without tearing a line."""

from __future__ import annotations

import pytest

from collector.sinks import SinkSpec
from plugins.file import FileSink
from tests.helpers import read_jsonl


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
