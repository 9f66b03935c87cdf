"""Shared fixtures: real collector processes on free loopback ports, real probe subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from collector.pipeline.endpoints import free_tcp_endpoint

pytest_plugins = ["collector.testing"]  # the run_sink fixture, whether or not hotprobe is installed
collect_ignore = ["tqdm_suite"]  # tqdm's own tests, run by test_tqdm_suite.py in their own pytest

ROOT = Path(__file__).resolve().parent.parent
# Subprocesses import this checkout, whatever copy of hotprobe is installed.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
START_TIMEOUT = 20.0
STOP_TIMEOUT = 20.0


def read_jsonl(path: Path) -> list[dict]:
    """Every complete JSON line of ``path`` (none if it does not exist yet); a last line still
    being written (no newline yet) is left for the next read."""
    if not path.exists():
        return []
    complete = path.read_bytes().rpartition(b"\n")[0]
    return [orjson.loads(line) for line in complete.splitlines() if line.strip()]


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


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


@pytest.fixture
def start_collector(tmp_path: Path) -> Iterator:
    """``start_collector(*args)`` starts a collector; every one is killed after the test."""
    started: list[CollectorProcess] = []

    def start(*args: str, endpoint: str | None = None) -> CollectorProcess:
        collector = CollectorProcess(tmp_path, list(args), endpoint).start()
        started.append(collector)
        return collector

    yield start
    for collector in started:
        collector.kill()


def run_python(
    code: str, endpoint: str | None = None, timeout: float = 60.0, **env: str
) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter with the probe pointed at ``endpoint``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HOTPROBE_")}
    environment.update(env)
    if endpoint is not None:
        environment["HOTPROBE_ENDPOINT"] = endpoint
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


@pytest.fixture
def mongo_servers(tmp_path: Path) -> Iterator:
    """``mongo_servers(sync_on_commit=False, replica_set=False)`` starts a ``secantusd-py``
    with its own storage on a free port (a one-node replica set, or standalone); every one is
    killed after the test."""
    from tests.mongo_server import MongoServer

    started: list[MongoServer] = []

    def start(sync_on_commit: bool = False, replica_set: bool = False) -> MongoServer:
        storage = tmp_path / f"mongo-{len(started)}"
        server = MongoServer(storage, sync_on_commit, replica_set)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop_now()


@pytest.fixture
def mongo_spec(mongo_servers) -> Iterator:
    """``mongo_spec(collection, **options)``: a ``--sink`` value for a fresh collection, on
    ``MONGODB_URI`` when set, else on a ``secantusd-py`` started for the test."""
    from tests.mongo_server import collection_uri, external_server

    server = None if external_server() else mongo_servers()
    yield lambda collection, **options: collection_uri(server, collection, **options)
