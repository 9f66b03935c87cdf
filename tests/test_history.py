"""``hotprobe runs`` and ``hotprobe show`` over files written by a real collector during real
runs (one whose tracked function went quiet while a loop went on and then stalled, one done,
one with a failing Pool worker, one killed mid-stream), and over MongoDB."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import orjson
import pytest

from collector.cli import main
from collector.history.read import MongoSource
from tests.helpers import ROOT, CollectorProcess, probe_environment, program, read_jsonl, wait_for
from tests.mongo_server import (
    MongoServer,
    collection_of,
    collection_uri,
    external_server,
    fresh_name,
)

RUNS = ("quiet-run", "done-run", "pool-run", "hung-run")


def run_workload(kind: str, run: str, endpoint: str) -> subprocess.Popen:
    env = probe_environment(endpoint, HOTPROBE_RUN=run)
    return subprocess.Popen(
        program("history_workload", kind), env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True
    )


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A file and a MongoDB collection that one real collector's file and MongoDB sinks wrote
    while the three workloads ran in turn."""
    tmp_path = tmp_path_factory.mktemp("history")
    path = tmp_path / "runs.jsonl"
    server = None if external_server() else MongoServer(tmp_path / "mongo").start()
    spec = collection_uri(server, fresh_name())
    sinks = ["--sink", f"file:{path}", "--sink", spec]
    collector = CollectorProcess(tmp_path, ["--interval", "0", *sinks]).start()
    try:
        record_quiet_run(path, collector.endpoint)
        for kind, run in (("done", RUNS[1]), ("pool", RUNS[2])):
            process = run_workload(kind, run, collector.endpoint)
            assert process.wait(timeout=120) == 0
        hung = run_workload("hang", RUNS[3], collector.endpoint)
        assert hung.stdout.readline() == "started\n"
        assert wait_for(lambda: any(e.get("run") == RUNS[3] for e in read_jsonl(path)))
        hung.kill()
        hung.wait(timeout=10)
        assert wait_for(lambda: sum(e["event"] == "end" for e in read_jsonl(path)) >= 6)
        assert collector.stop() == 0
        yield path, spec
    finally:
        collector.kill()
        if server is not None:
            server.stop_now()


def record_quiet_run(path: Path, endpoint: str) -> None:
    """Run ``quiet-run``: one process calls ``step`` and exits (its stream ends), another
    calls it, then loops over a tracked generator without calling it, then stalls (killed)."""
    calls = run_workload("calls", RUNS[0], endpoint)
    assert calls.wait(timeout=60) == 0
    quiet = run_workload("quiet", RUNS[0], endpoint)
    try:
        assert quiet.stdout.readline() == "stalled\n"

        def started() -> set[tuple[str, str]]:
            events = [e for e in read_jsonl(path) if e.get("run") == RUNS[0]]
            return {(e["probe"], e["event"]) for e in events if e.get("pid") == quiet.pid}

        assert wait_for(
            lambda: {("step", "start"), ("loop", "start"), ("produce", "start")} <= started()
        )
    finally:
        quiet.kill()
        quiet.wait(timeout=10)


@pytest.fixture(scope="module")
def recorded(stores: tuple[Path, str]) -> Path:
    return stores[0]


def hotprobe(capsys, *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def show_json(capsys, source: str, run: str, stalled_after: str) -> list[dict]:
    status, out, _ = hotprobe(
        capsys, "show", source, "--run", run, "--stalled-after", stalled_after, "--json"
    )
    assert status == 0
    return [json.loads(line) for line in out.splitlines()]


def runs_json(capsys, *args: str) -> list[dict]:
    status, out, _ = hotprobe(capsys, "runs", *args, "--json")
    assert status == 0
    return [json.loads(line) for line in out.splitlines()]


def test_runs_lists_every_run_newest_first_with_its_streams(recorded: Path, capsys) -> None:
    listed = runs_json(capsys, str(recorded), "--stalled-after", "3600")
    assert [r["run"] for r in listed] == list(reversed(RUNS))
    by_id = {r["run"]: r for r in listed}
    assert by_id["quiet-run"]["streams"] == {"running": 3, "done": 1}
    assert by_id["done-run"]["streams"] == {"done": 2}
    assert by_id["pool-run"]["streams"] == {"failed": 1, "done": 3}
    assert by_id["hung-run"]["streams"] == {"running": 1}  # still within --stalled-after
    assert by_id["done-run"]["events"] == sum(e["run"] == "done-run" for e in read_jsonl(recorded))
    assert all(r["hosts"] == [os.uname().nodename] for r in listed)
    assert all(r["start"] <= r["end"] and r["duration"] >= 0 for r in listed)
    stalled = runs_json(capsys, str(recorded), "--stalled-after", "0")
    assert {r["run"]: r["streams"] for r in stalled}["hung-run"] == {"stalled": 1}

    status, out, err = hotprobe(capsys, "runs", str(recorded))
    assert status == 0 and err == ""
    header, *lines = out.splitlines()
    assert header.split()[:2] == ["run", "started"]
    assert [line.split()[0] for line in lines] == list(reversed(RUNS))
    assert "1 failed, 3 done" in lines[1]


def test_filters(recorded: Path, capsys) -> None:
    source = str(recorded)
    assert [r["run"] for r in runs_json(capsys, source, "--failed")] == ["pool-run"]
    assert [r["run"] for r in runs_json(capsys, source, "--limit", "1")] == ["hung-run"]
    assert runs_json(capsys, source, "--host", "nowhere*") == []
    assert len(runs_json(capsys, source, "--host", os.uname().nodename[:2] + "*")) == len(RUNS)
    assert len(runs_json(capsys, source, "--since", "1d")) == len(RUNS)
    assert runs_json(capsys, source, "--since", "2999-01-01") == []
    status, _, err = hotprobe(capsys, "runs", source, "--limit", "2")
    assert status == 0 and f"{len(RUNS) - 2} older runs not shown" in err
    quiet = runs_json(capsys, source, "--failed", "--stalled-after", "0")
    assert [r["run"] for r in quiet] == ["pool-run"]  # idle and stalled are not failures


def test_run_events_give_command_labels_and_exit_status(tmp_path: Path, capsys) -> None:
    base = {"v": 1, "host": "n1", "pid": 9, "run": "r-labelled"}
    stamp = "2026-11-30T10:00:0{}.000000+00:00"
    events = [
        base
        | {
            "timestamp": stamp.format(0),
            "probe": "<run>",
            "event": "run",
            "n": 0,
            "info": {
                "phase": "start",
                "argv": ["train.py", "--lr", "0.1"],
                "labels": {"lr": "0.1", "model": "small"},
            },
        },
        base | {"timestamp": stamp.format(1), "probe": "fit", "event": "start", "n": 0},
        base | {"timestamp": stamp.format(2), "probe": "fit", "event": "end", "n": 9},
        base
        | {
            "timestamp": stamp.format(3),
            "probe": "<run>",
            "event": "run",
            "n": 0,
            "info": {"phase": "end", "status": 3, "signal": None, "duration": 2.5},
        },
    ]
    path = tmp_path / "labelled.jsonl"
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    (listed,) = runs_json(capsys, str(path), "--label", "model=small")
    assert listed["command"] == ["train.py", "--lr", "0.1"]
    assert listed["status"] == 3 and listed["duration"] == 2.5
    assert listed["labels"] == {"lr": "0.1", "model": "small"}
    assert listed["streams"] == {"done": 1}
    assert runs_json(capsys, str(path), "--label", "model=large") == []
    assert [r["run"] for r in runs_json(capsys, str(path), "--failed")] == ["r-labelled"]
    _, out, _ = hotprobe(capsys, "runs", str(path))
    assert "train.py --lr 0.1" in out and " 3 " in out


def test_show_groups_a_pool_across_its_processes(recorded: Path, capsys) -> None:
    status, out, _ = hotprobe(capsys, "show", str(recorded), "--run", "pool-run", "--json")
    assert status == 0
    (chunk,) = [json.loads(line) for line in out.splitlines()]
    assert chunk["probe"] == "chunk" and chunk["state"] == "failed"
    assert chunk["members"] == {"failed": 1, "done": 3}
    assert len({p["pid"] for p in chunk["processes"]}) == 4
    assert chunk["n"] == 3 * 50 + 20 and chunk["total"] == 4 * 50
    assert chunk["error"] == "ValueError: rank 2 diverged"
    assert chunk["mean_rate"] > 0 and chunk["data"]["loss"] > 0

    status, out, _ = hotprobe(capsys, "show", str(recorded), "--run", "pool-run", "--members")
    lines = out.splitlines()
    assert lines[0] == "run pool-run: 1 streams"
    assert lines[2].split()[:4] == ["chunk", "4", "(1", "failed,"]
    assert "170/200" in lines[2] and "ValueError: rank 2 diverged" in lines[2]
    assert len(lines) == 3 + 4  # header, the group, a line per process


def test_show_defaults_to_the_newest_run_and_names_the_closest_on_a_typo(
    recorded: Path, capsys
) -> None:
    status, out, _ = hotprobe(capsys, "show", str(recorded), "--stalled-after", "0")
    assert status == 0
    assert out.splitlines()[0] == "run hung-run: 1 streams"
    assert "stalled" in out.splitlines()[2]
    status, out, _ = hotprobe(capsys, "show", str(recorded), "--run", "done-run", "--json")
    groups = {g["probe"]: g for g in map(json.loads, out.splitlines())}
    assert set(groups) == {"load", "fit"}  # the mark is not a stream
    assert groups["fit"]["n"] == 30 and groups["fit"]["state"] == "done"
    status, _, err = hotprobe(capsys, "show", str(recorded), "--run", "pool-rn")
    assert status == 2
    assert "no run 'pool-rn'" in err and "closest: pool-run" in err


def test_a_quiet_tracked_function_is_idle_and_a_quiet_loop_stalled(recorded: Path, capsys) -> None:
    source = str(recorded)
    quiet = {r["run"]: r for r in runs_json(capsys, source, "--stalled-after", "0")}
    assert quiet["quiet-run"]["streams"] == {"stalled": 2, "idle": 1, "done": 1}
    assert quiet["hung-run"]["streams"] == {"stalled": 1}  # a loop, not calls
    status, out, _ = hotprobe(capsys, "runs", source, "--stalled-after", "0")
    assert status == 0
    (line,) = [line for line in out.splitlines() if line.startswith("quiet-run ")]
    assert "2 stalled, 1 idle, 1 done" in line

    groups = show_json(capsys, source, "quiet-run", "0")
    assert [g["probe"] for g in groups][-1] == "step"  # stalled groups first, then idle
    by_name = {g["probe"]: g for g in groups}
    assert set(by_name) == {"step", "loop", "produce"}
    step = by_name["step"]
    assert step["state"] == "idle" and step["members"] == {"idle": 1, "done": 1}
    processes = {p["state"]: p for p in step["processes"]}
    assert set(processes) == {"idle", "done"} and processes["done"]["n"] == 7
    assert processes["idle"]["n"] <= 5
    assert by_name["loop"]["state"] == "stalled" and by_name["loop"]["total"] == 1000
    assert by_name["produce"]["state"] == "stalled"  # a tracked generator's items stall
    assert all(g["members"] == {g["state"]: 1} for g in groups if g["probe"] != "step")

    status, out, _ = hotprobe(
        capsys, "show", source, "--run", "quiet-run", "--stalled-after", "0", "--members"
    )
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "run quiet-run: 3 streams"
    cells = {line.split()[0]: line.split() for line in lines[2:]}
    assert cells["step"][1:5] == ["2", "(1", "idle,", "1"] and "idle" in cells["step"][5:]
    assert "stalled" in cells["loop"] and "stalled" in cells["produce"]
    members = [line for line in lines if line.startswith("  ")]
    assert len(members) == 2 and {m.split()[-1] for m in members} <= {"idle", "done"}
    assert sorted(" idle" in m for m in members) == [False, True]

    lively = {g["probe"]: g for g in show_json(capsys, source, "quiet-run", "3600")}
    assert lively["step"]["state"] == "running"
    assert lively["step"]["members"] == {"running": 1, "done": 1}
    assert lively["loop"]["state"] == lively["produce"]["state"] == "running"


def test_each_stream_is_quiet_by_its_own_last_event_and_a_group_the_liveliest(
    tmp_path: Path, capsys
) -> None:
    now = time.time()

    def at(age: float, probe: str, kind: str, pid: int, unit: str, **more) -> dict:
        stamp = datetime.fromtimestamp(now - age, timezone.utc).isoformat(timespec="microseconds")
        fields = {"timestamp": stamp, "probe": probe, "event": kind, "n": 1, "unit": unit}
        return {"v": 1, "host": "n1", "pid": pid, "run": "r-mixed"} | fields | more

    events = [
        at(7200, "step", "start", 1, "call"),
        at(7100, "step", "progress", 1, "call"),  # quiet for two hours: idle
        at(7200, "step", "start", 2, "call"),
        at(10, "step", "progress", 2, "call"),  # called ten seconds ago: running
        at(7200, "fetch", "start", 1, "call"),  # idle
        at(7200, "fetch", "start", 2, "call"),
        at(7150, "fetch", "error", 2, "call", error={"type": "OSError", "message": "gone"}),
        at(7200, "scan", "start", 1, "it"),  # a quiet loop: stalled
        at(7200, "scan", "start", 2, "call"),  # idle
        at(7200, "gen", "start", 1, "item"),  # a quiet tracked generator: stalled
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))

    groups = show_json(capsys, str(path), "r-mixed", "3600")
    assert [(g["probe"], g["state"], g["members"]) for g in groups] == [
        ("step", "running", {"running": 1, "idle": 1}),
        ("scan", "stalled", {"stalled": 1, "idle": 1}),
        ("gen", "stalled", {"stalled": 1}),
        ("fetch", "idle", {"failed": 1, "idle": 1}),  # idle is livelier than failed
    ]
    status, out, _ = hotprobe(capsys, "show", str(path), "--run", "r-mixed")
    assert status == 0
    cells = {line.split()[0]: line.split() for line in out.splitlines()[2:]}
    assert cells["fetch"][1:6] == ["2", "(1", "failed,", "1", "idle)"]
    assert cells["fetch"][-3:] == ["idle", "OSError:", "gone"]  # the member's error stays
    (run,) = runs_json(capsys, str(path), "--stalled-after", "3600")
    assert run["streams"] == {"failed": 1, "running": 6}  # the run sent an event 10 s ago
    (run,) = runs_json(capsys, str(path), "--stalled-after", "5")
    assert run["streams"] == {"failed": 1, "stalled": 2, "idle": 4}
    assert [r["run"] for r in runs_json(capsys, str(path), "--failed")] == ["r-mixed"]


def test_rotated_files_are_read_as_one(recorded: Path, tmp_path: Path, capsys) -> None:
    lines = recorded.read_bytes().splitlines(keepends=True)
    older, newer = tmp_path / "runs.jsonl.1", tmp_path / "runs.jsonl"
    older.write_bytes(b"".join(lines[: len(lines) // 2]))
    newer.write_bytes(b"".join(lines[len(lines) // 2 :]))
    whole = runs_json(capsys, str(recorded), "--stalled-after", "3600")
    assert runs_json(capsys, str(older), str(newer), "--stalled-after", "3600") == whole


def test_bad_input_is_counted_on_one_line(recorded: Path, tmp_path: Path, capsys) -> None:
    damaged = tmp_path / "damaged.jsonl"
    good = recorded.read_bytes()
    no_run = orjson.dumps({"timestamp": "2026-11-30T10:00:00.000000+00:00", "probe": "x"})
    damaged.write_bytes(b"not json\n[1, 2]\n" + no_run + b"\n" + good + b'{"run": "torn-li')
    status, out, err = hotprobe(capsys, "runs", str(damaged))
    assert status == 0
    assert len(out.splitlines()) == 1 + len(RUNS)
    assert err.count("\n") == 1
    assert "2 lines not JSON" in err and "1 JSON values that are not objects" in err
    assert "1 events without a run id" in err


def test_text_from_events_is_inert(tmp_path: Path, capsys) -> None:
    path = tmp_path / "hostile.jsonl"
    event = {
        "timestamp": "2026-11-30T10:00:00.000000+00:00",
        "run": "r\x1b]0;owned\x07",
        "probe": "p\x1b[2J",
        "event": "start",
        "n": 0,
        "host": "h\x9b31m",
        "pid": 1,
    }
    path.write_bytes(orjson.dumps(event) + b"\n")
    for command in ("runs", "show"):
        status, out, _ = hotprobe(capsys, command, str(path))
        assert status == 0
        assert not any(c in out for c in "\x1b\x07\x9b"), out


def test_runs_and_show_read_mongodb_through_its_indexes(stores, capsys) -> None:
    recorded, spec = stores
    with MongoSource(spec) as source:
        indexes = {tuple(k for k in i["key"]) for i in source.collection.list_indexes()}
    assert {("run", "timestamp"), ("run", "event")} <= indexes  # made by the sink
    from_file = runs_json(capsys, str(recorded), "--stalled-after", "3600")
    from_mongo = runs_json(capsys, spec, "--stalled-after", "3600")
    keep = ("run", "hosts", "streams", "events", "command", "status")
    assert [{k: r[k] for k in keep} for r in from_mongo] == [
        {k: r[k] for k in keep} for r in from_file
    ]
    status, out, _ = hotprobe(capsys, "show", spec, "--run", "pool-run", "--json")
    assert status == 0
    assert json.loads(out)["members"] == {"failed": 1, "done": 3}
    quiet_file = runs_json(capsys, str(recorded), "--stalled-after", "0")
    quiet_mongo = runs_json(capsys, spec, "--stalled-after", "0")
    assert [r["streams"] for r in quiet_mongo] == [r["streams"] for r in quiet_file]
    assert quiet_mongo[-1]["streams"] == {"stalled": 2, "idle": 1, "done": 1}  # quiet-run
    states = ("probe", "state", "members")
    for stalled_after in ("0", "3600"):
        shown = [
            show_json(capsys, where, "quiet-run", stalled_after) for where in (spec, str(recorded))
        ]
        # sorted: MongoDB keeps milliseconds, so two starts may tie and swap groups of one state
        from_mongo, from_file = (sorted([g[k] for k in states] for g in s) for s in shown)
        assert from_mongo == from_file
        assert len(from_mongo) == 3
    assert ["step", "running", {"running": 1, "done": 1}] in from_mongo


def test_mongodb_events_of_one_millisecond_keep_their_order_by_seq(stores, capsys) -> None:
    """MongoDB stores milliseconds: a short stream's start and end may share one, and come
    back from a sort by time in either order (here, stored end first)."""
    _, spec = stores
    when = datetime(2026, 11, 30, 10, 0, 0, 123000, tzinfo=timezone.utc)
    base = {"v": 1, "timestamp": when, "host": "n1", "pid": 5, "run": "r-tie", "unit": "call"}
    documents = [
        base | {"probe": "step", "event": "end", "n": 7, "seq": 2},
        base | {"probe": "step", "event": "progress", "n": 4, "seq": 1, "rate": 9.0},
        base | {"probe": "step", "event": "start", "n": 0, "seq": 0},
        base | {"probe": "loop", "event": "start", "n": 0, "seq": 0, "unit": "it"},
    ]
    name = fresh_name()
    collection_of(spec).database[name].insert_many(documents)
    (run,) = runs_json(capsys, spec, "--collection", name, "--stalled-after", "0")
    assert run["streams"] == {"stalled": 1, "done": 1}
    status, out, _ = hotprobe(
        capsys, "show", spec, "--collection", name, "--stalled-after", "0", "--json"
    )
    assert status == 0
    groups = {g["probe"]: g for g in map(json.loads, out.splitlines())}
    assert groups["step"]["state"] == "done" and groups["step"]["n"] == 7
    assert groups["step"]["last_rate"] == 9.0 and groups["loop"]["state"] == "stalled"
