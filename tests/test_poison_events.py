"""Issue 12's cases 1, 2, 3, 6, 7 (cannot spool) and 16, each from outside: a real collector
process, real sockets, a real MongoDB-wire server, the files it leaves."""

from __future__ import annotations

import base64
import json
import shutil
from functools import partial

import orjson
import pytest
import zmq

from probe.protocol import fan_in_endpoint
from tests.event_sender import make_events, send, send_raw
from tests.helpers import (
    Stats,
    client,
    install_sink_plugin,
    last_stats,
    parse_stats,
    read_jsonl,
    wait_for,
)
from tests.mongo_server import collection_of, count, distinct_run_seq, external_server, fresh_name

pytestmark = pytest.mark.timeout(240)

DEEP_300 = b'{"d":' + b'{"a":' * 300 + b"1" + b"}" * 301
DEEP_990 = b'{"d":' + b"[" * 990 + b"]" * 990 + b"}"


def stats_lines(stderr: str) -> list[Stats]:
    return [parse_stats(line) for line in stderr.splitlines() if "stats: " in line]


def report(case: str, **figures: int) -> None:
    """One line of figures, printed before the assertions (``pytest -s`` shows it, and the
    same on a checkout where the case still fails)."""
    print(f"\nfigures {case}: " + " ".join(f"{key}={value}" for key, value in figures.items()))


def dead_letters(path) -> list[dict]:
    records = read_jsonl(path)
    for record in records:
        record["raw"] = base64.b64decode(record["raw_base64"])
    return records


# -- case 1: deep nesting --------------------------------------------------------------------
def test_case_1_deep_nesting_is_rejected_and_every_good_event_arrives(
    tmp_path, start_collector, mongo_spec
):
    out, spec = tmp_path / "out.jsonl", mongo_spec(fresh_name())
    collector = start_collector("--interval", "0", "--sink", f"file:{out}", "--sink", spec)
    good = [orjson.dumps(event) for event in make_events(1000, probe="g")]
    send_raw(collector.endpoint, [DEEP_300, DEEP_990, *good])
    collection = collection_of(spec)
    wait_for(lambda: len(read_jsonl(out)) >= 1000 and count(collection) >= 1000, timeout=30)
    status = collector.stop()
    records = dead_letters(tmp_path / "hotprobe-dead-letter.jsonl")
    report(
        "1", sent_good=1000, sent_deep=2, written_file=len(read_jsonl(out)),
        written_mongodb=count(collection), rejected=len(records),
        lost=sum(s["lost"] for s in last_stats(collector.stderr).sinks.values()), status=status,
    )  # fmt: skip
    assert status == 0, collector.stderr
    assert [event["seq"] for event in read_jsonl(out)] == list(range(1000))
    assert distinct_run_seq(collection) == count(collection) == 1000
    assert [record["raw"] for record in records] == [DEEP_300, DEEP_990]
    assert {record["reason"] for record in records} == {
        "nested deeper than the 200 levels an event may take"
    }
    stats = last_stats(collector.stderr)
    received, sinks = stats.counts, stats.sinks
    assert (received["received"], received["kept"], received["rejected"]) == (1002, 1000, 2)
    for stats in sinks.values():
        assert (stats["written"], stats["lost"], stats["in_spool"]) == (1000, 0, 0)


# -- case 2: what MongoDB cannot store --------------------------------------------------------
def test_case_2_timestamps_bson_cannot_hold_stop_nothing_after_them(
    tmp_path, start_collector, mongo_spec
):
    spec = mongo_spec(fresh_name())
    collector = start_collector("--interval", "0", "--sink", spec)
    poison = make_events(2, probe="poison")
    poison[0]["timestamp"] = "0001-01-01T00:00:00+01:00"
    poison[1]["timestamp"] = "9999-12-31T23:00:00-05:00"
    send(collector.endpoint, [*poison, *make_events(200, probe="good")])
    collection = collection_of(spec)
    wait_for(lambda: count(collection) >= 200, timeout=30)
    status = collector.stop()
    records = dead_letters(tmp_path / "hotprobe-dead-letter.jsonl")
    [sink] = last_stats(collector.stderr).sinks.values()
    report(
        "2 (timestamps)", sent=202, written_good=collection.count_documents({"probe": "good"}),
        rejected=len(records), in_spool=sink["in_spool"], lost=sink["lost"], status=status,
    )  # fmt: skip
    assert status == 0, collector.stderr
    assert count(collection) == collection.count_documents({"probe": "good"}) == 200
    assert [json.loads(record["raw"])["probe"] for record in records] == ["poison", "poison"]
    assert all("out of range in UTC" in record["reason"] for record in records)
    sinks = last_stats(collector.stderr).sinks
    assert [(s["written"], s["in_spool"], s["lost"]) for s in sinks.values()] == [(200, 0, 0)]
    assert not (tmp_path / "hotprobe-spool").exists()


def test_case_2_documents_the_server_refuses_are_dead_lettered_the_rest_written(
    tmp_path, start_collector, mongo_spec
):
    name = fresh_name()
    spec = mongo_spec(name)
    schema = {"$jsonSchema": {"properties": {"n": {"bsonType": "int"}}}}
    database = collection_of(spec).database
    database.create_collection(name, validator=schema)
    collector = start_collector("--interval", "0", "--sink", spec)
    events = make_events(300)
    events[10]["n"] = events[250]["n"] = "not a number"
    send(collector.endpoint, events)
    collection = collection_of(spec)
    wait_for(lambda: count(collection) >= 298 and "stats:" in collector.stderr, timeout=30)
    status = collector.stop()
    [sink] = last_stats(collector.stderr).sinks.values()
    report(
        "2 (refused by the server)", sent=300, written=count(collection),
        rejected=sink.get("rejected", 0), in_spool=sink["in_spool"], lost=sink["lost"],
        status=status,
    )  # fmt: skip
    assert status == 0, collector.stderr
    assert sorted(doc["seq"] for doc in collection.find()) == [
        seq for seq in range(300) if seq not in (10, 250)
    ]
    records = dead_letters(tmp_path / "hotprobe-dead-letter.jsonl")
    assert [json.loads(record["raw"])["seq"] for record in records] == [10, 250]
    for record in records:
        assert record["reason"].startswith(f"sink {spec!r} refused it: MongoDB error 121")
    sinks = last_stats(collector.stderr).sinks
    assert [(s["written"], s["rejected"], s["in_spool"]) for s in sinks.values()] == [(298, 2, 0)]


# -- case 3: an event's own _id ----------------------------------------------------------------
def test_case_3_events_carrying_the_same_id_stay_apart(tmp_path, start_collector, mongo_spec):
    spec = mongo_spec(fresh_name())
    collector = start_collector("--interval", "0", "--sink", spec)
    events = make_events(4)
    for event in events:
        event["_id"] = "same"
    send(collector.endpoint, events)
    collection = collection_of(spec)
    wait_for(lambda: count(collection) >= 4, timeout=10)
    status = collector.stop()
    [sink] = last_stats(collector.stderr).sinks.values()
    report("3", sent=4, documents=count(collection), written=sink["written"], status=status)
    assert status == 0, collector.stderr
    documents = list(collection.find().sort("seq", 1))
    assert [doc["seq"] for doc in documents] == [0, 1, 2, 3]
    assert {doc["\uff3fid"] for doc in documents} == {"same"}
    assert len({doc["_id"] for doc in documents}) == 4


# -- case 16: exactly once where the store can ----------------------------------------------
def test_case_16_the_same_events_twice_are_stored_once(tmp_path, start_collector, mongo_spec):
    spec = mongo_spec(fresh_name())
    collector = start_collector("--interval", "0", "--sink", spec)
    events = make_events(500)
    no_seq = [{"probe": "plain", "n": i} for i in range(50)]  # a seed-style client
    send(collector.endpoint, [*events, *events, *no_seq])  # a client resending, or a replay
    collection = collection_of(spec)
    assert wait_for(lambda: count(collection) >= 550, timeout=30)  # the last sent are stored
    status = collector.stop()
    report(
        "16 (sent twice)", sent=1050, distinct_events=550, documents=count(collection),
        duplicated=count(collection) - distinct_run_seq(collection), status=status,
    )  # fmt: skip
    assert status == 0, collector.stderr
    assert count(collection) == distinct_run_seq(collection) == 550
    sinks = last_stats(collector.stderr).sinks
    assert [s["written"] for s in sinks.values()] == [1050]  # duplicates count as written


@pytest.mark.skipif(bool(external_server()), reason="needs a server the test can kill")
def test_case_16_a_replay_cut_by_kill_9_leaves_no_duplicates(
    tmp_path, start_collector, mongo_servers
):
    server = mongo_servers(sync_on_commit=True)
    server.kill()  # down while the first collector runs: everything is spooled
    spec = server.uri(collection=fresh_name(), batch_size="100")
    args = ("--interval", "0", "--sink", spec)
    first = start_collector(*args)
    events = make_events(20_000)
    send(first.endpoint, events)
    assert first.stop() == 0, first.stderr
    assert last_stats(first.stderr).sinks[spec]["in_spool"] == 20_000
    server.start()
    collection = collection_of(spec)
    second = start_collector(*args)
    assert wait_for(lambda: count(collection) >= 3000, timeout=60, interval=0.02)
    second.kill()  # kill -9 in the middle of the replay
    assert count(collection) < 20_000, "the replay finished before the kill: nothing tested"
    third = start_collector(*args)
    wait_for(lambda: count(collection) >= 20_000, timeout=120, interval=0.2)
    wait_for(lambda: distinct_run_seq(collection) >= 20_000, timeout=60, interval=0.5)
    status = third.stop()
    report(
        "16 (kill -9 during replay)", sent=20_000, documents=count(collection),
        duplicated=count(collection) - distinct_run_seq(collection),
        missing=20_000 - distinct_run_seq(collection), status=status,
    )  # fmt: skip
    assert status == 0, third.stderr
    assert count(collection) == distinct_run_seq(collection) == 20_000


# -- case 6: every event accounted for, and the exit status ---------------------------------
def assert_sums(line: Stats) -> dict[str, dict[str, int]]:
    collector, sinks = line.counts, line.sinks
    for name, s in sinks.items():
        settled = s["written"] + s["rejected"] + s["lost"] + s["in_spool"] + s["queued"]
        assert s.get("carried", 0) + collector["kept"] == settled, (name, line)
    received = collector["kept"] + collector["suppressed"] + collector["rejected"]
    assert collector["received"] == received, line
    return sinks


def test_case_6_the_sums_add_up_across_sinks_and_a_loss_fails_the_exit_status(
    tmp_path, monkeypatch, start_collector
):
    install_sink_plugin("hotprobe_poison_sinks", tmp_path / "plugin", monkeypatch)
    out = tmp_path / "out.jsonl"
    collector = start_collector(
        "--interval", "0", "--stats-interval", "0.2", "--shutdown-timeout", "3",
        "--sink", f"file:{out}", "--sink", "picky", "--sink", "down?spool_max_bytes=20000",
    )  # fmt: skip
    events = make_events(3000)
    for event in events[::100]:
        event["data"]["bad"] = True
    send_raw(collector.endpoint, [*map(orjson.dumps, events), b"\xff not UTF-8"])
    assert wait_for(lambda: len(read_jsonl(out)) >= 3000, timeout=30), collector.stderr
    assert wait_for(lambda: len(stats_lines(collector.stderr)) >= 3, timeout=30)
    status = collector.stop()
    lines = stats_lines(collector.stderr)
    for name, sink in lines[-1].sinks.items():
        report(f"6 sink[{name[:12]}]", kept=lines[-1].counts["kept"], status=status, **sink)
    assert status == 1, collector.stderr  # the down sink lost events
    for line in lines:
        assert_sums(line)
    sinks = assert_sums(lines[-1])
    assert sinks[f"file:{out}"]["written"] == 3000
    assert (sinks["picky"]["written"], sinks["picky"]["rejected"]) == (2970, 30)
    down = sinks["down?spool_max_bytes=20000"]
    assert down["lost"] > 0 and down["in_spool"] > 0 and down["written"] == 0
    refused = [
        r for r in dead_letters(tmp_path / "hotprobe-dead-letter.jsonl") if "sink" in r["reason"]
    ]
    assert len(refused) == 30
    assert {r["reason"] for r in refused} == {
        "sink 'picky' refused it: ValueError: cannot store a bad event"
    }


def test_case_7_cannot_spool_is_said_once_per_spell(tmp_path, monkeypatch, start_collector):
    install_sink_plugin("hotprobe_poison_sinks", tmp_path / "plugin", monkeypatch)
    collector = start_collector(
        "--interval", "0", "--spool-dir", "spool", "--stats-interval", "0.1", "--sink", "down"
    )  # fmt: skip
    (spool,) = (tmp_path / "spool").iterdir()
    shutil.rmtree(spool)  # a spool directory taken away while the collector runs
    events = make_events(2000)

    def at_least(name: str, count: int) -> bool:
        return last_stats(collector.stderr).sink("down").get(name, 0) >= count

    with client(fan_in_endpoint(collector.endpoint), zmq.PUSH, timeout=10) as push:
        for start in range(0, 2000, 200):  # ten bursts: the first stays in the worker's
            for event in events[start : start + 200]:  # hand, each other one fails to spool
                push.send(orjson.dumps(event), zmq.NOBLOCK)
            reached = partial(at_least, "lost", start) if start else partial(at_least, "failed", 1)
            assert wait_for(reached, timeout=30), collector.stderr[-2000:]
    status = collector.stop()
    sink = last_stats(collector.stderr).sink("down")
    report(
        "7 (cannot spool)", sent=2000, cannot_spool_lines=collector.stderr.count("cannot spool"),
        lost=sink["lost"], status=status,
    )  # fmt: skip
    assert status == 1, collector.stderr
    assert collector.stderr.count("cannot spool") == 1, collector.stderr
    assert sink["lost"] == 2000 and sink["in_spool"] == 0
