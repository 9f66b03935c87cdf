"""Parsing ``--sink`` values."""

import pytest

from collector.sinks import SinkSpec


def test_scheme_only():
    spec = SinkSpec.parse("stdout")
    assert (spec.scheme, spec.target, spec.options) == ("stdout", "", {})


def test_file_with_options():
    spec = SinkSpec.parse("file:/tmp/run.jsonl?max_bytes=1000&backups=3")
    assert spec.scheme == "file"
    assert spec.target == "/tmp/run.jsonl"
    assert spec.option("max_bytes", convert=int) == 1000
    assert spec.option("missing", 7) == 7


def test_connection_string_kept_whole():
    text = "mongodb://127.0.0.1:27017/science?collection=runs"
    spec = SinkSpec.parse(text)
    assert spec.scheme == "mongodb" and spec.text == text
    assert spec.options == {"collection": "runs"}


def test_bad_option_value_names_the_option():
    with pytest.raises(ValueError, match="max_bytes"):
        SinkSpec.parse("file:x?max_bytes=lots").option("max_bytes", convert=int)
