"""Whatever the user puts in ``data``, encoding gives valid JSON and never raises."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import orjson
import pytest

from probe import _wire
from probe._wire import encode, json_safe
from tests.helpers import read_jsonl, run_program, wait_for


class Opaque:
    def __repr__(self) -> str:
        return "<Opaque>"


class Hostile:
    """Every conversion hook raises."""

    def __repr__(self) -> str:
        raise RuntimeError("no repr")

    def __getattr__(self, name: str):
        raise RuntimeError(f"no {name}")


def cyclic() -> dict:
    value: dict = {"a": 1}
    value["self"] = value
    return value


VALUES = {
    "numpy float": (np.float32(1.5), 1.5),
    "numpy int": (np.int64(7), 7),
    "numpy bool": (np.bool_(True), True),
    "numpy array": (np.arange(3), [0, 1, 2]),
    "numpy 2d strided": (np.arange(6).reshape(2, 3)[:, ::2], [[0, 2], [3, 5]]),
    "numpy object array": (np.array([1, "x"], dtype=object), [1, "x"]),
    "numpy datetime": (np.datetime64("2026-01-02"), None),
    "datetime": (datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc), "2026-01-02T03:04:05+00:00"),
    "date": (date(2026, 1, 2), "2026-01-02"),
    "timedelta": (timedelta(seconds=3), None),
    "set": ({3}, [3]),
    "frozenset": (frozenset({"a"}), ["a"]),
    "tuple": ((1, 2), [1, 2]),
    "bytes": (b"ab\xff", "ab\\xff"),
    "complex": (1 + 2j, [1.0, 2.0]),
    "huge int": (10**30, str(10**30)),
    "negative huge int": (-(10**30), str(-(10**30))),
    "nan": (math.nan, None),
    "inf": (math.inf, None),
    "decimal": (Decimal("1.25"), None),
    "fraction": (Fraction(1, 3), None),
    "path": (Path("/tmp/x"), None),
    "object": (Opaque(), "<Opaque>"),
    "hostile object": (Hostile(), "<unrepresentable Hostile>"),
    "non-str keys": ({1: "a", (1, 2): "b"}, None),
    "cyclic": (cyclic(), None),
}


@pytest.fixture(params=["orjson", "json"])
def writer(request, monkeypatch):
    """Events written by orjson, and by the standard library's json (no orjson installed)."""
    if request.param == "json":
        monkeypatch.setattr(_wire, "orjson", None)
    return request.param


@pytest.mark.parametrize("label", VALUES)
def test_any_value_encodes_to_json(label, writer):
    value, expected = VALUES[label]
    event = {"probe": "p", "event": "mark", "data": {"value": value, "plain": 1}}
    decoded = orjson.loads(encode(event))
    assert decoded["probe"] == "p"
    assert decoded["data"]["plain"] == 1
    if expected is not None:
        assert decoded["data"]["value"] == expected


def test_huge_int_next_to_numpy_keeps_both(writer):
    decoded = orjson.loads(encode({"data": {"big": 2**70, "arr": np.ones(2)}}))
    assert decoded["data"] == {"big": str(2**70), "arr": [1.0, 1.0]}


def test_json_safe_is_total_on_nesting():
    deep: list = []
    for _ in range(100):
        deep = [deep]
    assert isinstance(orjson.dumps(json_safe({"deep": deep})), bytes)


@pytest.mark.parametrize("program", ["awkward_data", "without_orjson"])
def test_awkward_data_reaches_the_collector_and_the_program_never_sees_an_error(
    tmp_path, start_collector, program
):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    result = run_program(program, endpoint=collector.endpoint)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert wait_for(lambda: len(read_jsonl(out)) >= 3), read_jsonl(out)
    [mark] = [e for e in read_jsonl(out) if e["probe"] == "awkward"]
    assert mark["data"] == {
        "array": [0, 1, 2],
        "scalar": 0.5,
        "when": "2026-01-02T00:00:00+00:00",
        "tags": ["a"],
        "big": str(10**40),
        "missing": None,
        "other": "<unrepresentable Hostile>",
    }
    [end] = [e for e in read_jsonl(out) if e["probe"] == "bar" and e["event"] == "end"]
    assert end["data"]["state"].startswith("<object object at")
