"""Decoding: the probe's events, the seed's looser forms, and what is rejected."""

from __future__ import annotations

from datetime import datetime, timezone

import orjson
import pytest

from collector.pipeline.decode import decode, decode_batch
from collector.pipeline.event import Event, Rejected

ARRIVAL = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc).timestamp()


def test_probe_event_keeps_its_fields_and_time():
    raw = orjson.dumps({"timestamp": "2026-11-27T23:59:59.123456+00:00", "probe": "p", "n": 3})
    event = decode(raw, ARRIVAL)
    assert isinstance(event, Event)
    assert event.fields == orjson.loads(raw)
    assert event.time == datetime(2026, 11, 27, 23, 59, 59, 123456, timezone.utc).timestamp()


def test_missing_timestamp_becomes_arrival_time():
    event = decode(b'{"apples": 3}', ARRIVAL)
    assert event.time == ARRIVAL
    assert event.fields == {"apples": 3, "timestamp": "2026-11-28T12:00:00.000000+00:00"}


@pytest.mark.parametrize(
    "raw, message",
    [(b"ping 7", "ping 7"), (b"[1, 2]", [1, 2]), (b"42", 42), (b'"text"', "text"), (b"", "")],
)
def test_non_objects_become_events_holding_them(raw, message):
    event = decode(raw, ARRIVAL)
    assert event.fields == {"timestamp": "2026-11-28T12:00:00.000000+00:00", "message": message}


@pytest.mark.parametrize(
    "stamp, expected",
    [
        ("2026-11-27T23:59:59Z", datetime(2026, 11, 27, 23, 59, 59, tzinfo=timezone.utc)),
        ("2026-11-27 23:59:59", datetime(2026, 11, 27, 23, 59, 59, tzinfo=timezone.utc)),
        ("Fri, 27 Nov 2026 23:59:59 GMT", datetime(2026, 11, 27, 23, 59, 59, tzinfo=timezone.utc)),
        ("Nov 27 2026 11:59:59 PM", datetime(2026, 11, 27, 23, 59, 59, tzinfo=timezone.utc)),
        ("2026-11-28T01:59:59+02:00", datetime(2026, 11, 27, 23, 59, 59, tzinfo=timezone.utc)),
        ("27/11/2026 23:59:59", datetime(2026, 11, 27, 23, 59, 59, tzinfo=timezone.utc)),
        (1795823999.5, datetime(2026, 11, 27, 23, 59, 59, 500000, tzinfo=timezone.utc)),
        (1795823999, datetime(2026, 11, 27, 23, 59, 59, tzinfo=timezone.utc)),
        # Unix date(1), C asctime, nginx, JavaScript ISO, prose with an offset, slashes
        ("Fri Nov 27 23:59:59 UTC 2026", datetime(2026, 11, 27, 23, 59, 59, tzinfo=timezone.utc)),
        ("Fri Nov 27 23:59:59 2026", datetime(2026, 11, 27, 23, 59, 59, tzinfo=timezone.utc)),
        ("27/Nov/2026 23:59:59 +0000", datetime(2026, 11, 27, 23, 59, 59, tzinfo=timezone.utc)),
        ("2026-11-27T23:59:59.123Z", datetime(2026, 11, 27, 23, 59, 59, 123000, timezone.utc)),
        ("November 28, 2026 00:59:59 +01:00", datetime(2026, 11, 27, 23, 59, 59, 0, timezone.utc)),
        ("2026/11/27 23:59:59.5", datetime(2026, 11, 27, 23, 59, 59, 500000, timezone.utc)),
        ("20261127T235959Z", datetime(2026, 11, 27, 23, 59, 59, tzinfo=timezone.utc)),
        ("2026-11-27T23:59:59.5+0000", datetime(2026, 11, 27, 23, 59, 59, 500000, timezone.utc)),
    ],
)
def test_timestamps_in_real_world_forms(stamp, expected):
    event = decode(orjson.dumps({"timestamp": stamp}), ARRIVAL)
    assert isinstance(event, Event)
    assert event.time == expected.timestamp()
    assert datetime.fromisoformat(event.fields["timestamp"]) == expected
    assert event.fields["timestamp"] == expected.isoformat(timespec="microseconds")  # one form
    assert event.fields["timestamp_raw"] == stamp


@pytest.mark.parametrize("count", [1, 3])  # one message, and a batch (the fast path)
def test_only_the_probes_form_is_kept_as_written(count):
    stamps = ["2026-11-27T23:59:59.123456+00:00", "2026-11-27T23:59:59.123456Z"]
    for stamp, written in zip(stamps, [False, True], strict=True):
        batch = decode_batch([orjson.dumps({"timestamp": stamp})] * count, ARRIVAL)
        assert [f["timestamp"] for f in batch.fields] == [stamps[0]] * count
        assert [("timestamp_raw" in f) for f in batch.fields] == [written] * count


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_timestamp_outside_the_utc_calendar_is_rejected(stamp):
    rejected = decode(orjson.dumps({"timestamp": stamp}), ARRIVAL)
    assert isinstance(rejected, Rejected)
    assert "out of range in UTC" in rejected.reason


@pytest.mark.parametrize("stamp", ["not a time", "2026-13-45T99:00:00", True, {"a": 1}])
def test_unparseable_timestamp_is_rejected_with_reason(stamp):
    raw = orjson.dumps({"timestamp": stamp})
    rejected = decode(raw, ARRIVAL)
    assert isinstance(rejected, Rejected)
    assert "timestamp" in rejected.reason
    assert rejected.raw == raw


def test_invalid_utf8_is_rejected():
    rejected = decode(b"\xff\xfe ping", ARRIVAL)
    assert isinstance(rejected, Rejected)
    assert "UTF-8" in rejected.reason
