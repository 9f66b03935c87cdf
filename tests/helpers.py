"""What the tests share: paths, polling, a collector process, the environment probe programs
run in, CURVE keys, free ports, the stats line parsed, filling a disk, raw sockets to a
collector, sink plugins installed for a test, and events as a sink receives them."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import orjson
import pytest
import zmq

from collector.curve.keygen import generate
from collector.pipeline.endpoints import free_tcp_endpoint

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
PROGRAMS = TESTS / "programs"  # the probe programs tests run in subprocesses
SINK_PLUGINS = TESTS / "sink_plugins"  # plugin modules tests install as distributions
#: The ``HOTPROBE_TQDM`` start-up hook, and the names installing the package gives its files.
HOOK = ROOT / "probe" / "hotprobe_startup.pth"
HOOK_FILES = {HOOK: HOOK.name, ROOT / "probe" / "_startup.py": "_hotprobe_startup.py"}
START_TIMEOUT = 20.0
STOP_TIMEOUT = 20.0
#: Free bytes ``fill`` leaves: less than one batch of events, so a write of one is cut short.
LEFT_FREE = 16 << 10

T = TypeVar("T")


def site_packages(environment: Path) -> Path:
    """The site-packages folder of the virtual environment at ``environment``."""
    purelib = sysconfig.get_path("purelib", vars={"base": str(environment)})
    return Path(purelib)


def read_jsonl(path: Path) -> list[dict]:
    """Every complete JSON line of ``path`` (none if it does not exist yet); a last line still
    being written (no newline yet) is left for the next read."""
    if not path.exists():
        return []
    complete = path.read_bytes().rpartition(b"\n")[0]
    return [orjson.loads(line) for line in complete.splitlines() if line.strip()]


def stream_events(path: Path) -> list[dict]:
    """``read_jsonl(path)`` without the ``run`` events that describe runs: the streams' own."""
    return [event for event in read_jsonl(path) if event.get("event") != "run"]


def wait_for(predicate: Callable[[], T], timeout: float = 15.0, interval: float = 0.05) -> T:
    """Poll ``predicate`` until it is true or ``timeout`` passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def free_port() -> int:
    """A loopback TCP port that is free now."""
    return int(free_tcp_endpoint().rpartition(":")[2])


def make_keys(tmp_path: Path) -> tuple[Path, Path]:
    """Key pairs for collector, alice and mallory; only alice's public key is allowed."""
    keys, clients = tmp_path / "keys", tmp_path / "clients"
    for name in ("collector", "alice", "mallory"):
        generate(keys, name)
    clients.mkdir()
    (clients / "alice.key").write_bytes((keys / "alice.key").read_bytes())
    return keys, clients


def reachable_host_name() -> tuple[str, dict[str, str]]:
    """This machine's host name, as a cluster node would name the collector's; a name that
    does not resolve falls back to ``localhost`` with the fan-in socket forced."""
    name = socket.gethostname()
    try:
        socket.gethostbyname(name)
    except OSError:
        return "localhost", {"HOTPROBE_SOCKET": "push"}
    return name, {}


def probe_environment(endpoint: str | None = None, **variables: str) -> dict[str, str]:
    """This process's environment without any ``HOTPROBE_*`` setting (so a program starts from
    the defaults), then ``HOTPROBE_ENDPOINT=endpoint`` when given, then ``variables``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HOTPROBE_")}
    if endpoint is not None:
        environment["HOTPROBE_ENDPOINT"] = endpoint
    environment.update(variables)
    return environment


def program(name: str, *args: str, python: str = sys.executable) -> list[str]:
    """The command that runs ``tests/programs/<name>.py`` with ``args`` on ``python``."""
    return [python, str(PROGRAMS / f"{name}.py"), *args]


def run_program(
    name: str,
    *args: str,
    endpoint: str | None = None,
    timeout: float = 60.0,
    python: str = sys.executable,
    **env: str,
) -> subprocess.CompletedProcess:
    """Run ``tests/programs/<name>.py`` to its end with the probe pointed at ``endpoint``."""
    return subprocess.run(
        program(name, *args, python=python),
        env=probe_environment(endpoint, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


@dataclass
class Stats:
    """One ``stats:`` line of a collector: the receive side's counts and each sink's."""

    counts: dict[str, int] = field(default_factory=dict)
    sinks: dict[str, dict[str, int]] = field(default_factory=dict)

    def sink(self, scheme: str) -> dict[str, int]:
        """The counts of the sink whose spec is ``scheme`` or starts with ``scheme:`` (empty
        before the first stats line)."""
        found = [
            counts
            for name, counts in self.sinks.items()
            if name == scheme or name.startswith(f"{scheme}:")
        ]
        assert len(found) <= 1, f"more than one {scheme} sink: {list(self.sinks)}"
        return found[0] if found else {}


def _counts(text: str) -> dict[str, int]:
    pairs = (word.partition("=") for word in text.split())
    return {key: int(value) for key, _, value in pairs if value.isdigit()}


def parse_stats(line: str) -> Stats:
    """``stats: received=3 kept=3 ... sink[file:x] written=3 ...`` as a ``Stats``."""
    receive_side, *sinks = line.partition("stats: ")[2].split(" sink[")
    receive_side = receive_side.removeprefix("sink[")  # a line with no receive counts
    stats = Stats(_counts(receive_side))
    for sink in sinks:
        name, _, counts = sink.partition("] ")
        stats.sinks[name] = _counts(counts)
    return stats


def last_stats(stderr: str) -> Stats:
    """The newest stats line in a collector's ``stderr`` (empty counts before the first)."""
    lines = [line for line in stderr.splitlines() if "stats: " in line]
    return parse_stats(lines[-1]) if lines else Stats()


class CollectorProcess:
    """``python -m collector`` in a subprocess, stderr captured to a file."""

    def __init__(self, tmp_path: Path, args: list[str], endpoint: str | None = None) -> None:
        self.endpoint = endpoint or free_tcp_endpoint()
        self.stderr_path = tmp_path / f"collector-{os.getpid()}-{time.monotonic_ns()}.err"
        self.args = args
        self.cwd = tmp_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> CollectorProcess:
        cmd = [sys.executable, "-m", "collector", "--bind", self.endpoint, *self.args]
        self.proc = subprocess.Popen(
            cmd, cwd=self.cwd, stdout=subprocess.PIPE, stderr=self.stderr_path.open("wb")
        )
        if not wait_for(
            lambda: "listening on" in self.stderr or self.proc.poll() is not None, START_TIMEOUT
        ):
            self.proc.kill()
            raise AssertionError(f"collector did not start:\n{self.stderr}")
        if self.proc.poll() is not None:
            raise AssertionError(f"collector exited {self.proc.returncode}:\n{self.stderr}")
        return self

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Signal the collector and wait for it; returns the exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.communicate(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise AssertionError(f"collector did not stop on {sig!r}:\n{self.stderr}") from None
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def fill(disk: Path, leave: int = LEFT_FREE) -> Path:
    """Take every free byte of ``disk`` but ``leave``; returns the filler file."""
    filler = disk / "filler"
    chunk = b"\0" * (64 << 10)
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        while os.write(fd, chunk):
            pass
    except OSError:  # ENOSPC: the disk is full
        pass
    finally:
        os.close(fd)
    os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler


def lines_of(*paths: Path) -> tuple[list[int], list[bytes]]:
    """The ``seq`` of every whole JSON line in ``paths``, and the lines that are not JSON
    events (torn, or two glued together)."""
    seqs, torn = [], []
    for path in paths:
        if not path.exists():
            continue
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            torn.append(data.rpartition(b"\n")[2])
            data = data.rpartition(b"\n")[0]
        for line in data.splitlines():
            try:
                seqs.append(orjson.loads(line)["seq"])
            except (orjson.JSONDecodeError, KeyError, TypeError):
                torn.append(line)
    return seqs, torn


def figures(seqs: list[int], torn: list[bytes], sent: int, stats: dict[str, int]) -> dict:
    """What the measurement says: written (distinct), duplicated, torn, lost (counted)."""
    counts = Counter(seqs)
    return {
        "sent": sent,
        "written": len(counts),
        "duplicated": sum(n - 1 for n in counts.values()),
        "torn": len(torn),
        "lost_counted": stats.get("lost"),
        "missing": sent - len(counts),
    }


def streams_of(events: list[dict]) -> dict[str, list[dict]]:
    """Events grouped by stream name, in arrival order (``run`` events describe the run, not a
    stream: they are left out)."""
    streams: dict[str, list[dict]] = {}
    for event in events:
        if event.get("event") != "run":
            streams.setdefault(event["probe"], []).append(event)
    return streams


def lifecycle(events: list[dict]) -> list[str]:
    """A stream's event kinds without its ``progress`` events: ``["start", "end"]``."""
    return [event["event"] for event in events if event["event"] != "progress"]


#: The bars ``tests/programs/tqdm_plain_workers.py`` draws, by name, each with its total: in
#: the main process, in a fork, a spawn and a forkserver worker, and in process_map's tasks.
PLAIN_WORKERS_BARS = {
    "main": 25,
    "worker-fork": 7,
    "worker-spawn": 7,
    "worker-forkserver": 7,
    "process_map": 4,
    **{f"task-{i}": 10 + i for i in range(4)},
}


def assert_bars_ended(streams: dict[str, list[dict]], totals: dict[str, int]) -> None:
    """``streams`` (as ``streams_of`` groups them) are the bars of ``totals`` and no others,
    each one started and ended once, at its total."""
    assert set(streams) == set(totals)
    for name, total in totals.items():
        events = streams[name]
        assert lifecycle(events) == ["start", "end"], (name, events)
        assert (events[-1]["n"], events[-1]["total"]) == (total, total), (name, events[-1])


WEB_URL = re.compile(r"hotprobe: web view at (http://\S+)")
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def web_url(stderr: str) -> str | None:
    """The URL a collector printed for its web view, if it did yet."""
    found = WEB_URL.search(stderr)
    return found.group(1) if found else None


def chromium(width: int = 1280, height: int = 900):
    """Chromium from the system's packages, headless, driven by Selenium (quit it after)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))


# -- raw sockets, sink plugins and sink events ----------------------------------------------


@contextmanager
def client(endpoint: str, kind: int = zmq.PAIR, timeout: float = 5.0) -> Iterator[zmq.Socket]:
    """A raw socket connected to ``endpoint``; sends, and closing with messages still queued,
    time out after ``timeout`` seconds instead of hanging."""
    context = zmq.Context()
    sock = context.socket(kind)
    sock.setsockopt(zmq.LINGER, int(timeout * 1000))
    sock.setsockopt(zmq.SNDTIMEO, int(timeout * 1000))
    sock.connect(endpoint)
    try:
        yield sock
    finally:
        sock.close()
        context.term()


def install_sink_plugin(module: str, directory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``tests/sink_plugins/<module>.py`` in ``directory`` as an installed distribution would
    be, its entry point named ``module`` without ``hotprobe_``; collectors started from now on
    find it on their ``PYTHONPATH``."""
    directory.mkdir()
    shutil.copy(SINK_PLUGINS / f"{module}.py", directory)
    info = directory / f"{module}-1.0.dist-info"
    info.mkdir()
    metadata = f"Metadata-Version: 2.1\nName: {module.replace('_', '-')}\nVersion: 1.0\n"
    (info / "METADATA").write_text(metadata)
    entry_point = f"{module.removeprefix('hotprobe_')} = {module}"
    (info / "entry_points.txt").write_text(f"[hotprobe]\n{entry_point}\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(directory), os.environ["PYTHONPATH"]]))
    monkeypatch.delenv("HOTPROBE_PLUGINS", raising=False)


def sink_event(probe: str, kind: str, n: int, total: int | None = None, **fields) -> dict:
    """An event as a sink receives it, from host ``lab``, pid 41, run ``r1`` unless ``fields``
    say otherwise."""
    return {
        "probe": probe,
        "event": kind,
        "n": n,
        "total": total,
        "host": "lab",
        "pid": 41,
        "run": "r1",
        **fields,
    }
