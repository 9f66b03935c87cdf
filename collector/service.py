"""The collector process: receive -> decode -> filter -> process_event -> dispatch."""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

from collector.config import CollectorConfig
from collector.deadletter import DeadLetters
from collector.decode import decode
from collector.delivery import SinkRunner
from collector.endpoints import fan_in_endpoint
from collector.event import Event, Rejected
from collector.filter import IntervalFilter
from collector.receive import Receiver
from collector.registry import BrokenSinkFactory, Registry
from collector.stats import Counters, stats_line

log = logging.getLogger("collector")


def build_runners(
    registry: Registry, specs: list[str], stall_after: float | None = None
) -> list[SinkRunner]:
    """Sinks from ``--sink`` values. Raises ``UnknownSink`` or ``ValueError`` on bad specs;
    a sink whose plugin fails to create it is reported and left out."""
    runners = []
    for text in specs:
        try:
            sink = registry.create_sink(text, stall_after)
        except BrokenSinkFactory as exc:
            log.error("%s", exc)
            continue
        runners.append(SinkRunner(text, sink, origin=sink.origin))
    return runners


class Collector:
    """Runs until ``stop()`` (or SIGINT/SIGTERM when ``run`` is called in the main thread)."""

    def __init__(
        self, config: CollectorConfig, registry: Registry, runners: list[SinkRunner]
    ) -> None:
        self.config = config
        self.registry = registry
        self.runners = runners
        self.counters = Counters()
        self.filter = IntervalFilter(config.interval, config.key, trailing=config.trailing)
        self.dead_letters = DeadLetters(config.dead_letter)
        self._stop = threading.Event()
        self._processors = self._event_processors()
        fan_in = config.fan_in
        if fan_in is None:
            fan_in = [fan_in_endpoint(endpoint) for endpoint in config.bind]
        self.receiver = Receiver(config.bind, fan_in, config.max_message_size)

    def stop(self, *_: Any) -> None:
        self._stop.set()

    def run(self) -> int:
        """Receive until stopped, then drain every sink. Returns the exit status."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        for runner in self.runners:
            runner.start()
        listening = ", ".join(f"{endpoint} ({kind})" for kind, endpoint in self.receiver.endpoints)
        log.info(
            "listening on %s; sinks: %s",
            listening,
            ", ".join(r.name for r in self.runners) or "none",
        )
        try:
            self._loop()
        finally:
            self.receiver.close()
            for event in self.filter.release_all():
                self._dispatch(event)
            ok = self._close_sinks()
            self.dead_letters.close()
            log.info("%s", stats_line(self._counters(), self.runners))
        return 0 if ok else 1

    def _loop(self) -> None:
        cfg = self.config
        next_stats = time.monotonic() + cfg.stats_interval if cfg.stats_interval > 0 else None
        while not self._stop.is_set():
            self._pump(timeout_ms=100)
            if cfg.trailing:
                for kept in self.filter.expire(time.time()):
                    self._dispatch(kept)
            if next_stats is not None and time.monotonic() >= next_stats:
                next_stats += cfg.stats_interval
                log.info("%s", stats_line(self._counters(), self.runners))
        drain_until = time.monotonic() + 1.0  # what already arrived is not left behind
        while self._pump(timeout_ms=0) and time.monotonic() < drain_until:
            pass

    def _pump(self, timeout_ms: int) -> int:
        """Decode, filter and dispatch what arrives within ``timeout_ms``; returns the count."""
        counters, offer, dispatch = self.counters, self.filter.offer, self._dispatch
        count = 0
        for raw in self.receiver.receive(timeout_ms):
            count += 1
            decoded = decode(raw, time.time())
            if isinstance(decoded, Rejected):
                counters.rejected += 1
                self.dead_letters.write(decoded)
                continue
            for kept in offer(decoded):
                dispatch(kept)
        counters.received += count
        return count

    def _dispatch(self, event: Event) -> None:
        fields = event.fields
        for process in self._processors:
            if process(fields) is False:
                self.counters.dropped_by_plugin += 1
                return
        self.counters.kept += 1
        for runner in self.runners:
            runner.offer(fields)

    def _event_processors(self) -> list:
        processors = []
        for impl in self.registry.pm.hook.process_event.get_hookimpls():
            processors.append(_isolated(impl.plugin_name, impl.function))
        return processors

    def _counters(self) -> Counters:
        self.counters.suppressed = self.filter.suppressed
        return self.counters

    def _close_sinks(self) -> bool:
        deadline = time.monotonic() + self.config.shutdown_timeout
        ok = True
        for runner in self.runners:
            ok &= runner.close(max(0.1, deadline - time.monotonic()))
        return ok


def _isolated(plugin: str, function: Any) -> Any:
    """A process_event hook that cannot take the collector down: errors are logged once."""
    failed = False

    def call(event: dict[str, Any]) -> Any:
        nonlocal failed
        try:
            return function(event=event)
        except Exception as exc:
            if not failed:
                failed = True
                log.error("plugin %r process_event failed: %r (event kept)", plugin, exc)
            return None

    return call
