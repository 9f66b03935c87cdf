"""The MongoDB sink against a real MongoDB wire-protocol server."""

from __future__ import annotations

from datetime import datetime, timezone

import bson
import pytest

from collector import event_id
from collector.sinks import SinkSpec
from plugins.mongodb import MAX_NESTING, MongoSink, to_document
from tests.event_sender import make_events, send
from tests.helpers import last_stats, wait_for
from tests.mongo_server import collection_of, count, distinct_run_seq, fresh_name


def test_documents_are_made_safe_without_touching_the_event():
    event = {
        "timestamp": "2026-11-27T23:59:59.123456+00:00",
        "probe": "p",
        "$where": 1,
        "a.b": 2,
        "data": {"$set": {"x.y": [{"$z": 2**70}]}, "ok": 1},
    }
    document = to_document(event)
    assert document["timestamp"] == datetime(2026, 11, 27, 23, 59, 59, 123456, timezone.utc)
    assert document["\uff04where"] == 1 and document["a\uff0eb"] == 2
    assert document["data"] == {"\uff04set": {"x\uff0ey": [{"\uff04z": str(2**70)}]}, "ok": 1}
    assert event["data"]["$set"]["x.y"][0]["$z"] == 2**70 and "_id" not in event


def test_the_connection_string_selects_database_and_collection():
    sink = MongoSink(SinkSpec.parse("mongodb://h:1/science?collection=runs&directConnection=true"))
    assert (sink.database_name, sink.collection_name) == ("science", "runs")
    assert sink.uri == "mongodb://h:1/science?directConnection=true"
    default = MongoSink(SinkSpec.parse("mongodb://h:1"))
    assert (default.database_name, default.collection_name) == ("hotprobe", "events")
    with pytest.raises(ValueError, match="connection string"):
        MongoSink(SinkSpec.parse("mongodb://h:notaport/db"))


def test_a_bad_connection_string_is_refused_without_echoing_its_password(capsys):
    from collector.cli import main

    status = main(["collect", "--sink", "mongodb://ada:s3cret@db.example:99999/science"])
    error = capsys.readouterr().err
    assert status == 2 and "bad MongoDB connection string" in error
    assert "s3cret" not in error and "ada:***@db.example" in error


def test_events_arrive_with_dates_indexes_and_safe_names(tmp_path, start_collector, mongo_spec):
    spec = mongo_spec(fresh_name())
    collector = start_collector("--interval", "0", "--sink", spec)
    events = make_events(20)
    events[0]["data"] = {"$odd": {"dotted.name": 1}}
    send(collector.endpoint, events)
    collection = collection_of(spec)
    assert wait_for(lambda: count(collection) == 20, timeout=30), collector.stderr
    assert collector.stop() == 0, collector.stderr
    first = collection.find_one({"seq": 0})
    assert isinstance(first["timestamp"], datetime)
    assert first["data"] == {"\uff04odd": {"dotted\uff0ename": 1}}
    keys = {tuple(index["key"]) for index in collection.list_indexes()}
    assert {("probe", "timestamp"), ("run", "seq")} <= keys


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_100k_events_at_interval_0_all_arrive(tmp_path, start_collector, mongo_spec):
    spec = mongo_spec(fresh_name(), batch_size="2000")
    collector = start_collector("--interval", "0", "--stats-interval", "1", "--sink", spec)
    send(collector.endpoint, make_events(100_000))

    def written() -> int:
        return last_stats(collector.stderr).sink("mongodb").get("written", 0)

    done = wait_for(lambda: written() >= 100_000, 240, 0.5)
    assert done, collector.stderr[-3000:]
    assert collector.stop() == 0, collector.stderr[-3000:]
    assert distinct_run_seq(collection_of(spec)) == 100_000
    assert "lost=0" in collector.stderr


def test_documents_carry_the_events_identity_and_never_its_own_id():
    event = {"run": "r", "host": "h", "pid": 1, "probe": "p", "seq": 7, "_id": [1, 2]}
    document = to_document(event)
    assert document["_id"] == to_document(dict(event))["_id"] == event_id(event)
    assert document["\uff3fid"] == [1, 2] and event["_id"] == [1, 2]
    assert to_document({**event, "seq": 8})["_id"] != document["_id"]
    deep: object = 1
    for _ in range(150):
        deep = {"a": deep}
    nested = to_document({"probe": "p", "data": deep})["data"]
    for _ in range(MAX_NESTING - 1):
        nested = nested["a"]
    assert isinstance(nested, str) and nested.startswith('{"a":')  # the rest as JSON text
    bson.encode(to_document({"probe": "p", "data": deep}))


def test_the_mongodb_sink_knows_which_pymongo_errors_are_the_documents_fault():
    from bson.errors import InvalidDocument
    from pymongo.errors import AutoReconnect, DocumentTooLarge, ServerSelectionTimeoutError

    sink = MongoSink(SinkSpec.parse("mongodb://h:1"))
    assert sink.is_permanent(InvalidDocument("cannot encode")) is True
    assert sink.is_permanent(DocumentTooLarge("too large")) is True
    assert sink.is_permanent(OverflowError("date out of range")) is True
    assert sink.is_permanent(AutoReconnect("connection lost")) is False
    assert sink.is_permanent(ServerSelectionTimeoutError("no server")) is False
