"""Across machines, safely: CURVE keys, refusals, wide binds, reconnects."""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import sys
import time

from collector.endpoints import free_tcp_endpoint
from tests.conftest import read_jsonl, run_python, wait_for

EMIT = """
    import probe
    for i in range(20):
        probe.emit("secure", i=i)
"""


HOTPROBE = "import sys; from collector.cli import main; sys.exit(main(sys.argv[1:]))"


def hotprobe(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", HOTPROBE, *args], capture_output=True, text=True, timeout=60
    )


def make_keys(tmp_path):
    keys = tmp_path / "keys"
    clients = tmp_path / "clients"
    for name in ("collector", "alice", "mallory"):
        assert hotprobe("keys", "generate", name, "--dir", str(keys)).returncode == 0
    clients.mkdir()
    (clients / "alice.key").write_bytes((keys / "alice.key").read_bytes())
    return keys, clients


def test_generated_keys_are_owner_only(tmp_path):
    result = hotprobe("keys", "generate", "node1", "--dir", str(tmp_path / "k"))
    assert result.returncode == 0, result.stderr
    secret = tmp_path / "k" / "node1.key_secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "k").stat().st_mode) == 0o700
    assert str(tmp_path / "k" / "node1.key") in result.stdout
    again = hotprobe("keys", "generate", "node1", "--dir", str(tmp_path / "k"))
    assert again.returncode == 2 and "exists" in again.stderr


def test_unusable_curve_options_stop_the_collector_before_it_binds(tmp_path):
    keys, clients = make_keys(tmp_path)
    port = free_tcp_endpoint()
    cases = {
        ("--curve-secret-key", str(keys / "collector.key_secret")): "go together",
        ("--curve-clients", str(clients)): "go together",
        (
            "--curve-secret-key",
            str(keys / "collector.key"),
            "--curve-clients",
            str(clients),
        ): "holds no secret key",
        (
            "--curve-secret-key",
            str(keys / "missing.key_secret"),
            "--curve-clients",
            str(clients),
        ): "cannot read --curve-secret-key",
        (
            "--curve-secret-key",
            str(keys / "collector.key_secret"),
            "--curve-clients",
            str(tmp_path / "nowhere"),
        ): "is not a directory",
    }
    for args, message in cases.items():
        result = hotprobe("collect", "--bind", port, "--sink", "stdout", *args)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
        assert result.stderr.count("\n") == 1, result.stderr  # one line: what is wrong


def test_only_allowed_keys_reach_the_sinks(tmp_path, start_collector):
    keys, clients = make_keys(tmp_path)
    out = tmp_path / "events.jsonl"
    collector = start_collector(
        "--interval",
        "0",
        "--sink",
        f"file:{out}",
        "--curve-secret-key",
        str(keys / "collector.key_secret"),
        "--curve-clients",
        str(clients),
    )
    server_key = str(keys / "collector.key")
    allowed = run_python(
        EMIT,
        collector.endpoint,
        HOTPROBE_SERVER_KEY=server_key,
        HOTPROBE_CLIENT_KEY=str(keys / "alice.key_secret"),
    )
    assert allowed.returncode == 0, allowed.stderr
    assert wait_for(lambda: len(read_jsonl(out)) == 20), collector.stderr

    for _ in range(2):  # the same peer address twice: logged once, counted twice
        wrong_key = run_python(
            EMIT.replace('"secure"', '"intruder"'),
            collector.endpoint,
            HOTPROBE_SERVER_KEY=server_key,
            HOTPROBE_CLIENT_KEY=str(keys / "mallory.key_secret"),
        )
        assert wrong_key.returncode == 0, wrong_key.stderr
    wrong_server = run_python(
        EMIT.replace('"secure"', '"misdirected"'),
        collector.endpoint,
        HOTPROBE_SERVER_KEY=str(keys / "mallory.key"),
        HOTPROBE_CLIENT_KEY=str(keys / "alice.key_secret"),
    )
    assert wrong_server.returncode == 0, wrong_server.stderr
    no_key = run_python(EMIT.replace('"secure"', '"plain"'), collector.endpoint)
    assert no_key.returncode == 0, no_key.stderr
    assert wait_for(lambda: "refused a connection" in collector.stderr), collector.stderr
    assert collector.stop() == 0
    names = {e["probe"] for e in read_jsonl(out)}
    assert names == {"secure"}
    refused = int(re.search(r"refused=(\d+)", collector.stderr).group(1))
    assert refused >= 4, collector.stderr
    assert collector.stderr.count("refused a client from 127.0.0.1") == 1, collector.stderr


def test_wide_bind_without_keys_warns(tmp_path, start_collector):
    port = free_tcp_endpoint().rpartition(":")[2]
    collector = start_collector(
        "--sink", f"file:{tmp_path / 'e.jsonl'}", endpoint=f"tcp://0.0.0.0:{port}"
    )
    assert "without authentication" in collector.stderr
    assert collector.stop() == 0


SENDER = """
import json, os, sys, time
import probe
worst, i, deadline = 0.0, 0, time.monotonic() + 60
while time.monotonic() < deadline and not os.path.exists(sys.argv[1]):
    started = time.perf_counter()
    probe.emit("beat", i=i)
    worst = max(worst, time.perf_counter() - started)
    i += 1
    time.sleep(0.005)
print(json.dumps({"worst_send": worst, "sent": probe.stats()["sent"]}))
"""


def test_probe_reconnects_when_the_collector_restarts(tmp_path, start_collector):
    """Pointed at a host name, the probe finds a restarted collector by itself; while there is
    none, no send waits for it."""
    out = tmp_path / "events.jsonl"
    first = start_collector("--interval", "0", "--sink", f"file:{out}")
    port = first.endpoint.rpartition(":")[2]
    stop_file = tmp_path / "stop"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTPROBE_")}
    env["HOTPROBE_ENDPOINT"] = f"tcp://localhost:{port}"
    sender = subprocess.Popen(
        [sys.executable, "-c", SENDER, str(stop_file)], env=env, stdout=subprocess.PIPE, text=True
    )
    down_for = 2.0
    try:
        assert wait_for(lambda: len(read_jsonl(out)) > 20), first.stderr
        assert first.stop() == 0
        before = len(read_jsonl(out))
        time.sleep(down_for)
        second = start_collector(
            "--interval", "0", "--sink", f"file:{out}", endpoint=first.endpoint
        )
        assert wait_for(lambda: len(read_jsonl(out)) > before + 20), second.stderr
        stop_file.touch()
        report = json.loads(sender.communicate(timeout=30)[0])
        assert sender.returncode == 0
        assert second.stop() == 0
    finally:
        sender.kill()
    beats = [e["data"]["i"] for e in read_jsonl(out)]
    assert beats == sorted(beats)
    assert beats[-1] > before
    assert report["worst_send"] < down_for  # no send waited for the collector to come back


RANK = """
import os, probe
for step in probe.iterate(range(50), "rank"):
    probe.emit("rank-step", rank=int(os.environ["RANK"]), step=step)
print(probe.stats()["socket"])
"""


def reachable_host_name() -> tuple[str, dict[str, str]]:
    """This machine's host name, as a cluster node would name the collector's; a name that
    does not resolve falls back to ``localhost`` with the fan-in socket forced."""
    name = socket.gethostname()
    try:
        socket.gethostbyname(name)
    except OSError:
        return "localhost", {"HOTPROBE_SOCKET": "push"}
    return name, {}


def test_ranks_on_other_hosts_report_through_fan_in_with_curve(tmp_path, start_collector):
    """The cluster case: a collector bound to every interface with CURVE, and several ranks
    pointed at its host name, which use the fan-in socket since it is not a loopback name."""
    keys, clients = make_keys(tmp_path)
    out = tmp_path / "events.jsonl"
    port = int(free_tcp_endpoint().rpartition(":")[2])
    collector = start_collector(
        "--interval",
        "0",
        "--sink",
        f"file:{out}",
        "--curve-secret-key",
        str(keys / "collector.key_secret"),
        "--curve-clients",
        str(clients),
        endpoint=f"tcp://0.0.0.0:{port}",
    )
    host, extra = reachable_host_name()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTPROBE_")}
    env.update(
        extra,
        HOTPROBE_ENDPOINT=f"tcp://{host}:{port}",
        HOTPROBE_SERVER_KEY=str(keys / "collector.key"),
        HOTPROBE_CLIENT_KEY=str(keys / "alice.key_secret"),
        HOTPROBE_RUN="job-42",
    )
    ranks = [
        subprocess.Popen(
            [sys.executable, "-c", RANK],
            env=dict(env, RANK=str(rank)),
            stdout=subprocess.PIPE,
            text=True,
        )
        for rank in range(4)
    ]
    sockets = [rank.communicate(timeout=60)[0].strip() for rank in ranks]
    assert [rank.returncode for rank in ranks] == [0, 0, 0, 0]
    assert sockets == ["push"] * 4
    steps = lambda: [e for e in read_jsonl(out) if e["probe"] == "rank-step"]  # noqa: E731
    assert wait_for(lambda: len(steps()) == 200), collector.stderr
    assert collector.stop() == 0
    assert "without authentication" not in collector.stderr
    assert "refused=" not in collector.stderr
    events = read_jsonl(out)
    assert {e["run"] for e in events} == {"job-42"}
    assert {e["data"]["rank"] for e in steps()} == {0, 1, 2, 3}
    assert len({e["pid"] for e in events}) == 4
    assert {e["event"] for e in events if e["probe"] == "rank"} >= {"start", "end"}


def test_a_key_added_to_the_clients_directory_is_let_in_without_a_restart(
    tmp_path, start_collector
):
    keys, clients = make_keys(tmp_path)
    (clients / "alice.key").unlink()
    out = tmp_path / "events.jsonl"
    collector = start_collector(
        "--interval", "0", "--sink", f"file:{out}",
        "--curve-secret-key", str(keys / "collector.key_secret"),
        "--curve-clients", str(clients),
    )  # fmt: skip
    assert "no client keys in" in collector.stderr
    alice = {
        "HOTPROBE_SERVER_KEY": str(keys / "collector.key"),
        "HOTPROBE_CLIENT_KEY": str(keys / "alice.key_secret"),
    }
    assert (
        run_python(EMIT.replace('"secure"', '"early"'), collector.endpoint, **alice).returncode == 0
    )
    assert wait_for(lambda: "refused a client" in collector.stderr), collector.stderr
    (clients / "alice.key").write_bytes((keys / "alice.key").read_bytes())
    assert run_python(EMIT, collector.endpoint, **alice).returncode == 0
    assert wait_for(lambda: len(read_jsonl(out)) == 20), collector.stderr
    assert collector.stop() == 0
    assert {e["probe"] for e in read_jsonl(out)} == {"secure"}
