"""The web sink without a browser: its state's bounds and deltas, its HTTP answers, its
options and its token, over real sockets."""

from __future__ import annotations

import http.client
import json
import logging
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from collector import registry as registry_module
from collector.testing import sink_spec
from plugins.web import WebSink, is_loopback_host
from plugins.web.server import CONTENT_SECURITY_POLICY
from plugins.web.state import Limits, WebState
from tests.helpers import ROOT, probe_environment, program, wait_for, web_url
from tests.helpers import sink_event as event

STATIC = ("index.html", "app.js", "app.css", "icon.svg")


@contextmanager
def serving_web(
    command: list[str], stderr: Path, cwd: Path, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen, str]]:
    """``command`` running with its stderr in the file ``stderr``, once it printed the URL of
    its web view: yields the process and that URL, and kills the process on the way out."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=stderr.open("wb"),
        env=probe_environment() if env is None else env,
        cwd=cwd,
    )
    try:
        url = wait_for(lambda: web_url(stderr.read_text()), timeout=30)
        assert url, stderr.read_text()
        yield process, url
    finally:
        process.kill()
        process.wait(timeout=30)


@pytest.fixture
def sink() -> WebSink:
    web = WebSink(sink_spec("web?port=0&interval=0.05"))
    web.open()
    yield web
    web.close()


def get(sink: WebSink, path: str, method: str = "GET") -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", sink.server.port, timeout=10)
    try:
        connection.request(method, path)
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        connection.close()


def test_streams_keep_their_latest_state_error_and_data() -> None:
    state = WebState()
    state.update(
        [
            event("fit", "start", 0, 10),
            event("fit", "progress", 4, 10, rate=2.0, data={"loss": 0.25, "note": "x" * 100}),
            event("fit", "error", 4, 10, error={"type": "ValueError", "message": "bad x"}),
            event("load", "progress", 3, None, pid=8),
        ],
        now=100.0,
    )
    streams = {s["probe"]: s for s in state.snapshot()["streams"]}
    fit = streams["fit"]
    assert (fit["state"], fit["n"], fit["total"], fit["rate"]) == ("failed", 4, 10, 2.0)
    assert fit["error"] == "ValueError: bad x" and fit["errors"] == 1
    assert fit["data"][0] == ["loss", "0.25"] and len(fit["data"][1][1]) == 40  # cut short
    assert (streams["load"]["pid"], streams["load"]["total"]) == (8, None)


def test_a_run_event_describes_its_run_and_is_no_stream() -> None:
    state = WebState()
    info = {"phase": "start", "argv": ["train.py", "--lr", "0.1"], "cwd": "/w", "labels": {"a": 1}}
    state.update([{"event": "run", "probe": "<run>", "run": "r1", "info": info}], now=1.0)
    state.update([event("fit", "progress", 1)], now=2.0)
    end = {"phase": "end", "status": 0, "signal": None, "duration": 3.5}
    state.update([{"event": "run", "probe": "<run>", "run": "r1", "info": end}], now=3.0)
    snapshot = state.snapshot()
    (run,) = snapshot["runs"]
    assert run["info"] == {"argv": ["train.py", "--lr", "0.1"], "cwd": "/w", "labels": {"a": "1"}}
    assert run["ended"] == {"status": 0, "signal": None, "duration": 3.5}
    assert [s["probe"] for s in snapshot["streams"]] == ["fit"]


def test_changes_hold_only_what_changed_since_a_version() -> None:
    state = WebState()
    state.update([event("a", "progress", 1), event("b", "progress", 1)], now=1.0)
    seen = state.snapshot()["version"]
    assert state.changes(seen) is None
    state.update([event("b", "progress", 2)], now=2.0)
    changes = state.changes(seen)
    assert changes["reset"] is False
    assert [(s["probe"], s["n"]) for s in changes["streams"]] == [("b", 2)]
    assert state.changes(-1)["reset"] is True  # a new reader gets everything


def test_history_is_bounded_and_still_spans_the_whole_stream() -> None:
    state = WebState(Limits(points=10, step=1.0))
    state.update([event("fit", "start", 0, 1000)], now=0.0)
    for second in range(1, 500):
        state.update([event("fit", "progress", second, 1000, rate=1.0)], now=float(second))
    (stream,) = state.snapshot()["streams"]
    points = state.history([stream["id"]])[str(stream["id"])]
    times = points[0::3]
    assert len(times) < 10
    assert times[0] == 0.0 and times[-1] >= 499 - 64  # from the start to about now
    assert times == sorted(times)
    assert state.history([12345]) == {}


def test_streams_past_the_limit_are_counted_as_left_out() -> None:
    state = WebState(Limits(streams=3))
    state.update([event(f"s{i}", "progress", 1) for i in range(5)], now=1.0)
    snapshot = state.snapshot()
    assert len(snapshot["streams"]) == 3
    assert snapshot["runs"][0]["left_out"] == 2


def test_the_oldest_finished_run_is_forgotten_first_and_reported() -> None:
    state = WebState(Limits(runs=2))
    state.update([event("a", "progress", 1, run="old-running")], now=1.0)
    state.update([event("a", "end", 1, run="finished")], now=2.0)
    seen = state.snapshot()["version"]
    state.update([event("a", "progress", 1, run="new")], now=3.0)
    snapshot = state.snapshot()
    assert [r["run"] for r in snapshot["runs"]] == ["old-running", "new"]
    assert (snapshot["forgotten_runs"], snapshot["forgotten_streams"]) == (1, 1)
    changes = state.changes(seen)
    assert len(changes["removed"]) == 1 and changes["forgotten_runs"] == 1
    state.update([event("a", "progress", 1, run="newest")], now=4.0)
    assert [r["run"] for r in state.snapshot()["runs"]] == ["new", "newest"]  # none finished


def test_the_page_and_assets_come_with_the_security_headers(sink: WebSink) -> None:
    for path, kind in (("/", "text/html"), ("/static/app.js", "text/javascript")):
        status, headers, body = get(sink, path)
        assert status == 200 and headers["Content-Type"].startswith(kind)
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert body
    _, _, page = get(sink, "/")
    assert b'<script src="static/app.js"' in page and b"http" not in page  # nothing external


def test_the_state_endpoint_shows_what_the_view_shows_and_takes_no_commands(sink: WebSink) -> None:
    sink.write([event("fit", "progress", 5, 10, data={"loss": 1.5})])
    status, _, body = get(sink, "/api/state")
    state = json.loads(body)
    assert status == 200 and state["streams"][0]["n"] == 5 and state["interval"] == 0.05
    assert set(state["streams"][0]) == {
        "id", "run", "probe", "host", "pid", "state", "n", "total", "rate", "unit",
        "error", "errors", "data", "started", "seen",
    }  # fmt: skip
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        assert get(sink, "/api/state", method)[0] == 405
    for path in ("/static/../__init__.py", "/static/state.py", "/api/nothing", "/x"):
        assert get(sink, path)[0] == 404


def test_updates_arrive_as_server_sent_events(sink: WebSink) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", sink.server.port, timeout=10)
    connection.request("GET", "/api/updates?since=-1")
    answer = connection.getresponse()
    assert answer.headers["Content-Type"] == "text/event-stream"
    first = json.loads(answer.readline().removeprefix(b"data: "))
    assert answer.readline() == b"\n"
    assert first["reset"] is True and first["streams"] == []
    sink.write([event("fit", "progress", 7, 10)])
    second = json.loads(answer.readline().removeprefix(b"data: "))
    assert second["reset"] is False and [s["n"] for s in second["streams"]] == [7]
    connection.close()


def test_the_history_endpoint_returns_points_of_the_streams_asked_for(sink: WebSink) -> None:
    sink.write([event("fit", "start", 0, 10), event("fit", "end", 10, 10, elapsed=2.0)])
    stream_id = sink.state.snapshot()["streams"][0]["id"]
    body = json.loads(get(sink, f"/api/history?ids={stream_id},x,99999")[2])
    points = body["history"][str(stream_id)]
    assert len(points) == 6 and points[1::3] == [0, 10] and points[5] == 5.0


def test_loopback_is_the_default_and_needs_no_token(sink: WebSink) -> None:
    assert sink.server._sockets[0].getsockname()[0] == "127.0.0.1"
    assert sink.token is None and sink.url == f"http://127.0.0.1:{sink.server.port}/"
    assert get(sink, "/api/state")[0] == 200


def test_a_wide_bind_generates_a_token_and_none_is_the_only_way_out(caplog) -> None:
    wide = WebSink(sink_spec("web?host=0.0.0.0&port=0"))
    wide.open()
    try:
        assert wide.token and len(wide.token) >= 32 and wide.url.endswith(f"?token={wide.token}")
        assert get(wide, "/api/state")[0] == 401
        assert get(wide, f"/api/state?token={wide.token}")[0] == 200
        assert wide.server.refused == 1
    finally:
        wide.close()
    with caplog.at_level(logging.WARNING, logger="collector"):
        bare = WebSink(sink_spec("web?host=0.0.0.0&port=0&token=none"))
    bare.server.stop()
    assert bare.token is None and "without a token" in caplog.text
    given = WebSink(sink_spec("web?port=0&token=a-long-enough-secret"))
    given.open()
    try:
        assert get(given, "/")[0] == 401 and get(given, "/?token=a-long-enough-secret")[0] == 200
    finally:
        given.close()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("port=70000", "port"),
        ("token=short", "at least 16"),
        ("interval=0", "interval"),
        ("points=2", "points"),
        ("host=256.1.1.1", "cannot serve"),
    ],
)
def test_bad_options_are_a_usage_error(options: str, message: str, capsys) -> None:
    from collector.cli import main

    assert main(["collect", "--bind", "tcp://127.0.0.1:0", "--sink", f"web?{options}"]) == 2
    assert message in capsys.readouterr().err


def test_a_busy_port_is_a_usage_error() -> None:
    first = WebSink(sink_spec("web?port=0"))
    try:
        with pytest.raises(ValueError, match=r"cannot serve on 127\.0\.0\.1"):
            WebSink(sink_spec(f"web?port={first.server.port}"))
    finally:
        first.server.stop()


def test_is_loopback_host() -> None:
    assert all(map(is_loopback_host, ["127.0.0.1", "127.9.9.9", "::1", "[::1]", "localhost"]))
    assert not any(map(is_loopback_host, ["0.0.0.0", "::", "10.0.0.1", "example.org"]))


def test_web_is_a_registered_sink_with_its_options() -> None:
    sink_type = registry_module.load().sink_type("web")
    assert {"host", "port", "token", "interval", "points", "streams", "runs"} <= set(
        sink_type.options
    )
    assert sink_type.options["port"].default == 8765
    assert sink_type.options["host"].default == "127.0.0.1"


def test_without_tornado_the_sink_says_what_to_install(tmp_path: Path) -> None:
    hidden = tmp_path / "hidden" / "tornado"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text(
        'raise ModuleNotFoundError("No module named \'tornado\'", name="tornado")\n'
    )
    finished = subprocess.run(
        [sys.executable, "-m", "collector", "--bind", "tcp://127.0.0.1:0", "--sink", "web"],
        env={"PYTHONPATH": f"{hidden.parent}:{ROOT}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2
    assert "the web sink needs tornado: pip install 'hotprobe[web]'" in finished.stderr


def test_the_collector_prints_the_url_at_start(start_collector) -> None:
    collector = start_collector("--sink", "web?port=0", "--sink", "stdout")
    url = wait_for(lambda: web_url(collector.stderr))
    assert url and url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(url + "api/state", timeout=10) as answer:
        assert json.loads(answer.read())["streams"] == []
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(url + "api/nothing", timeout=10)
    assert collector.stop() == 0


def test_demo_with_web_serves_the_run_until_interrupted(tmp_path: Path) -> None:
    stderr = tmp_path / "demo.err"
    command = program("hotprobe_command", "demo", "--web", "web?port=0")
    with serving_web(command, stderr, cwd=ROOT) as (demo, url):
        assert wait_for(lambda: "demo done" in stderr.read_text(), timeout=90), stderr.read_text()
        with urllib.request.urlopen(url + "api/state", timeout=10) as answer:
            streams = {s["probe"]: s for s in json.loads(answer.read())["streams"]}
        assert {"estimate_pi", "chain[0]", "chain[3]"} <= set(streams)
        assert streams["chain[2]"]["state"] == "failed"
        assert streams["estimate_pi"]["state"] == "done"
        assert demo.poll() is None, "the collector stays up after the simulation"
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=30) == 0


def test_a_built_wheel_serves_the_page_from_its_own_files(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source)
    for package in ("probe", "collector", "plugins"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__py*"))
    pip = [sys.executable, "-m", "pip"]
    built = subprocess.run(
        [*pip, "wheel", "-q", "--no-deps", "-w", tmp_path / "dist", source],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("hotprobe-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assets = {n for n in archive.namelist() if n.startswith("plugins/web/static/")}
    assert {f"plugins/web/static/{name}" for name in STATIC} == assets
    site = tmp_path / "site"
    installed = subprocess.run(
        [*pip, "install", "-q", "--no-deps", "--target", site, wheel],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stderr
    collect = [sys.executable, "-m", "collector", "--bind", "tcp://127.0.0.1:0"]
    environment = {**probe_environment(), "PYTHONPATH": str(site)}
    command = [*collect, "--sink", "web?port=0"]
    with serving_web(command, tmp_path / "collector.err", tmp_path, environment) as (_, url):
        for name in STATIC:
            path = "" if name == "index.html" else f"static/{name}"
            with urllib.request.urlopen(url + path, timeout=10) as answer:
                assert answer.read() == (ROOT / "plugins" / "web" / "static" / name).read_bytes()


def test_control_and_bidirectional_characters_arrive_as_visible_escapes() -> None:
    state = WebState()
    hostile = "\x1b]0;owned\x07evil\u202ename"
    state.update([event(hostile, "error", 1, error={"type": "E", "message": "a\x1b[2Jb"})], 1.0)
    (stream,) = state.snapshot()["streams"]
    assert stream["probe"] == "\\x1b]0;owned\\x07evil\\u202ename"
    assert stream["error"] == "E: a\\x1b[2Jb"


def test_hotprobe_run_serves_the_run_with_what_it_says_of_itself(tmp_path: Path) -> None:
    stderr = tmp_path / "run.err"
    command = program("hotprobe_command", "run", "--sink", "web?port=0", "--record", "none")
    workload = program("web_workloads", "slow", "40", "0.1")
    with serving_web([*command, "--", *workload], stderr, cwd=tmp_path) as (run, url):

        def described() -> dict | None:
            with urllib.request.urlopen(url + "api/state", timeout=10) as answer:
                state = json.loads(answer.read())
            runs = [r for r in state["runs"] if r["info"].get("argv")]
            trains = [s for s in state["streams"] if s["probe"] == "train"]
            return {"run": runs[0], "train": trains[0]} if runs and trains else None

        seen = wait_for(described, timeout=30)
        assert seen, stderr.read_text()
        assert seen["run"]["info"]["argv"][-3:] == ["slow", "40", "0.1"]
        assert seen["train"]["run"] == seen["run"]["id"]  # the stream sits under its run
        assert run.wait(timeout=60) == 0
