"""A sink's own delivery defaults: declared on its class, applied by a real collector unless
the ``--sink`` value gives the option, listed by ``hotprobe sinks``, checked at registration."""

from __future__ import annotations

import json
import subprocess

import pytest

from collector import Sink, hookimpl
from collector import registry as registry_module
from collector.pipeline.collect import build_runners
from collector.pipeline.delivery import DeliveryOptions
from plugins.web import OPTIONS as WEB_OPTIONS
from tests.event_sender import make_events, send
from tests.helpers import install_sink_plugin, last_stats, program, wait_for

STATS_LINES_WAITED = 6  # at --stats-interval 0.2: over a second, five times the usual max_delay


def stats_lines(stderr: str) -> int:
    return sum("stats: " in line for line in stderr.splitlines())


def test_a_lone_event_waits_for_the_sinks_own_max_delay_until_shutdown(
    tmp_path, monkeypatch, start_collector
):
    install_sink_plugin("hotprobe_patient", tmp_path / "plugin", monkeypatch)
    batches = tmp_path / "batches.txt"
    collector = start_collector(
        "--interval", "0", "--stats-interval", "0.2", "--sink", f"patient:{batches}"
    )
    send(collector.endpoint, make_events(1))
    stats = lambda: last_stats(collector.stderr).sink("patient")  # noqa: E731
    assert wait_for(lambda: stats().get("queued") == 1), collector.stderr
    seen = stats_lines(collector.stderr)
    assert wait_for(lambda: stats_lines(collector.stderr) >= seen + STATS_LINES_WAITED)
    assert stats().get("written") == 0 and stats().get("queued") == 1, collector.stderr
    assert not batches.exists()

    assert collector.stop() == 0, collector.stderr
    assert batches.read_text() == "1\n"  # handed over at shutdown, in one batch
    assert last_stats(collector.stderr).sink("patient")["written"] == 1


def test_the_sinks_own_batch_size_holds_until_the_spec_gives_one(
    tmp_path, monkeypatch, start_collector
):
    """1,500 events at once: batches of 1000 by the sink's own default, of 700 with
    ``?batch_size=700``; what is left of them waits for its hour, until shutdown."""
    install_sink_plugin("hotprobe_patient", tmp_path / "plugin", monkeypatch)
    own, given = tmp_path / "own.txt", tmp_path / "given.txt"
    collector = start_collector(
        "--interval", "0", "--stats-interval", "0.2",
        "--sink", f"patient:{own}", "--sink", f"patient:{given}?batch_size=700",
    )  # fmt: skip
    send(collector.endpoint, make_events(1500))
    assert wait_for(lambda: given.exists() and given.read_text() == "700\n700\n"), collector.stderr
    assert wait_for(lambda: own.exists() and own.read_text() == "1000\n"), collector.stderr
    assert collector.stop() == 0, collector.stderr
    assert own.read_text() == "1000\n500\n"
    assert given.read_text() == "700\n700\n100\n"


def test_a_user_max_delay_in_the_spec_beats_the_sinks_own(tmp_path, monkeypatch, start_collector):
    install_sink_plugin("hotprobe_patient", tmp_path / "plugin", monkeypatch)
    batches = tmp_path / "batches.txt"
    collector = start_collector(
        "--interval", "0", "--stats-interval", "0.2", "--sink", f"patient:{batches}?max_delay=0.05"
    )
    send(collector.endpoint, make_events(1))
    assert wait_for(lambda: batches.exists()), collector.stderr  # long before shutdown
    assert batches.read_text() == "1\n"
    stats = lambda: last_stats(collector.stderr).sink("patient")  # noqa: E731
    assert wait_for(lambda: stats().get("written") == 1), collector.stderr
    assert collector.stop() == 0, collector.stderr
    assert batches.read_text() == "1\n"


def test_hotprobe_sinks_shows_the_sinks_own_defaults(tmp_path, monkeypatch):
    install_sink_plugin("hotprobe_patient", tmp_path / "plugin", monkeypatch)
    command = program("hotprobe_command", "sinks")
    listing = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    first = lines.index(next(line for line in lines if line.startswith("patient ")))
    assert lines[first + 2 : first + 4] == [
        f"{'':13}?max_delay=   seconds an event may wait for its batch to fill "
        "(default 3600 for this sink)",
        f"{'':13}?batch_size=  events per write (default 1000 for this sink)",
    ], listing.stdout
    assert not lines[first + 4].startswith(" "), listing.stdout  # nothing else of its own
    web = lines.index(next(line for line in lines if line.startswith("web ")))
    assert lines[web + 2 + len(WEB_OPTIONS)] == (
        f"{'':13}?max_delay=      seconds an event may wait for its batch to fill "
        "(default 0.02 for this sink)"
    ), listing.stdout
    common = lines[lines.index("every sink also takes:") :]
    assert any("?max_delay=" in line and "(default 0.2)" in line for line in common)

    as_json = subprocess.run([*command, "--json"], capture_output=True, text=True, timeout=60)
    sinks = {sink["scheme"]: sink for sink in json.loads(as_json.stdout)["sinks"]}
    assert sinks["patient"]["delivery_defaults"] == [
        {"name": "max_delay", "help": "seconds an event may wait for its batch to fill",
         "default": "3600"},
        {"name": "batch_size", "help": "events per write", "default": "1000"},
    ]  # fmt: skip
    assert [d["default"] for d in sinks["notify"]["delivery_defaults"]] == ["0.02"]
    assert sinks["file"]["delivery_defaults"] == []


def registered(sink_class: type[Sink]) -> registry_module.Registry:
    class Plugin:
        @hookimpl
        def register_sinks(self, register):
            register("own", sink_class, target="NAME")

    return registry_module.load((Plugin(),))


def test_the_collector_wide_settings_apply_where_the_sink_sets_nothing_of_its_own(tmp_path):
    class Own(Sink):
        delivery_defaults = {"max_delay": "0.01", "spool_max_bytes": "4MiB"}

        def write(self, events):
            pass

    registry = registered(Own)
    assert registry.sink_type("own").delivery == {"max_delay": 0.01, "spool_max_bytes": 4 << 20}
    collector_wide = DeliveryOptions(batch_size=50, max_delay=1.0, spool_dir=str(tmp_path))
    plain, given = build_runners(registry, ["own:a", "own:b?max_delay=2"], delivery=collector_wide)
    try:
        assert (plain.options.batch_size, plain.options.max_delay) == (50, 0.01)
        assert plain.options.spool_max_bytes == 4 << 20
        assert (given.options.batch_size, given.options.max_delay) == (50, 2.0)
    finally:
        plain.spill.close()
        given.spill.close()


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ({"max_dealy": 0.02}, "'max_dealy' is not a delivery option; did you mean 'max_delay'?"),
        ({"batch_size": 0}, "option batch_size=0: expected a whole number > 0"),
        ({"spool_dir": "x"}, "'spool_dir' is not a delivery option"),
        ([("max_delay", 0.02)], "must be a mapping"),
    ],
)
def test_a_bad_declaration_leaves_the_sink_out_naming_the_plugin(declared, message):
    class Bad(Sink):
        delivery_defaults = declared

        def write(self, events):
            pass

    registry = registered(Bad)
    assert "own" not in registry.sink_types
    [failure] = registry.failures
    assert "plugin 'Plugin' failed in register_sinks" in failure and message in failure, failure
