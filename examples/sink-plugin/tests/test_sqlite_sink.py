"""The sqlite sink through a real hotprobe collector, with hotprobe's ``run_sink`` fixture."""

import json
import re
import sqlite3

import pytest

from collector.testing import probe_events


def rows(path, table="events"):
    with sqlite3.connect(path) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute(f"SELECT * FROM {table} ORDER BY id")]


def test_every_event_becomes_a_row(run_sink, tmp_path):
    db = tmp_path / "events.db"
    events = probe_events("train", total=3, loss=0.5)

    run = run_sink(f"sqlite:{db}", events)

    assert run.status == 0 and run.failures == []
    stored = rows(db)
    assert [row["event"] for row in stored] == ["start", "progress", "progress", "progress", "end"]
    assert [row["n"] for row in stored] == [0, 1, 2, 3, 3]
    assert stored[1]["probe"] == "train" and stored[1]["seq"] == 1
    assert json.loads(stored[1]["event_json"])["data"] == {"loss": 0.5}


def test_an_event_delivered_twice_is_stored_once(run_sink, tmp_path):
    db = tmp_path / "events.db"
    events = probe_events("train", total=2)

    run = run_sink(f"sqlite:{db}", events + events)

    assert len(run.events) == 8  # the sink was handed every copy ...
    assert len(rows(db)) == 4  # ... and kept one of each


def test_events_that_are_not_probe_events_are_kept_whole(run_sink, tmp_path):
    db = tmp_path / "events.db"
    odd = [{"probe": "x", "n": {"nested": True}, "seq": 2**63 + 5}, "plain text", [1, 2]]

    run_sink(f"sqlite:{db}?table=odd", odd)

    stored = rows(db, "odd")
    assert json.loads(stored[0]["n"]) == {"nested": True}
    assert json.loads(stored[0]["event_json"])["seq"] == 2**63 + 5  # too big for a column
    assert json.loads(stored[1]["event_json"])["message"] == "plain text"
    assert json.loads(stored[2]["event_json"])["message"] == [1, 2]


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("sqlite", "needs a database path"),
        ("sqlite:x.db?table=a;b", "option table='a;b': expected letters, digits and '_' only"),
        ("sqlite:x.db?tabel=runs", "unknown option 'tabel'; did you mean 'table'?"),
        ("sqlite:x.db?max_dealy=1", "unknown option 'max_dealy'; did you mean 'max_delay'?"),
    ],
)
def test_a_bad_spec_is_a_clear_error(run_sink, spec, complaint):
    with pytest.raises(ValueError, match=re.escape(complaint)):
        run_sink(spec, [])
