"""Across machines, safely: CURVE keys, refusals, wide binds, reconnects by host name."""

from __future__ import annotations

import json
import stat
import subprocess
import time
from pathlib import Path

import pytest

from collector.curve.keygen import generate
from collector.pipeline.endpoints import free_tcp_endpoint
from collector.pipeline.monitor import HUNG_UP
from probe.protocol import read_key_file
from tests.helpers import (
    free_port,
    last_stats,
    make_keys,
    probe_environment,
    program,
    reachable_host_name,
    read_jsonl,
    run_program,
    stream_events,
    wait_for,
)


def hotprobe(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        program("hotprobe_command", *args), capture_output=True, text=True, timeout=60, cwd=cwd
    )


def curve_collector(start_collector, keys: Path, clients: Path, out: Path, *args, **kwargs):
    return start_collector(
        "--interval", "0", "--sink", f"file:{out}",
        "--curve-secret-key", str(keys / "collector.key_secret"),
        "--curve-clients", str(clients),
        *args,
        **kwargs,
    )  # fmt: skip


def latest_refused(collector) -> int:
    """``refused=`` in the newest stats line (0 until it appears)."""
    return last_stats(collector.stderr).counts.get("refused", 0)


def keyed(keys: Path, client: str, server: str = "collector") -> dict[str, str]:
    return {
        "HOTPROBE_SERVER_KEY": str(keys / f"{server}.key"),
        "HOTPROBE_CLIENT_KEY": str(keys / f"{client}.key_secret"),
    }


def start_sender(tmp_path: Path, env: dict[str, str], *markers: Path) -> tuple:
    """A probe process emitting until its stop file exists: ``(process, stop_file)``."""
    stop = tmp_path / f"stop-{time.monotonic_ns()}"
    process = subprocess.Popen(
        program("beat_until_stopped", str(stop), *map(str, markers)),
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    return process, stop


def finish(sender: tuple) -> dict:
    process, stop = sender
    stop.touch()
    output = process.communicate(timeout=30)[0]
    assert process.returncode == 0
    return json.loads(output)


def test_generated_keys_are_owner_only(tmp_path):
    result = hotprobe(
        "keys", "generate", "node1", "--dir", str(tmp_path / "etc" / "k"), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "etc" / "k"
    assert stat.S_IMODE((folder / "node1.key_secret").stat().st_mode) == 0o600
    assert stat.S_IMODE((folder / "node1.key").stat().st_mode) == 0o644
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "etc").stat().st_mode) & 0o005  # parents stay readable
    assert str(folder / "node1.key") in result.stdout
    again = hotprobe("keys", "generate", "node1", "--dir", str(folder), cwd=tmp_path)
    assert again.returncode == 2 and "exists" in again.stderr
    bad_name = hotprobe("keys", "generate", "../node2", "--dir", str(folder), cwd=tmp_path)
    assert bad_name.returncode == 2 and "key name" in bad_name.stderr
    (tmp_path / "a-file").write_text("")
    on_file = hotprobe("keys", "generate", "n", "--dir", str(tmp_path / "a-file"), cwd=tmp_path)
    assert on_file.returncode == 2 and "is not a directory" in on_file.stderr


def test_a_key_directory_others_can_list_is_pointed_out(tmp_path):
    tmp_path.chmod(0o755)
    result = hotprobe("keys", "generate", "node1", "--dir", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0
    assert "others can list" in result.stderr
    assert stat.S_IMODE((tmp_path / "node1.key_secret").stat().st_mode) == 0o600


def test_generated_keys_work_with_pyzmq_and_are_checked_when_read(tmp_path):
    import zmq
    import zmq.auth

    from probe.protocol import KeyFileError, read_keypair

    generate(tmp_path, "node1")
    public, secret = zmq.auth.load_certificate(str(tmp_path / "node1.key_secret"))
    assert zmq.curve_public(secret) == public
    assert read_keypair(tmp_path / "node1.key_secret") == (public, secret)
    text = (tmp_path / "node1.key_secret").read_text()
    (tmp_path / "truncated.key_secret").write_text(text.replace(secret.decode(), "abc"))
    with pytest.raises(KeyFileError, match="malformed key"):
        read_keypair(tmp_path / "truncated.key_secret")
    generate(tmp_path, "other")
    other, _ = zmq.auth.load_certificate(str(tmp_path / "other.key"))
    (tmp_path / "mixed.key_secret").write_text(text.replace(public.decode(), other.decode()))
    with pytest.raises(KeyFileError, match="does not belong"):
        read_keypair(tmp_path / "mixed.key_secret")
    for name, content in {
        "overflow.key": 'curve\n    public-key = "' + "#" * 40 + '"\n',  # z85 beyond 2**32
        "no-equals.key": 'curve\n    public-key "abc"\n',
        "empty.key": "",
    }.items():
        (tmp_path / name).write_text(content)
        with pytest.raises(KeyFileError):
            read_key_file(tmp_path / name)


def test_allowed_keys_leave_bad_files_out_and_follow_every_change(tmp_path, caplog):
    from collector.curve.server import AllowedKeys

    keys, clients = make_keys(tmp_path)
    (clients / "broken.key").write_text('curve\n    public-key = "' + "#" * 40 + '"\n')
    allowed = AllowedKeys(str(clients))
    alice = read_key_file(keys / "alice.key")[0]
    mallory = read_key_file(keys / "mallory.key")[0]
    assert allowed.current() == {alice}
    assert "client key left out" in caplog.text and "broken.key" in caplog.text
    (clients / "alice.key").write_bytes((keys / "mallory.key").read_bytes())  # same size
    assert allowed.current() == {mallory}
    (clients / "alice.key").chmod(0o600)  # a change of mode alone is seen too
    stamp = allowed._stamp
    allowed.current()
    assert allowed._stamp != stamp


def test_unusable_curve_options_stop_the_collector_before_it_binds(tmp_path):
    keys, clients = make_keys(tmp_path)
    truncated = tmp_path / "truncated.key_secret"
    truncated.write_text((keys / "collector.key_secret").read_text()[:-20])
    secret, port = str(keys / "collector.key_secret"), free_tcp_endpoint()
    cases = {
        ("--curve-secret-key", secret): "go together",
        ("--curve-clients", str(clients)): "go together",
        ("--curve-secret-key", str(keys / "collector.key")): "holds no secret key",
        ("--curve-secret-key", str(keys / "missing.key_secret")): "no such key file",
        ("--curve-secret-key", str(truncated)): "malformed key",
    }
    for args, message in cases.items():
        if "--curve-clients" not in args and message != "go together":
            args = (*args, "--curve-clients", str(clients))
        result = hotprobe("collect", "--bind", port, "--sink", "stdout", *args, cwd=tmp_path)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
        assert result.stderr.count("\n") == 1, result.stderr  # one line: what is wrong
    nowhere = ("--curve-secret-key", secret, "--curve-clients", str(tmp_path / "nowhere"))
    result = hotprobe("collect", "--bind", port, "--sink", "stdout", *nowhere, cwd=tmp_path)
    assert result.returncode == 2 and "is not a directory" in result.stderr
    assert not (tmp_path / "hotprobe-spool").exists()  # stopped before the sinks were made


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_secret_key_others_can_read_is_refused(tmp_path, mode):
    """As ssh refuses an open private key: exit 2, one line naming the file and the fix
    (0600, as ``hotprobe keys generate`` writes it, is what every other test here uses)."""
    keys, clients = make_keys(tmp_path)
    secret = keys / "collector.key_secret"
    secret.chmod(mode)
    args = ("--curve-secret-key", str(secret), "--curve-clients", str(clients))
    result = hotprobe("collect", "--bind", free_tcp_endpoint(), "--sink", "stdout", *args,
                      cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"{secret}: permissions {mode:04o} are too open" in result.stderr
    assert f"chmod 600 {secret}" in result.stderr
    assert not (tmp_path / "hotprobe-spool").exists()  # stopped before the sinks were made


def test_a_client_key_others_can_read_is_refused_without_raising_into_a_send(
    tmp_path, start_collector
):
    """As the collector refuses its own: from the environment, one line on stderr naming the
    file and the fix, events dropped and counted, the program unharmed; ``configure`` raises
    ``ValueError``. The same allowed key pair made owner-only is used, and its events arrive."""
    import zmq.auth

    keys, clients = make_keys(tmp_path)
    _, pyzmq_secret = zmq.auth.create_certificates(str(keys), "bob")  # 0644 under umask 022
    pyzmq_secret = Path(pyzmq_secret)
    pyzmq_secret.chmod(0o644)
    (clients / "bob.key").write_bytes((keys / "bob.key").read_bytes())
    generated_open = keys / "alice-open.key_secret"
    generated_open.write_bytes((keys / "alice.key_secret").read_bytes())
    generated_open.chmod(0o640)
    assert stat.S_IMODE((keys / "alice.key_secret").stat().st_mode) == 0o600
    out = tmp_path / "events.jsonl"
    collector = curve_collector(start_collector, keys, clients, out)
    result = run_program(
        "open_client_key",
        str(generated_open),
        str(keys / "alice.key_secret"),
        endpoint=collector.endpoint,
        HOTPROBE_SERVER_KEY=str(keys / "collector.key"),
        HOTPROBE_CLIENT_KEY=str(pyzmq_secret),
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"hotprobe: CURVE keys unusable, sending nothing: client key {pyzmq_secret}: permissions "
        f"0644 are too open, others than its owner can read the secret key; run chmod 600 "
        f"{pyzmq_secret} (further errors are counted)"
    ]
    report = json.loads(result.stdout)
    assert report["before"]["sent"] == 0 and report["before"]["dropped"] == 21  # and the run
    assert report["refused"] == (
        f"client key {generated_open}: permissions 0640 are too open, others than its owner can "
        f"read the secret key; run chmod 600 {generated_open}"
    )
    assert report["after"]["sent"] == 20 and report["after"]["queued"] == 0
    assert wait_for(lambda: len(read_jsonl(out)) >= 20)
    assert collector.stop() == 0
    events = read_jsonl(out)
    assert sorted(e["data"]["i"] for e in events) == list(range(20))
    assert {e["probe"] for e in events} == {"after"}


def test_only_allowed_keys_reach_the_sinks(tmp_path, start_collector):
    keys, clients = make_keys(tmp_path)
    out = tmp_path / "events.jsonl"
    collector = curve_collector(start_collector, keys, clients, out, "--stats-interval", "0.2")
    assert "with CURVE, 1 client keys in" in collector.stderr
    allowed = run_program("emit_twenty", endpoint=collector.endpoint, **keyed(keys, "alice"))
    assert allowed.returncode == 0, allowed.stderr
    assert wait_for(lambda: len(stream_events(out)) == 20), collector.stderr

    refusals = [  # each kept sending until the collector has said why it refused it
        (["refused a client from 127.0.0.1"], keyed(keys, "mallory")),
        (["its handshake does not decrypt"], keyed(keys, "alice", server="mallory")),
        (["CURVE is used on one side only", HUNG_UP], {}),  # whichever side sees it first
    ]
    for lines, variables in refusals:
        env = probe_environment(collector.endpoint, NAME="intruder", **variables)
        sender = start_sender(tmp_path, env)
        said = lambda lines=lines: any(line in collector.stderr for line in lines)  # noqa: E731
        assert wait_for(said), collector.stderr
        finish(sender)
    assert wait_for(lambda: latest_refused(collector) >= 3), collector.stderr
    so_far = latest_refused(collector)
    again = start_sender(tmp_path, probe_environment(collector.endpoint, **keyed(keys, "mallory")))
    assert wait_for(lambda: latest_refused(collector) > so_far), collector.stderr
    finish(again)
    assert collector.stop() == 0
    assert {e["probe"] for e in stream_events(out)} == {"secure"}
    assert collector.stderr.count("refused a client from 127.0.0.1") == 1, collector.stderr
    assert collector.stderr.count("peer on") == 1  # alice's; refused connections were no peers
    assert "a second process connected" not in collector.stderr


def test_the_clients_directory_is_followed_without_a_restart(tmp_path, start_collector):
    """A key file added, replaced in place or removed decides the next connection; a file
    that is not a key is left out and named, and the other keys still count."""
    keys, clients = make_keys(tmp_path)
    (clients / "alice.key").unlink()
    (clients / "notes.key").write_text("not a key\n")
    out = tmp_path / "events.jsonl"
    collector = curve_collector(start_collector, keys, clients, out)
    assert "no client keys in" in collector.stderr
    assert "client key left out" in collector.stderr and "notes.key" in collector.stderr

    def attempt(client: str, name: str) -> bool:
        """Did a fresh process with ``client``'s keys get its 20 events in?"""
        emitted = run_program(
            "emit_twenty", name, endpoint=collector.endpoint, **keyed(keys, client)
        )
        assert emitted.returncode == 0, emitted.stderr
        arrived = lambda: sum(e["probe"] == name for e in read_jsonl(out)) == 20  # noqa: E731
        return wait_for(arrived, timeout=3)

    assert not attempt("alice", "before")
    (clients / "alice.key").write_bytes((keys / "alice.key").read_bytes())
    assert attempt("alice", "added")
    (clients / "alice.key").write_bytes((keys / "mallory.key").read_bytes())  # in place
    assert attempt("mallory", "replaced") and not attempt("alice", "replaced-alice")
    (clients / "alice.key").unlink()
    assert not attempt("mallory", "removed")
    assert collector.stop() == 0
    assert {e["probe"] for e in stream_events(out)} == {"added", "replaced"}


def test_wide_bind_without_keys_warns(tmp_path, start_collector):
    port = free_port()
    collector = start_collector(
        "--sink", f"file:{tmp_path / 'e.jsonl'}", endpoint=f"tcp://0.0.0.0:{port}"
    )
    assert "without authentication" in collector.stderr
    assert collector.stop() == 0


def test_probe_reconnects_by_host_name_when_the_collector_restarts(tmp_path, start_collector):
    """A probe on another node (a host name, the fan-in socket, CURVE) finds a restarted
    collector by itself, and its loop keeps going while there is none."""
    keys, clients = make_keys(tmp_path)
    out = tmp_path / "events.jsonl"
    port = free_port()
    bind = f"tcp://0.0.0.0:{port}"
    first = curve_collector(start_collector, keys, clients, out, endpoint=bind)
    host, extra = reachable_host_name()
    env = probe_environment(f"tcp://{host}:{port}", **extra, **keyed(keys, "alice"))
    down, up = tmp_path / "down", tmp_path / "up"
    sender = start_sender(tmp_path, env, down, up)
    try:
        assert wait_for(lambda: len(read_jsonl(out)) > 20), first.stderr
        assert first.stop() == 0
        down.touch()
        before = len(read_jsonl(out))
        time.sleep(2.0)
        second = curve_collector(start_collector, keys, clients, out, endpoint=bind)
        up.touch()
        assert wait_for(lambda: len(read_jsonl(out)) > before + 20), second.stderr
        report = finish(sender)
        assert second.stop() == 0
    finally:
        sender[0].kill()
    beats = [e["data"]["i"] for e in stream_events(out)]
    assert beats == sorted(beats)
    assert report["while_down"] >= 10  # the loop went on: no send waited for the collector


def test_ranks_on_other_hosts_report_through_fan_in_with_curve(tmp_path, start_collector):
    """The cluster case: a collector bound to every interface with CURVE, and several ranks
    pointed at its host name, which use the fan-in socket since it is not a loopback name."""
    keys, clients = make_keys(tmp_path)
    out = tmp_path / "events.jsonl"
    port = free_port()
    collector = curve_collector(
        start_collector, keys, clients, out, endpoint=f"tcp://0.0.0.0:{port}"
    )
    host, extra = reachable_host_name()
    env = probe_environment(
        f"tcp://{host}:{port}", **extra, **keyed(keys, "alice"), HOTPROBE_RUN="j42"
    )
    ranks = [
        subprocess.Popen(
            program("rank"),
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
    assert {e["run"] for e in events} == {"j42"}
    assert {e["data"]["rank"] for e in steps()} == {0, 1, 2, 3}
    assert len({e["pid"] for e in events}) == 4
    assert {e["event"] for e in events if e["probe"] == "rank"} >= {"start", "end"}


def test_unusable_keys_never_raise_into_a_send_and_configure_says_why(tmp_path):
    keys, _ = make_keys(tmp_path)
    result = run_program(
        "unusable_keys",
        endpoint=free_tcp_endpoint(),
        HOTPROBE_SERVER_KEY=str(keys / "collector.key"),
        HOTPROBE_CLIENT_KEY=str(keys / "missing.key_secret"),
        KEYS=str(keys),
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
    assert result.stderr.count("CURVE keys unusable, sending nothing: no such key file") == 1
