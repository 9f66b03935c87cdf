"""The plugin API in-process: registration, the hooks, stall reports and the run_sink fixture."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest

from collector import Sink, SinkSpec, hookimpl, testing
from collector import registry as registry_module
from collector.pipeline.collect import build_runners
from collector.pipeline.delivery import DELIVERY_OPTIONS, DeliveryOptions, SinkRunner
from collector.testing import probe_events
from tests.helpers import wait_for


class ListSink(Sink):
    """Keeps what it is given, in memory."""

    def __init__(self, spec: SinkSpec) -> None:
        super().__init__(spec)
        self.written: list[dict[str, Any]] = []

    def write(self, events: list[dict[str, Any]]) -> None:
        self.written.extend(events)


class ListPlugin:
    @hookimpl
    def register_sinks(self, register):
        register("list", ListSink, description="in memory", options={"tag": "a label"})


def test_builtins_are_registered_as_plugins_of_the_hotprobe_distribution():
    registry = registry_module.load()
    for scheme in ("stdout", "file"):
        sink_type = registry.sink_types[scheme]
        assert sink_type.plugin == f"plugins.{scheme}"
        assert sink_type.distribution.startswith("hotprobe")
        assert registry.pm.get_plugin(f"plugins.{scheme}") is not None
    file_options = registry.sink_types["file"].options
    assert {"fsync", "max_bytes", "backups", "batch_size"} <= set(file_options)


def test_a_plugin_registers_a_scheme_with_its_description_and_options():
    registry = registry_module.load((ListPlugin(),))
    sink_type = registry.sink_types["list"]
    assert sink_type.description == "in memory"
    assert list(sink_type.options) == ["tag", *DELIVERY_OPTIONS]  # its own first
    assert sink_type.options["tag"] == "a label"
    assert sink_type.distribution == "registered in-process"
    assert type(registry.create_sink("list:x?tag=t")) is ListSink


def test_register_sinks_raising_is_reported_naming_the_plugin_and_others_still_load(caplog):
    class Raising:
        @hookimpl
        def register_sinks(self, register):
            raise RuntimeError("forgot a dependency")

    registry = registry_module.load((Raising(), ListPlugin()))
    assert "list" in registry.sink_types and "file" in registry.sink_types
    [failure] = registry.failures
    assert "failed in register_sinks" in failure and "forgot a dependency" in failure
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [failure]


def test_a_scheme_registered_twice_keeps_the_first_and_says_so():
    class Impostor:
        @hookimpl
        def register_sinks(self, register):
            register("file", ListSink)
            register("Bad Scheme!", ListSink)

    registry = registry_module.load((Impostor(),))
    assert registry.sink_types["file"].plugin == "plugins.file"
    duplicate, bad_name = registry.failures
    assert "'file' ignored, already registered by plugin 'plugins.file'" in duplicate
    assert "bad scheme 'bad scheme!'" in bad_name
    assert registry.failed_plugins == ["Impostor"]  # for the bad name, not the duplicate


def test_unknown_scheme_says_what_exists_on_one_line():
    registry = registry_module.load()
    with pytest.raises(registry_module.UnknownSink) as caught:
        registry.create_sink("nosuch:x")
    message = str(caught.value)
    assert "unknown sink scheme 'nosuch'" in message and "file" in message
    assert "\n" not in message


def test_factory_errors_are_bad_specs_or_broken_plugins():
    class Factories:
        @hookimpl
        def register_sinks(self, register):
            register("fussy", lambda spec: spec.option("size", convert=int) and ListSink(spec))
            register("buggy", lambda spec: 1 / 0)
            register("wrongtype", lambda spec: object())

    registry = registry_module.load((Factories(),))
    with pytest.raises(ValueError, match=r"--sink 'fussy:x\?size=big': sink option size="):
        registry.create_sink("fussy:x?size=big")
    with pytest.raises(registry_module.BrokenSinkFactory, match="ZeroDivisionError"):
        registry.create_sink("buggy:")
    with pytest.raises(registry_module.BrokenSinkFactory, match="returned object, not a Sink"):
        registry.create_sink("wrongtype:")


def test_run_sink_hands_back_what_the_sink_received_in_order(run_sink):
    events = probe_events("fit", total=4, loss=0.1)
    before = time.time_ns() // 1000
    run = run_sink("list:", [*events, "plain text"], plugins=[ListPlugin()])
    assert run.status == 0
    assert [e["seq"] for e in run.events[:6]] == [0, 1, 2, 3, 4, 5]
    assert run.events[-1]["message"] == "plain text"
    assert before <= run.events[-1]["seq"] <= time.time_ns() // 1000  # given by the collector
    assert run.sink.written == run.events
    assert run.calls[0] == "open" and run.calls[-2:] == ["flush", "close"]
    assert run.counters.received == 7 and run.counters.kept == 7


def test_run_sink_applies_the_interval_filter_and_dead_letters(run_sink, tmp_path):
    events = probe_events("fit", total=20)  # one second apart
    run = run_sink("list:", [*events, b"\xff not utf-8"], plugins=[ListPlugin()], interval=5)
    assert [e["event"] for e in run.events] == ["start", *["progress"] * 4, "end"]
    assert run.counters.rejected == 1
    assert (tmp_path / "hotprobe-dead-letter.jsonl").exists()


def test_process_event_enriches_and_drops_before_any_sink(run_sink):
    class Enrich:
        @hookimpl
        def process_event(self, event):
            event["lab"] = "B-12"

    class DropProgress:
        @hookimpl
        def process_event(self, event):
            return False if event.get("event") == "progress" else None

    plugins = [ListPlugin(), Enrich(), DropProgress()]
    run = run_sink("list:", probe_events("fit", total=5), plugins=plugins)
    assert [e["event"] for e in run.events] == ["start", "end"]
    assert all(e["lab"] == "B-12" for e in run.events)
    assert run.counters.dropped_by_plugin == 5


def test_a_raising_process_event_is_reported_once_and_the_events_go_on(run_sink):
    class Faulty:
        @hookimpl
        def process_event(self, event):
            raise KeyError("unit")

    run = run_sink("list:", probe_events(total=5), plugins=[ListPlugin(), Faulty()])
    assert len(run.events) == 7
    [message] = [m for m in run.messages if "process_event" in m]
    assert "plugin 'Faulty'" in message
    assert "KeyError('unit')" in message


def test_a_sink_whose_write_raises_is_reported_once_naming_its_plugin(run_sink, tmp_path):
    class Failing(Sink):
        def write(self, events):
            raise OSError("disk on fire")

    class FailingPlugin:
        @hookimpl
        def register_sinks(self, register):
            register("failing", Failing)

    run = run_sink("failing:", probe_events(total=2), plugins=[FailingPlugin()])
    assert run.events == []
    assert {what for what, _ in run.failures} == {"write"}
    reports = [m for m in run.messages if "disk on fire" in m]
    assert len(reports) == 1 and "FailingPlugin" in reports[0]
    assert (run.delivery.written, run.delivery.spooled, run.delivery.lost) == (0, 4, 0)
    assert (tmp_path / "hotprobe-spool").is_dir()  # kept for the next run, in the test's folder


def test_run_sink_outside_pytest_leaves_nothing_behind(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = testing.run_sink("list:", [*probe_events(total=1), b"\xff"], plugins=[ListPlugin()])
    assert len(run.events) == 3 and run.counters.rejected == 1
    assert list(tmp_path.iterdir()) == []


def test_a_stalled_sink_call_is_reported_once_naming_the_plugin(caplog, tmp_path):
    release = threading.Event()

    class Stuck(Sink):
        def write(self, events):
            release.wait(30)

    options = DeliveryOptions(max_delay=0.01, spool_dir=str(tmp_path))
    runner = SinkRunner(
        "stuck:", Stuck(SinkSpec.parse("stuck:")), options, origin="plugin 'stuck' (x 1)",
        stall_after=0.3,
    )  # fmt: skip
    runner.start()
    runner.offer_many([{"n": 1}])
    try:
        assert wait_for(lambda: "has not returned" in caplog.text, timeout=10)
        time.sleep(0.5)  # the watch looks every 0.05 s: it has had ten more looks
        stalls = [r.getMessage() for r in caplog.records if "has not returned" in r.getMessage()]
        assert len(stalls) == 1
        assert "'stuck:' (plugin 'stuck' (x 1)) has not returned from write()" in stalls[0]
    finally:
        release.set()
        assert runner.close(5.0)


def test_the_runner_holds_the_plugins_own_sink_object(tmp_path):
    registry = registry_module.load((ListPlugin(),))
    delivery = DeliveryOptions(spool_dir=str(tmp_path))
    [runner] = build_runners(registry, ["list:x?batch_size=7"], delivery=delivery)
    assert type(runner.sink) is ListSink and runner.sink.spec.text == "list:x"
    assert runner.origin == "plugin 'ListPlugin' (registered in-process)"
    assert runner.options.batch_size == 7
    runner.spill.close()
