"""Worker processes, started however, reach the collector through the fan-in path with default
settings: every worker's ``start`` and ``end`` arrive, and no child writes to its parent's socket.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections import defaultdict

import pytest

from collector.pipeline.endpoints import free_tcp_endpoint
from tests.helpers import probe_environment, program, read_jsonl, run_program, wait_for

TASKS = 200


@pytest.mark.parametrize("kind", ["fork", "spawn", "executor"])
def test_every_worker_start_and_end_reach_the_collector(tmp_path, start_collector, kind):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    result = subprocess.run(
        program("worker_pools", kind, str(TASKS)),
        env=probe_environment(collector.endpoint),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    pids = json.loads(result.stdout)
    workers = set(pids["workers"])

    def work_events():
        by_pid = defaultdict(list)
        for event in read_jsonl(out):
            if event["probe"] == "work":
                by_pid[event["pid"]].append(event)
        return by_pid

    def all_ended():
        by_pid = work_events()
        return set(by_pid) == workers and all(e[-1]["event"] == "end" for e in by_pid.values())

    assert wait_for(all_ended, timeout=30), (kind, workers, dict(work_events()))
    assert collector.stop() == 0
    by_pid = work_events()
    for pid, events in by_pid.items():
        assert events[0]["event"] == "start", pid
        assert [e["seq"] for e in events] == list(range(len(events))), pid
    assert sum(events[-1]["n"] for events in by_pid.values()) == TASKS
    parent = [e for e in read_jsonl(out) if e["pid"] == pids["parent"]]
    for name in ("parent-before", "parent-after"):
        kinds = [e["event"] for e in parent if e["probe"] == name]
        assert kinds[0] == "start" and kinds[-1] == "end", name
    assert {e["probe"] for e in parent} == {"<run>", "parent-before", "parent-after"}
    assert [e["event"] for e in read_jsonl(out) if e["probe"] == "<run>"] == ["run"]  # workers join


def test_a_second_script_on_the_same_endpoint_is_not_cut_off(tmp_path, start_collector):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    first = subprocess.Popen(program("emit_and_linger"), env=probe_environment(collector.endpoint))
    try:
        assert wait_for(lambda: any(e["probe"] == "first" for e in read_jsonl(out)))
        result = run_program("progress_script", endpoint=collector.endpoint)
        assert result.returncode == 0, result.stderr
        assert wait_for(
            lambda: any(e["probe"] == "script" and e["event"] == "end" for e in read_jsonl(out))
        )
    finally:
        first.kill()
        first.wait(timeout=10)
    assert collector.stop() == 0


def test_a_forked_child_opens_its_own_fan_in_socket(tmp_path, start_collector):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    result = run_program("forked_child", endpoint=collector.endpoint)
    assert result.returncode == 0, result.stderr
    child, parent = (json.loads(line) for line in result.stdout.splitlines())
    assert parent["socket"] == "pair" and parent["endpoint"] == collector.endpoint
    assert child["socket"] == "push" and child["endpoint"] != collector.endpoint
    assert child["sent"] == 1 and parent["sent"] == 3  # the parent's run event, not the child's
    assert wait_for(lambda: len(read_jsonl(out)) == 4), read_jsonl(out)
    marks = [(e["probe"], e["seq"], e.get("data")) for e in read_jsonl(out)]
    assert ("child", 0, {}) in marks
    parent_marks = [m for m in marks if m[0] == "parent"]
    assert parent_marks == [("parent", 0, {"when": "before"}), ("parent", 1, {"when": "after"})]


@pytest.mark.parametrize(
    ("main_thread", "exitcode"), [("blocked", -signal.SIGTERM), ("held", -signal.SIGKILL)]
)
def test_a_sigterm_the_main_thread_missed_still_ends_the_worker(
    tmp_path, start_collector, main_thread, exitcode
):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    result = subprocess.run(
        program("lost_sigterm_wakeup", main_thread),
        env=probe_environment(collector.endpoint),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    pid, status = map(int, result.stdout.split())
    assert status == exitcode
    assert wait_for(
        lambda: any(e["pid"] == pid and e["event"] == "end" for e in read_jsonl(out))
    ), read_jsonl(out)


def test_the_pair_claim_is_held_while_its_process_lives_and_released_when_it_dies():
    endpoint = free_tcp_endpoint()

    def start() -> subprocess.Popen:
        return subprocess.Popen(
            program("hold_pair_claim"),
            env=probe_environment(endpoint),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def socket_kind(process: subprocess.Popen) -> str:
        kind = process.stdout.readline().strip()
        process.communicate("\n", timeout=30)
        return kind

    holder = start()
    try:
        assert holder.stdout.readline().strip() == "pair"
        assert socket_kind(start()) == "push"
    finally:
        holder.kill()
        holder.wait(timeout=10)
    assert socket_kind(start()) == "pair"
