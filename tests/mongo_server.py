"""A real MongoDB wire-protocol server for tests: ``secantusd-py`` on a free loopback port,
or the server ``MONGODB_URI`` names (then tests that kill and restart a server are skipped)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.errors import PyMongoError

from collector.pipeline.delivery import DeliveryOptions, split_delivery_options
from collector.sinks import SinkSpec
from plugins.mongodb import MongoSink
from tests.helpers import free_port

START_TIMEOUT = 30.0


class MongoServer:
    """One server process; ``kill`` and ``start`` again keep its port and storage."""

    def __init__(
        self, storage: Path, sync_on_commit: bool = False, replica_set: bool = False
    ) -> None:
        self.storage = storage
        self.sync_on_commit = sync_on_commit
        self.replica_set = replica_set
        self.set_name: str | None = None  # a one-node replica set's name, once started
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = storage.parent / f"secantusd-{self.port}.log"
        self.external = False

    @property
    def address(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}"

    def uri(self, database: str = "hotprobe", **options: str) -> str:
        """A connection string: by replica set name when started as one, else direct."""
        topology = {"replicaSet": self.set_name} if self.set_name else {"directConnection": "true"}
        query = "&".join(f"{k}={v}" for k, v in {**topology, **options}.items())
        return f"{self.address}/{database}?{query}"

    def start(self) -> MongoServer:
        executable = shutil.which("secantusd-py")
        if executable is None:
            pytest.skip("secantusd-py is not installed (pip install SecantusDB) and no MONGODB_URI")
        cmd = [
            executable,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--storage-path",
            str(self.storage),
            "--log-level",
            "WARNING",
        ]
        if not self.replica_set:
            cmd.append("--standalone")
        if self.sync_on_commit:
            cmd.append("--sync-on-commit")
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, cwd=self.storage.parent
            )
        deadline = time.monotonic() + START_TIMEOUT
        while not self._answers():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop_now()
                raise AssertionError(f"secantusd-py did not start:\n{self.log_path.read_text()}")
            time.sleep(0.1)
        return self

    def _answers(self) -> bool:
        direct = f"{self.address}/?directConnection=true"
        client = MongoClient(direct, serverSelectionTimeoutMS=500, connectTimeoutMS=500)
        try:
            hello = client.admin.command("hello")
            if self.replica_set:
                self.set_name = hello["setName"]
            return True
        except PyMongoError:
            return False
        finally:
            client.close()

    def kill(self) -> None:
        """``kill -9``: no clean shutdown, as a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop_now(self) -> None:
        self.kill()
        self.proc = None


def external_server() -> str | None:
    return os.environ.get("MONGODB_URI") or None


def collection_uri(server: MongoServer | None, collection: str, **options: str) -> str:
    """A sink spec for a fresh collection: on ``server``, or on ``MONGODB_URI``'s server."""
    if server is not None:
        return server.uri(collection=collection, **options)
    base = external_server()
    assert base is not None
    separator = "&" if "?" in base else "?"
    extra = "".join(f"&{k}={v}" for k, v in options.items())
    return f"{base}{separator}collection={collection}{extra}"


def fresh_name() -> str:
    return "t" + uuid.uuid4().hex[:12]


def collection_of(spec: str) -> Collection:
    """The collection a ``mongodb://`` sink spec writes to."""
    sink = MongoSink(SinkSpec.parse(split_delivery_options(spec, DeliveryOptions())[1]))
    client = MongoClient(sink.uri, serverSelectionTimeoutMS=10_000)
    return client[sink.database_name][sink.collection_name]


def count(collection: Collection) -> int:
    return collection.count_documents({})


def distinct_run_seq(collection: Collection) -> int:
    """How many distinct ``(run, seq)`` pairs the collection holds."""
    pipeline = [{"$group": {"_id": {"run": "$run", "seq": "$seq"}}}, {"$count": "n"}]
    result = list(collection.aggregate(pipeline))
    return result[0]["n"] if result else 0
