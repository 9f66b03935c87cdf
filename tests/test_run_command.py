"""``hotprobe run -- CMD`` as a user runs it: real processes, real signals, a real terminal."""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import orjson
import pytest

from collector.pipeline.endpoints import free_tcp_endpoint
from collector.run.output import OutputRelay, fold_carriage_returns
from tests.helpers import (
    PLAIN_WORKERS_BARS,
    PROGRAMS,
    ROOT,
    assert_bars_ended,
    free_port,
    probe_environment,
    program,
    read_jsonl,
    streams_of,
    wait_for,
)

TIMEOUT = 90.0
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def environment() -> dict[str, str]:
    """The test's environment without hotprobe's variables (the run sets its own)."""
    env = probe_environment(TERM="xterm-256color")
    env.pop("PYTHONUNBUFFERED", None)
    return env


def hotprobe_run(*args: str) -> list[str]:
    """The ``hotprobe run`` command line, with this checkout's code."""
    return program("hotprobe_command", "run", *args)


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``hotprobe run ARGS`` in ``tmp_path`` to its end (its temporary files there too)."""
    return subprocess.run(
        hotprobe_run(*args),
        cwd=tmp_path,
        env={**environment(), "TMPDIR": str(tmp_path), **env},
        capture_output=True,
        timeout=TIMEOUT,
    )


def json_lines(text: bytes) -> list[dict]:
    """The events among ``hotprobe run``'s standard error lines."""
    return [orjson.loads(line) for line in text.splitlines() if line.startswith(b"{")]


def recorded(tmp_path: Path) -> Path:
    [path] = (tmp_path / "hotprobe-runs").glob("*.jsonl")
    return path


def run_end(events: list[dict]) -> dict:
    [end] = [e for e in events if e["event"] == "run" and e["info"]["phase"] == "end"]
    return end


@pytest.mark.parametrize("status", [0, 3])
def test_exit_status_events_on_stderr_and_the_recorded_run(tmp_path, status):
    work = program("run_workload", str(status))
    result = run(tmp_path, "--", *work)
    assert result.returncode == status, result.stderr.decode()
    assert result.stdout == b"loaded\n"  # off a terminal, the command's output is its own
    events = json_lines(result.stderr)
    load = [e for e in events if e["probe"] == "load"]
    assert [load[0]["event"], load[-1]["event"]] == ["start", "end"]
    assert load[-1]["n"] == 200
    end = run_end(events)
    assert end["info"]["status"] == status and end["info"]["signal"] is None
    assert end["info"]["argv"] == work
    assert 0 < end["info"]["duration"] < TIMEOUT
    run_id = end["run"]
    assert re.fullmatch(r"run_workload-\d{8}T\d{6}-[0-9a-f]{6}", run_id), run_id
    assert {e["run"] for e in events} == {run_id}
    path = recorded(tmp_path)
    assert path.name == f"{run_id}.jsonl"
    assert f"recorded to hotprobe-runs/{run_id}.jsonl" in result.stderr.decode()
    assert read_jsonl(path) == events  # the record holds what the view was given


def test_a_command_killed_by_a_signal_exits_128_plus_n(tmp_path):
    result = run(tmp_path, "--record", "none", "--", *program("kill_itself"))
    assert result.returncode == 128 + signal.SIGKILL, result.stderr.decode()
    end = run_end(json_lines(result.stderr))
    assert end["info"]["status"] == 137 and end["info"]["signal"] == "SIGKILL"
    assert "exited with SIGKILL" in result.stderr.decode()
    assert not (tmp_path / "hotprobe-runs").exists()  # --record none


def test_record_file_is_chosen_drawn_by_hotprobe_plot_and_listed_by_hotprobe_runs(tmp_path):
    record = tmp_path / "runs" / "mine.jsonl"
    result = run(tmp_path, "--record", str(record), "--", *program("run_workload", "0"))
    assert result.returncode == 0, result.stderr.decode()
    run_id = run_end(read_jsonl(record))["run"]
    image = tmp_path / "run.png"
    plot = subprocess.run(
        program("hotprobe_command", "plot", str(record), "-o", str(image)),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert plot.returncode == 0, plot.stderr
    assert f"1 streams of run {run_id}" in plot.stderr
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    runs = subprocess.run(
        program("hotprobe_command", "runs", "--json", str(record)),
        capture_output=True,
        timeout=TIMEOUT,
    )
    assert runs.returncode == 0, runs.stderr
    [listed] = json_lines(runs.stdout)
    assert (listed["run"], listed["status"], listed["signal"]) == (run_id, 0, None)
    assert listed["command"] == program("run_workload", "0")[1:]  # the script's own sys.argv


def test_a_collector_already_on_the_default_port_is_left_alone(tmp_path, start_collector):
    """``hotprobe run`` takes free ports: a collector on 5556 gets none of its events."""
    out = tmp_path / "default.jsonl"
    other = start_collector("--interval", "0", "--sink", f"file:{out}")
    env = environment()
    env["HOTPROBE_ENDPOINT"] = other.endpoint  # what the user's shell may point at
    result = subprocess.run(
        hotprobe_run("--record", "none", "--", *program("run_workload", "0")),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert any(e["probe"] == "load" for e in json_lines(result.stderr))
    assert other.stop() == 0
    assert read_jsonl(out) == []


def test_a_bind_that_is_taken_is_a_usage_error_and_a_free_one_is_used(tmp_path, start_collector):
    taken = start_collector("--sink", "stdout").endpoint
    result = run(tmp_path, "--record", "none", "--bind", taken, "--", *program("kill_itself"))
    assert result.returncode == 2 and b"hotprobe run: error:" in result.stderr
    assert not any(tmp_path.glob("hotprobe-run-*/*/*"))  # the spools it opened are closed
    chosen = free_tcp_endpoint()
    result = run(tmp_path, "--record", "none", "--bind", chosen, "--", *program("endpoint"))
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().split() == [chosen]


def test_usage_errors_and_help(tmp_path):
    usage = run(tmp_path, "--help")
    assert usage.returncode == 0
    words = b" ".join(usage.stdout.split())  # as wrapped for any terminal width
    assert b"-- CMD [ARGS...]" in words and b"default: a free loopback port" in words
    result = run(tmp_path)
    assert result.returncode == 2 and b"no command given" in result.stderr
    result = run(tmp_path, "--", "/nonexistent/command")
    assert result.returncode == 127 and b"cannot run /nonexistent/command" in result.stderr
    end = run_end(json_lines(result.stderr))
    assert end["info"]["status"] == 127


# -- on a terminal -------------------------------------------------------------------------


def run_in_terminal(command: list[str], cwd: Path) -> tuple[int, bytes]:
    """Run ``command`` with a 120x30 pseudo-terminal as stdout and stderr."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    proc = subprocess.Popen(
        command, stdout=slave, stderr=slave, env=environment(), cwd=cwd, start_new_session=True
    )
    os.close(slave)
    output = bytearray()
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            readable, _, _ = select.select([master], [], [], 0.2)
            if readable:
                try:
                    chunk = os.read(master, 1 << 16)
                except OSError:  # EIO: every writer has closed the terminal
                    chunk = b""
                if not chunk and proc.poll() is not None:
                    break
                output += chunk
            elif proc.poll() is not None:
                break
        else:
            raise AssertionError(f"still running after {TIMEOUT} s:\n{output.decode()[-3000:]}")
        return proc.wait(timeout=TIMEOUT), bytes(output)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)


def test_on_a_terminal_output_comes_above_the_live_view_line_by_line_in_order(tmp_path):
    status, output = run_in_terminal(hotprobe_run("--", *program("ordered_output")), tmp_path)
    assert status == 0, output.decode(errors="replace")
    lines = [ANSI.sub(b"", line).strip() for line in output.replace(b"\r", b"\n").splitlines()]
    mine = [line.decode() for line in lines if re.fullmatch(rb"(out|err) \d|bar \d/4|last", line)]
    expected = [f"{kind} {i}" for i in range(6) for kind in ("out", "err")]
    assert mine == [*expected, "bar 4/4", "last"]  # the bar once, in its final state
    text = ANSI.sub(b"", output).decode()
    assert re.search(r"lines\s.*6/6.*done", text), text[-2000:]
    assert re.search(r"exit 0 after", text)  # the run's line in the view
    assert output.rfind(b"\x1b[?25h") > output.rfind(b"\x1b[?25l")  # the cursor is shown again
    assert "recorded to hotprobe-runs/" in text


# -- Ctrl-C --------------------------------------------------------------------------------


def start_run(tmp_path: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        hotprobe_run(*args),
        cwd=tmp_path,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a shell's job
    )


def test_ctrl_c_goes_to_the_command_once_then_everything_is_delivered(tmp_path):
    proc = start_run(tmp_path, "--", *program("interruptible"))
    try:
        assert proc.stdout.readline() == b"ready\n"
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        stdout, stderr = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr.decode()
    assert stdout == b"interrupted 1\n"  # the command got the signal exactly once
    events = read_jsonl(recorded(tmp_path))
    work_events = [e for e in events if e["probe"] == "work"]
    assert work_events[-1]["event"] == "end" and 20 < work_events[-1]["n"] < 10_000
    assert [e["data"] for e in events if e["probe"] == "cleanup"] == [{"signals": 1}]
    assert run_end(events)["info"]["status"] == 130
    assert json_lines(stderr) == events


def test_a_second_ctrl_c_gives_up_waiting_and_keeps_what_was_delivered(tmp_path):
    """A sink that cannot deliver (a file sink on a FIFO nobody reads: its open blocks)
    holds the end up; the second Ctrl-C ends the wait, the record keeps what it got."""
    fifo = tmp_path / "nobody-reads.fifo"
    os.mkfifo(fifo)
    proc = start_run(
        tmp_path,
        "--sink",
        f"file:{fifo}",
        "--shutdown-timeout",
        "600",
        "--",
        *program("run_workload", "3"),
    )
    try:
        assert proc.stdout.readline() == b"loaded\n"

        def run_ended():
            runs = tmp_path / "hotprobe-runs"
            return runs.exists() and any(
                e["event"] == "run" and e["info"]["phase"] == "end"
                for e in read_jsonl(recorded(tmp_path))
            )

        assert wait_for(run_ended, timeout=TIMEOUT)
        time.sleep(0.5)  # the collector is now waiting for the sink that cannot deliver
        assert proc.poll() is None
        os.killpg(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 3, stderr.decode()
    assert b"interrupted again: not waiting for the sinks to deliver the rest" in stderr
    events = read_jsonl(recorded(tmp_path))
    assert [e for e in events if e["probe"] == "load"][-1]["n"] == 200
    assert run_end(events)["info"]["status"] == 3


# -- the output relay, on a real pipe -------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        (b"plain", b"plain"),
        (b"\r 10%|#\r 50%|#####\r100%|##########", b"100%|##########"),
        (b"done\r", b"done"),  # a trailing carriage return redraws nothing yet
        (b"windows line\r", b"windows line"),
        (b"", b""),
    ],
)
def test_a_line_is_shown_as_a_terminal_leaves_it(line, shown):
    assert fold_carriage_returns(line) == shown


def test_the_relay_writes_whole_lines_in_order_and_folds_a_bar_line(monkeypatch):
    written = []

    class Recorder:
        def write(self, text):
            written.append(text)

        def flush(self):
            pass

    monkeypatch.setattr(sys, "stdout", Recorder())
    read_fd, write_fd = os.pipe()
    relay = OutputRelay(read_fd)
    relay.start()
    os.write(write_fd, b"first\nsec")
    os.write(write_fd, b"ond\n")
    for i in range(10_000):  # a bar redrawn 10,000 times on one line
        os.write(write_fd, f"\rbar {i:05d}".encode())
    os.write(write_fd, b"\nno newline at the end")
    os.close(write_fd)
    assert relay.join(timeout=TIMEOUT)
    assert "".join(written) == "first\nsecond\nbar 09999\nno newline at the end\n"
    assert relay.lines == 4


def test_the_readme_snippet_runs_as_pasted(tmp_path):
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## 30 seconds") :]
    code = section[section.index("```python\n") + len("```python\n") :]
    code = code[: code.index("```")]
    assert code.startswith("# simulate.py\n")
    (tmp_path / "simulate.py").write_text(code)
    result = run(tmp_path, "--", sys.executable, "simulate.py")
    assert result.returncode == 0, result.stderr.decode()
    ends = {e["probe"]: e["n"] for e in read_jsonl(recorded(tmp_path)) if e["event"] == "end"}
    assert ends == {"load": 500, "step": 200, "solve": 1000}
    marks = [e["data"] for e in read_jsonl(recorded(tmp_path)) if e["event"] == "mark"]
    assert marks == [{"loss": 0.12}]
    assert recorded(tmp_path).name.startswith("simulate-")


def test_events_a_sink_could_not_deliver_are_spooled_and_the_place_named(tmp_path):
    away = f"mongodb://127.0.0.1:{free_port()}/db?serverSelectionTimeoutMS=300"
    result = run(tmp_path, "--record", "none", "--sink", away, "--", *program("run_workload", "0"))
    assert result.returncode == 0, result.stderr.decode()
    [line] = [line for line in result.stderr.decode().splitlines() if " wait in " in line]
    waiting, directory = re.search(r"(\d+) events for .* wait in (\S+)", line).groups()
    assert int(waiting) >= 3  # the run's start and end, the stream's start and end at least
    assert Path(directory).is_relative_to(tmp_path) and any(Path(directory).iterdir())
    assert f"--spool-dir {Path(directory).parent}" in line


def test_under_hotprobe_run_the_command_describes_the_run_and_its_children_join_it(tmp_path):
    result = run(tmp_path, "--", *program("describe_run"))
    assert result.returncode == 0, result.stderr.decode()
    events = read_jsonl(recorded(tmp_path))
    runs = [e for e in events if e["event"] == "run"]
    assert [e["info"]["phase"] for e in runs] == ["start", "end"]
    start, end = runs
    assert start["pid"] != end["pid"]  # the command's own, then hotprobe run's
    assert start["info"]["argv"] == program("describe_run")[1:]
    assert start["info"]["labels"] == {"lr": 0.1, "model": "small"}
    assert end["info"]["argv"] == program("describe_run")
    assert {e["run"] for e in events} == {start["run"]}
    assert sorted(e["probe"] for e in events if e["event"] == "mark") == [
        "in-child",
        "in-child",
        "in-subprocess",
        "parent",
    ]


def test_a_piped_standard_input_reaches_the_command(tmp_path):
    result = subprocess.run(
        hotprobe_run("--record", "none", "--", *program("echo_input")),
        cwd=tmp_path,
        env={**environment(), "TMPDIR": str(tmp_path)},
        input=b"from the pipe\n",
        capture_output=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b"from the pipe\n"


def test_plain_tqdm_bars_and_their_spawned_workers_arrive_through_hotprobe_run(
    tmp_path, hooked_python
):
    """The zero-change path: a script that only uses tqdm, its fork, spawn and forkserver
    workers and process_map under spawn, all through ``hotprobe run``'s HOTPROBE_TQDM=1."""
    result = subprocess.run(
        [
            str(hooked_python),
            str(PROGRAMS / "hotprobe_command.py"),
            "run",
            "--",
            str(hooked_python),
            str(PROGRAMS / "tqdm_plain_workers.py"),
        ],
        cwd=tmp_path,
        env={**environment(), "TMPDIR": str(tmp_path)},
        capture_output=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stderr.decode()
    events = read_jsonl(recorded(tmp_path))
    assert_bars_ended(streams_of(events), PLAIN_WORKERS_BARS)
    runs = [e for e in events if e["event"] == "run"]
    assert [e["info"]["phase"] for e in runs] == ["start", "end"]  # workers join the run
    assert {e["run"] for e in events} == {runs[0]["run"]}
    assert runs[0]["run"].startswith("tqdm_plain_workers-")
