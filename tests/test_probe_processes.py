"""Worker processes, started however, reach the collector through the fan-in path with default
settings: every worker's ``start`` and ``end`` arrive, and no child writes to its parent's socket.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections import defaultdict

import pytest

from collector.pipeline.endpoints import free_tcp_endpoint
from tests.conftest import read_jsonl, run_python, wait_for

TASKS = 200

PROGRAM = f"""
import json, os, sys
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import probe


@probe.track
def work(x):
    return os.getpid()


def run(kind):
    if kind == "executor":
        with ProcessPoolExecutor(4) as executor:
            return set(executor.map(work, range({TASKS})))
    with multiprocessing.get_context(kind).Pool(4) as pool:  # leaves through terminate()
        return set(pool.map(work, range({TASKS}), chunksize=1))


if __name__ == "__main__":
    for _ in probe.iterate(range(10), "parent-before"):  # the parent's socket exists before
        pass
    pids = run(sys.argv[1])
    for _ in probe.iterate(range(10), "parent-after"):
        pass
    print(json.dumps({{"parent": os.getpid(), "workers": sorted(pids)}}))
"""


@pytest.mark.parametrize("kind", ["fork", "spawn", "executor"])
def test_every_worker_start_and_end_reach_the_collector(tmp_path, start_collector, kind):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    script = tmp_path / "job.py"
    script.write_text(PROGRAM)
    result = subprocess.run(
        [sys.executable, str(script), kind],
        env=run_env(collector.endpoint),
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


def run_env(endpoint: str) -> dict[str, str]:
    """The test environment with only the endpoint set: default settings otherwise."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTPROBE_")}
    env["HOTPROBE_ENDPOINT"] = endpoint
    return env


def test_a_second_script_on_the_same_endpoint_is_not_cut_off(tmp_path, start_collector):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    code = """
        import time
        import probe
        with probe.progress("script") as p:
            for i in range(50):
                p.update()
                time.sleep(0.002)
    """
    first = subprocess.Popen(
        [sys.executable, "-c", "import probe, time; probe.emit('first'); time.sleep(3)"],
        env=run_env(collector.endpoint),
    )
    try:
        assert wait_for(lambda: any(e["probe"] == "first" for e in read_jsonl(out)))
        result = run_python(code, collector.endpoint)
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
    code = """
        import json, os, sys
        import probe

        probe.emit("parent", when="before")
        pid = os.fork()
        if pid == 0:
            probe.emit("child")
            print(json.dumps(probe.stats()), flush=True)
            sys.exit(0)  # atexit runs in the child too: its socket is flushed and closed
        os.waitpid(pid, 0)
        probe.emit("parent", when="after")
        print(json.dumps(probe.stats()), flush=True)
    """
    result = run_python(code, collector.endpoint)
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


LOST_WAKEUP = """
import os, signal, sys, threading
import multiprocessing

import probe


@probe.track
def work(x):
    return x


def worker(hold_sigterm):
    work(1)  # opens the socket: the probe now handles SIGTERM in this worker
    helper = next(t for t in threading.enumerate() if t.name == "hotprobe-sigterm")
    if hold_sigterm:  # a main thread that no signal can interrupt
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    # SIGTERM lands on another thread while the main thread is blocked in a C call, as when it
    # arrives just before the main thread blocks: Python has seen it, the main thread sleeps on.
    threading.Timer(0.5, signal.pthread_kill, (helper.ident, signal.SIGTERM)).start()
    threading.Event().wait()


if __name__ == "__main__":
    held = sys.argv[1] == "held"
    process = multiprocessing.get_context("fork").Process(target=worker, args=(held,))
    process.start()
    process.join(timeout=30)
    print(process.pid, process.exitcode)
"""


@pytest.mark.parametrize(
    ("main_thread", "exitcode"), [("blocked", -signal.SIGTERM), ("held", -signal.SIGKILL)]
)
def test_a_sigterm_the_main_thread_missed_still_ends_the_worker(
    tmp_path, start_collector, main_thread, exitcode
):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    script = tmp_path / "job.py"
    script.write_text(LOST_WAKEUP)
    result = subprocess.run(
        [sys.executable, str(script), main_thread],
        env=run_env(collector.endpoint),
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
    code = textwrap.dedent("""
        import probe, sys
        probe.emit("x")
        print(probe.stats()["socket"], flush=True)
        sys.stdin.readline()
    """)

    def start() -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", code],
            env=run_env(endpoint),
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
