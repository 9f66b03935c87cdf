"""Secrets in sink specs never reach a start, stats or error line, nor a spool directory name."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from collector.pipeline.endpoints import free_tcp_endpoint
from collector.pipeline.spool import spool_directory
from collector.redact import redacted, redacted_text
from tests.event_sender import make_events, send
from tests.helpers import program

SECRETS = ("TOKEN-5e55", "SECRET-A", "SECRET-B", "SECRET-C", "KEYPASS-99", "APIKEY-77")


def dead_mongodb(query: str, userinfo: str = "") -> str:
    """A connection string to a port where nothing listens, so the sink fails and spools."""
    port = free_tcp_endpoint().rsplit(":", 1)[1]
    return f"mongodb://{userinfo}127.0.0.1:{port}/science?{query}&serverSelectionTimeoutMS=100"


def hotprobe(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    command = program("hotprobe_command", "collect", "--bind", free_tcp_endpoint(), *args)
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=cwd)


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret} shown in:\n{text}"


def test_start_stats_and_error_lines_and_spool_names_show_no_secret(tmp_path: Path) -> None:
    uri = dead_mongodb(
        "authMechanismProperties=SERVICE_NAME:svc,AWS_SESSION_TOKEN:TOKEN-5e55",
        userinfo="alice:SECRET-A@",
    )
    endpoint = free_tcp_endpoint()
    command = program("hotprobe_command", "collect", "--bind", endpoint, "--interval", "0")
    spool = tmp_path / "spool"
    proc = subprocess.Popen(
        [*command, "--sink", uri, "--stats-interval", "0.2",
         "--spool-dir", str(spool)],
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )  # fmt: skip
    try:
        time.sleep(1.0)
        send(endpoint, make_events(50))
        time.sleep(1.5)
        proc.terminate()
        stderr = proc.communicate(timeout=60)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    lines = stderr.splitlines()
    assert any(line.startswith("hotprobe: listening on") for line in lines), stderr
    assert sum("stats:" in line for line in lines) >= 3, stderr
    assert any("open failed" in line or "write failed" in line for line in lines), stderr
    assert_no_secret(stderr)
    shown = "alice:***@127.0.0.1"
    assert shown in stderr and "AWS_SESSION_TOKEN:***" in stderr and "SERVICE_NAME:svc" in stderr
    names = [path.name for path in spool.iterdir()]
    assert len(names) == 1 and names[0].startswith("mongodb_127.0.0.1_"), names
    assert any(spool.glob("*/*.spool")), "the events were spooled"
    assert_no_secret(" ".join(names))


@pytest.mark.parametrize(
    "spec",
    [
        # unescaped '@' or '/' in the password: refused by pymongo, quoted in the error
        "mongodb://alice:SECRET-A@SECRET-B@127.0.0.1:1/db",
        "mongodb://alice:SECRET-A/SECRET-B@127.0.0.1:1/db",
        # a key file's password: the error is raised while the sink is created
        "mongodb://127.0.0.1:1/db?tls=true&tlsCertificateKeyFile=/no/such.pem"
        "&tlsCertificateKeyFilePassword=KEYPASS-99",
    ],
)
def test_error_lines_show_no_secret(tmp_path: Path, spec: str) -> None:
    result = hotprobe("--sink", spec, cwd=tmp_path)
    assert result.returncode in (1, 2), result.stderr
    assert "mongodb://" in result.stderr, result.stderr
    assert_no_secret(result.stderr)


@pytest.mark.parametrize(
    ("spec", "shown"),
    [
        ("mongodb://user:pw@h:27017/db?collection=runs", "mongodb://user:***@h:27017/db?collection=runs"),
        ("mongodb://u:pa/ss@w@h1,h2:1/db", "mongodb://u:***@h1,h2:1/db"),
        ("mongodb://u:p?a@h/db?x=1", "mongodb://u:***@h/db?x=1"),
        ("mongodb://u:it's@h/", "mongodb://u:***@h/"),
        ("mongodb://TOKEN@h/db", "mongodb://***@h/db"),
        ("mongodb+srv://u:p@cluster.example/db", "mongodb+srv://u:***@cluster.example/db"),
        ("mongodb://h/?authMechanismProperties=SERVICE_NAME:m,AWS_SESSION_TOKEN:t",
         "mongodb://h/?authMechanismProperties=SERVICE_NAME:m,AWS_SESSION_TOKEN:***"),
        ("mongodb://h/?authMechanismProperties=AWS_SESSION_TOKEN%3At%2CX%3Ay",
         "mongodb://h/?authMechanismProperties=AWS_SESSION_TOKEN:***,X:y"),
        ("mongodb://h/?password=p;tlsCertificateKeyFilePassword=k&w=1",
         "mongodb://h/?password=***;tlsCertificateKeyFilePassword=***&w=1"),
        ("mongodb://h/?tlsCertificateKeyFile=/k.pem&my_secret=s&apiKey=a&x_token=t",
         "mongodb://h/?tlsCertificateKeyFile=/k.pem&my_secret=***&apiKey=***&x_token=***"),
        ("notify:https://hooks.example/services/T0/B0/XXXX", "notify:https://hooks.example/***"),
        ("notify:https://u:p@hooks.example/x?token=t#f", "notify:https://u:***@hooks.example/***"),
        ("notify:https://hooks.example", "notify:https://hooks.example"),
        ("file:/data/run.jsonl?max_bytes=10", "file:/data/run.jsonl?max_bytes=10"),
        ("file:run.jsonl", "file:run.jsonl"),
        ("sqlite:x.db?password=p", "sqlite:x.db?password=***"),
        ("live", "live"),
    ],
)  # fmt: skip
def test_redacted_parses_the_whole_connection_string(spec: str, shown: str) -> None:
    assert redacted(spec) == shown
    assert redacted(shown) == shown


def test_redacted_text_finds_connection_strings_in_a_message() -> None:
    message = "sink 'mongodb://u:SECRET-A@h/?apiKey=APIKEY-77' failed: \"https://x/SECRET-B\" down"
    assert redacted_text(message) == (
        "sink 'mongodb://u:***@h/?apiKey=***' failed: \"https://x/***\" down"
    )
    assert redacted_text("no connection string here: key=value") == (
        "no connection string here: key=value"
    )


def test_spool_directory_names_hold_no_secret(tmp_path: Path) -> None:
    specs = [
        "mongodb://alice:SECRET-A@SECRET-B/SECRET-C@h/db",
        "mongodb://h/db?authMechanismProperties=AWS_SESSION_TOKEN:TOKEN-5e55",
        "notify:https://hooks.example/services/SECRET-A/SECRET-B",
    ]
    names = [spool_directory(tmp_path, spec).name for spec in specs]
    assert_no_secret(" ".join(names))
    assert names[0].startswith("mongodb_h_db-") and names[1].startswith("mongodb_h_db-")
    assert names[0] != names[1], "the hash of the whole spec tells them apart"
    assert names[2].startswith("notify_https_hooks.example-")
