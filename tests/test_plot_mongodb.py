"""``hotprobe plot mongodb://...``: events read back from a real MongoDB wire-protocol server."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pymongo
import pytest
from PIL import Image

from collector.cli import main
from tests.helpers import free_port, wait_for


@pytest.fixture(scope="module")
def mongodb_uri() -> Iterator[str]:
    """``MONGODB_URI`` when set, else a throwaway ``secantusd-py`` on a free loopback port."""
    if os.environ.get("MONGODB_URI"):
        yield os.environ["MONGODB_URI"]
        return
    port = free_port()
    command = ["secantusd-py", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--storage-path", ":memory:", "--standalone"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    uri = f"mongodb://127.0.0.1:{port}/?directConnection=true"
    try:
        client: pymongo.MongoClient = pymongo.MongoClient(uri, serverSelectionTimeoutMS=1000)

        def answers() -> bool:
            try:
                return client.admin.command("ping")["ok"] == 1
            except pymongo.errors.PyMongoError:
                return False

        assert wait_for(answers, timeout=30), "secantusd-py did not start"
        client.close()
        yield uri
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def stored_events(run: str, probe: str, count: int) -> list[dict]:
    """Events as a MongoDB sink stores them: timestamps as BSON dates."""
    start = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
    return [
        {
            "timestamp": start + timedelta(seconds=i),
            "probe": probe,
            "event": "progress",
            "n": 10 * i,
            "total": 10 * count,
            "rate": 10.0,
            "host": "node",
            "pid": 7,
            "run": run,
        }
        for i in range(count)
    ]


def test_plot_reads_the_collection_named_in_the_uri(mongodb_uri: str, tmp_path: Path) -> None:
    client: pymongo.MongoClient = pymongo.MongoClient(mongodb_uri)
    collection = client["plotdb"]["runs"]
    collection.insert_many(stored_events("r1", "solve", 30) + stored_events("r1", "load", 20))
    client.close()
    base, _, options = mongodb_uri.partition("?")
    uri = f"{base.rstrip('/')}/plotdb?{options}&collection=runs"
    png = tmp_path / "mongo.png"
    assert main(["plot", uri, "-o", str(png), "--width", "500", "--height", "400"]) == 0
    assert Image.open(png).size == (500, 400)
    svg = tmp_path / "mongo.svg"
    assert main(["plot", uri, "-o", str(svg), "--probe", "load"]) == 0
    text = svg.read_text()
    assert "load" in text and "solve" not in text


def test_an_empty_collection_says_so(mongodb_uri: str, tmp_path: Path, capsys) -> None:
    args = ["plot", mongodb_uri, "--collection", "nothing", "-o", str(tmp_path / "x.png")]
    assert main(args) == 1
    assert "nothing to draw" in capsys.readouterr().err


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path, capsys) -> None:
    uri = f"mongodb://127.0.0.1:{free_port()}/?directConnection=true&serverSelectionTimeoutMS=300"
    assert main(["plot", uri, "-o", str(tmp_path / "x.png")]) == 1
    assert "cannot read from MongoDB" in capsys.readouterr().err


def test_errors_name_the_source_without_its_secrets(
    mongodb_uri: str, tmp_path: Path, capsys
) -> None:
    uri = f"{mongodb_uri}&authMechanismProperties=SERVICE_NAME:m,AWS_SESSION_TOKEN:TOKEN-5e55"
    args = ["plot", uri, "--collection", "nothing", "-o", str(tmp_path / "x.png")]
    assert main(args) == 1
    error = capsys.readouterr().err
    assert "nothing to draw in mongodb://" in error and "AWS_SESSION_TOKEN:***" in error
    assert "TOKEN-5e55" not in error
