"""Fixtures: real collector processes on free loopback ports, real MongoDB servers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import HOOK_FILES, ROOT, CollectorProcess, site_packages, wait_for
from tests.mongo_server import MongoServer, collection_uri, external_server

pytest_plugins = ["collector.testing"]  # the run_sink fixture, whether or not hotprobe is installed
collect_ignore = ["third_party"]  # tqdm's own tests, run by test_tqdm_suite.py in their own pytest

# Subprocesses import this checkout, whatever copy of hotprobe is installed.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
MOUNT_TIMEOUT = 30.0


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


@pytest.fixture
def mongo_servers(tmp_path: Path) -> Iterator:
    """``mongo_servers(sync_on_commit=False, replica_set=False)`` starts a ``secantusd-py``
    with its own storage on a free port (a one-node replica set, or standalone); every one is
    killed after the test."""
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
    server = None if external_server() else mongo_servers()
    yield lambda collection, **options: collection_uri(server, collection, **options)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[str, str], Path]]:
    """``small_disk(name, size)`` mounts a tmpfs of ``size`` (``"2m"``) on ``tmp_path/name``
    (filled up by ``tests.helpers.fill``); every one is unmounted after the test. Mounting
    needs root: as anyone else the test is skipped; as root, a failed mount fails the test."""
    mounted: list[Path] = []

    def mount(name: str, size: str) -> Path:
        if os.geteuid() != 0:
            pytest.skip("mounting a tmpfs needs root")
        directory = tmp_path / name
        directory.mkdir()
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(directory)],
            capture_output=True,
            text=True,
            timeout=MOUNT_TIMEOUT,
        )
        if result.returncode != 0:
            pytest.fail(f"cannot mount a tmpfs on {directory}: {result.stderr.strip()}")
        mounted.append(directory)
        return directory

    yield mount
    for directory in reversed(mounted):
        subprocess.run(["umount", "-l", str(directory)], capture_output=True, timeout=MOUNT_TIMEOUT)


@pytest.fixture
def hooked_python(tmp_path: Path) -> Path:
    """A Python whose site-packages holds the start-up hook, with this machine's packages."""
    environment = tmp_path / "env"
    venv.create(environment, system_site_packages=True, with_pip=False, symlinks=True)
    for source, name in HOOK_FILES.items():
        shutil.copy(source, site_packages(environment) / name)
    return environment / "bin" / "python"


@dataclass
class FailingDisk:
    """A FUSE mount (tests/programs/failing_fsync_fs.py) of ``backing`` on ``path`` whose
    ``fsync`` or truncation fail with EIO while ``fail`` says so."""

    path: Path
    backing: Path
    control: Path

    def fail(self, *operations: str) -> None:
        """From now on ``operations`` (``"fsync"``, ``"truncate"``) fail; the others work."""
        for switch in self.control.iterdir():
            switch.unlink()
        for operation in operations:
            (self.control / operation).touch()


@pytest.fixture
def failing_disk(tmp_path: Path) -> Iterator[FailingDisk]:
    """A real file system whose ``fsync`` and truncation fail on demand (the kernel answers the
    program EIO, as for a failing disk). Mounting needs root and /dev/fuse: as anyone else the
    test is skipped; as root, a failed mount fails the test."""
    if os.geteuid() != 0:
        pytest.skip("mounting a FUSE file system needs root")
    disk = FailingDisk(tmp_path / "mount", tmp_path / "backing", tmp_path / "control")
    for directory in (disk.path, disk.backing, disk.control):
        directory.mkdir()
    program = ROOT / "tests" / "programs" / "failing_fsync_fs.py"
    log = tmp_path / "fuse.log"  # a file, not a pipe nobody reads while the disk serves
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [sys.executable, str(program), str(disk.backing), str(disk.path), str(disk.control)],
            stderr=log_file,
        )
    try:
        if not wait_for(lambda: os.path.ismount(disk.path) or server.poll() is not None):
            pytest.fail("the FUSE file system did not mount")
        if server.poll() is not None:
            pytest.fail(f"cannot mount the FUSE file system: {log.read_text(errors='replace')}")
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk.path)], capture_output=True, timeout=MOUNT_TIMEOUT)
        try:
            server.wait(MOUNT_TIMEOUT)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(MOUNT_TIMEOUT)
