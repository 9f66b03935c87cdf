"""Testing a sink through the real collector pipeline: a pytest plugin for plugin authors.

Installed with hotprobe (entry point ``pytest11``), it gives every test the ``run_sink``
fixture::

    def test_my_sink(run_sink, tmp_path):
        run = run_sink(f"csv:{tmp_path / 'out.csv'}", [{"probe": "p", "n": 1}])
        assert run.events[0]["n"] == 1

``run_sink(spec, events)`` starts a collector in-process on a free loopback port, sends each
event over a real ZeroMQ PAIR socket, lets it go through decode, the interval filter,
``process_event`` hooks and delivery, stops the collector (drain, flush, close) and hands back
a ``SinkRun``: what the sink's ``write`` received, the calls it got, and what was reported.
"""

from __future__ import annotations

import copy
import json
import logging
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import zmq

from collector import registry as registry_module
from collector.config import CollectorConfig
from collector.pipeline.delivery import DeliveryOptions, SinkCounters
from collector.pipeline.endpoints import free_tcp_endpoint
from collector.pipeline.stats import Counters
from collector.sinks import Sink
from probe.protocol import PROTOCOL_VERSION

__all__ = ["SinkRun", "probe_events", "run_sink"]


@dataclass
class SinkRun:
    """What happened to one sink during ``run_sink``."""

    #: The sink object the plugin's factory built (closed by now).
    sink: Sink
    #: Every event passed to a ``write`` that returned, in order.
    events: list[dict[str, Any]] = field(default_factory=list)
    #: The same events as the batches ``write`` received them in.
    batches: list[list[dict[str, Any]]] = field(default_factory=list)
    #: The sink methods called, in order: ``["open", "write", "flush", "close"]``.
    calls: list[str] = field(default_factory=list)
    #: ``(method, exception)`` for every call that raised.
    failures: list[tuple[str, BaseException]] = field(default_factory=list)
    #: Warnings and errors the collector reported.
    messages: list[str] = field(default_factory=list)
    #: The collector's counters: received, kept, suppressed, rejected, dropped_by_plugin.
    counters: Counters = field(default_factory=Counters)
    #: The sink's delivery counters: written, rejected, failed, retried, spooled, replayed,
    #: lost, ...
    delivery: SinkCounters = field(default_factory=SinkCounters)
    #: The collector's exit status (0: every sink drained and closed in time).
    status: int | None = None


def run_sink(
    spec: str,
    events: Iterable[dict[str, Any] | str | bytes],
    *,
    plugins: Iterable[Any] = (),
    interval: float = 0.0,
    timeout: float = 30.0,
    workdir: str | Path | None = None,
) -> SinkRun:
    """Run the sink that ``spec`` (a ``--sink`` value) selects through a real collector.

    ``events`` are sent as they are: dicts as JSON, text and bytes unchanged, so decoding and
    dead-lettering apply as in production. ``plugins`` are extra plugin objects or modules to
    register (a plugin under development that is not installed yet). ``interval`` is the
    interval filter's (0 keeps every event). The dead-letter file and the sink's spool go in
    ``workdir`` (by default a temporary directory, removed afterwards). Raises
    ``UnknownSink`` or ``ValueError`` for a bad ``spec``, as ``hotprobe collect`` would,
    ``BrokenSinkFactory`` if the plugin fails to create the sink, and ``TimeoutError`` if the
    run takes longer than ``timeout`` seconds.
    """
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="hotprobe-run-sink-") as temporary:
            return run_sink(
                spec, events, plugins=plugins, interval=interval, timeout=timeout, workdir=temporary
            )
    from collector.pipeline.collect import Collector, build_runners

    messages: list[str] = []
    handler = _ListHandler(messages)
    logger = logging.getLogger("collector")
    logger.addHandler(handler)
    try:
        registry = registry_module.load(tuple(plugins))
        delivery = DeliveryOptions(spool_dir=str(Path(workdir) / "hotprobe-spool"))
        runners = build_runners(registry, [spec], delivery=delivery)
        if not runners:
            raise registry_module.BrokenSinkFactory("; ".join(messages))
        [runner] = runners
        recorder = _RecordingSink(runner.sink)
        runner.sink = recorder
        run = recorder.run
        config = CollectorConfig(
            bind=[free_tcp_endpoint()],
            fan_in=[],
            interval=interval,
            sinks=[spec],
            dead_letter=str(Path(workdir) / "hotprobe-dead-letter.jsonl"),
            shutdown_timeout=min(10.0, timeout),
        )
        collector = Collector(config, registry, runners)
        thread = threading.Thread(target=lambda: _finish(run, collector.run()), daemon=True)
        thread.start()
        sent = _send(config.bind[0], events)
        deadline = time.monotonic() + timeout
        while collector.counters.received < sent and thread.is_alive():
            if time.monotonic() > deadline:
                collector.stop()
                raise TimeoutError(
                    f"the collector received {collector.counters.received} of {sent} events "
                    f"in {timeout} s"
                )
            time.sleep(0.01)
        collector.stop()
        thread.join(max(0.0, deadline - time.monotonic()) + config.shutdown_timeout)
        if thread.is_alive():
            raise TimeoutError(f"the collector did not stop within {timeout} s")
        run.counters = collector.counters
        run.delivery = runner.counters
        run.messages = messages
        return run
    finally:
        logger.removeHandler(handler)


def probe_events(probe: str = "train", total: int = 3, **data: Any) -> list[dict[str, Any]]:
    """Events shaped as the probe sends them: ``start``, ``total`` progress events, ``end``.

    ``data`` goes into every progress event's ``data``. Timestamps are a second apart."""
    base = {
        "v": PROTOCOL_VERSION,
        "probe": probe,
        "total": total,
        "host": "testhost",
        "pid": 1,
        "run": "r1",
    }
    kinds = ["start", *["progress"] * total, "end"]
    events = []
    for seq, kind in enumerate(kinds):
        n = min(seq, total)
        event = {
            **base,
            "timestamp": f"2026-01-01T00:00:{seq:02d}.000000+00:00",
            "event": kind,
            "n": n,
            "elapsed": float(seq),
            "rate": None if seq == 0 else 1.0,
            "seq": seq,
            "dropped": 0,
        }
        if kind == "progress" and data:
            event["data"] = dict(data)
        events.append(event)
    return events


@pytest.fixture(name="run_sink")
def _run_sink_fixture(tmp_path: Path):
    """``run_sink(spec, events, ...)`` with dead letters and spool kept in ``tmp_path``."""

    def run(spec: str, events: Iterable[Any], **options: Any) -> SinkRun:
        options.setdefault("workdir", tmp_path)
        return run_sink(spec, events, **options)

    return run


def _send(endpoint: str, events: Iterable[dict[str, Any] | str | bytes]) -> int:
    context = zmq.Context()
    sock = context.socket(zmq.PAIR)
    sock.setsockopt(zmq.LINGER, 5000)
    sock.setsockopt(zmq.SNDTIMEO, 10_000)
    sock.connect(endpoint)
    count = 0
    try:
        for event in events:
            if isinstance(event, bytes):
                sock.send(event)
            elif isinstance(event, str):
                sock.send(event.encode())
            else:
                sock.send(json.dumps(event).encode())
            count += 1
    finally:
        sock.close()
        context.term()
    return count


def _finish(run: SinkRun, status: int) -> None:
    run.status = status


class _RecordingSink(Sink):
    """Forwards to the plugin's sink and writes down what happened."""

    def __init__(self, sink: Sink) -> None:
        super().__init__(sink.spec)
        self.inner = sink
        self.run = SinkRun(sink=sink)

    def open(self) -> None:
        self._call("open", self.inner.open)

    def write(self, events: list[dict[str, Any]]) -> None:
        batch = copy.deepcopy(events)
        self._call("write", self.inner.write, events)
        self.run.batches.append(batch)
        self.run.events.extend(batch)

    def is_permanent(self, error: Exception) -> bool:
        return self.inner.is_permanent(error)

    def flush(self) -> None:
        self._call("flush", self.inner.flush)

    def close(self) -> None:
        self._call("close", self.inner.close)

    def _call(self, name: str, method: Any, *args: Any) -> None:
        self.run.calls.append(name)
        try:
            method(*args)
        except BaseException as exc:
            self.run.failures.append((name, exc))
            raise


class _ListHandler(logging.Handler):
    def __init__(self, messages: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
