"""The collector process: receive -> decode -> filter -> process_event -> dispatch."""

from __future__ import annotations

import gc
import logging
import signal
import threading
import time
from dataclasses import replace
from typing import Any

from collector.config import CollectorConfig
from collector.curve.server import CurveServer, curve_server
from collector.pipeline.deadletter import DeadLetters
from collector.pipeline.decode import decode_batch
from collector.pipeline.delivery import DELIVERY_OPTIONS, DeliveryOptions, SinkRunner
from collector.pipeline.event import Rejected
from collector.pipeline.filter import IntervalFilter
from collector.pipeline.monitor import PeerMonitor
from collector.pipeline.receive import Receiver, take_oversized
from collector.pipeline.sequence import SequenceNumbers
from collector.pipeline.spool import Spool, spool_directory
from collector.pipeline.stats import Counters, stats_line
from collector.redact import redacted
from collector.registry import BrokenSinkFactory, Registry, call_order
from collector.sinkspec import without
from probe.protocol import fan_in_endpoint, is_loopback

log = logging.getLogger("collector")
stats_log = logging.getLogger("collector.stats")


def build_runners(
    registry: Registry,
    specs: list[str],
    stall_after: float | None = None,
    delivery: DeliveryOptions | None = None,
) -> list[SinkRunner]:
    """Sinks from ``--sink`` values, each with its delivery options and its spool opened.

    A sink's delivery options are ``delivery`` (the collector-wide ones), then its sink
    type's own defaults over them, then those given in its ``--sink`` value over both.

    Raises ``UnknownSink`` or ``ValueError`` on bad specs, ``SpoolUnavailable`` (a
    ``ValueError``) when a spool directory is in use or cannot be created; a sink whose
    plugin fails to create it is reported and left out."""
    defaults = delivery or DeliveryOptions()
    runners: list[SinkRunner] = []
    try:
        for text in specs:
            spec = registry.parse(text)
            own = registry.sink_type(spec.scheme).delivery
            options = replace(defaults, **{**own, **spec.delivery})
            try:
                sink = registry.create_sink(spec)
            except BrokenSinkFactory as exc:
                log.error("%s", exc)
                continue
            origin = registry.sink_type(spec.scheme).origin
            # The spool stays the sink's whatever its delivery options: named without them.
            named = without(text, DELIVERY_OPTIONS)
            spool = Spool(spool_directory(options.spool_dir, named), options.spool_max_bytes)
            runner = SinkRunner(
                redacted(text), sink, options, spool, origin, stall_after=stall_after
            )
            runners.append(runner)
    except BaseException:
        for runner in runners:
            runner.spill.close()
        raise
    return runners


class NoSinks(RuntimeError):
    """Sinks were asked for, and every one of them failed to be created (each was reported)."""


class Collector:
    """Runs until ``stop()`` (or SIGINT/SIGTERM when ``run`` is called in the main thread).

    Made with ``Collector.from_config(config, registry)``."""

    #: How often idle streams are forgotten, and after how long without a kept event.
    HOUSEKEEPING_PERIOD = 10.0
    IDLE_STREAM_SECONDS = 600.0
    #: At a stop: receive for at most this long, until the socket is quiet for this long.
    DRAIN_SECONDS = 1.0
    DRAIN_QUIET_MS = 20

    def __init__(
        self,
        config: CollectorConfig,
        registry: Registry,
        runners: list[SinkRunner],
        curve: CurveServer | None = None,
    ) -> None:
        """Binds the sockets (raises ``BindError``); ``curve`` None: no CURVE."""
        self.config = config
        self.registry = registry
        self.runners = runners
        self.counters = Counters()
        self.filter = IntervalFilter(config.interval, config.key, trailing=config.trailing)
        self.dead_letters = DeadLetters(
            config.dead_letter, config.dead_letter_max_bytes, config.dead_letter_backups
        )
        for runner in runners:
            if runner.dead_letters is None:
                runner.dead_letters = self.dead_letters
        self.sequence = SequenceNumbers()
        self._stop = threading.Event()
        self._processors = self._event_processors()
        self.receiver = Receiver(
            config.bind, config.fan_in_endpoints, config.max_message_size, curve
        )
        receiver = self.receiver
        _warn_if_open_to_anyone(receiver.endpoints, curve)
        watched = [
            (sock, kind, endpoint, self._fan_in_for(endpoint))
            for sock, (kind, endpoint) in zip(receiver.sockets, receiver.endpoints, strict=True)
        ]
        self.monitor = PeerMonitor(watched, config.max_message_size, curve=curve is not None)

    @classmethod
    def from_config(cls, config: CollectorConfig, registry: Registry) -> Collector:
        """The collector ``config`` describes, its sinks made by ``registry``'s plugins.

        Raises ``KeyFileError`` (the CURVE keys), ``UnknownSink`` or ``ValueError`` (a bad
        ``--sink``, a spool directory in use), ``NoSinks`` and ``BindError``."""
        curve = curve_server(config.curve_secret_key, config.curve_clients)
        runners = build_runners(registry, config.sinks, config.sink_stall_after, config.delivery)
        if config.sinks and not runners:
            raise NoSinks("no sink could be created; not starting")
        try:
            return cls(config, registry, runners, curve)
        except BaseException:
            for runner in runners:
                runner.spill.close()
            raise

    def stop(self, *_: Any) -> None:
        self._stop.set()

    def run(self) -> int:
        """Receive until stopped, then drain every sink. Returns the exit status: 0, or 1 if
        a sink lost any event during the run (its ``lost``: kept events neither written,
        refused nor spooled)."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        for runner in self.runners:
            runner.start()
        self.monitor.start()
        _tune_garbage_collector()
        listening = ", ".join(f"{endpoint} ({kind})" for kind, endpoint in self.receiver.endpoints)
        if self.receiver.curve is not None:
            keys = self.receiver.curve.client_keys
            listening += f" with CURVE, {len(keys.current())} client keys in {keys.directory}"
        log.info(
            "listening on %s; sinks: %s",
            listening,
            ", ".join(r.name for r in self.runners) or "none",
        )
        try:
            self._loop()
        finally:
            self.monitor.stop()
            self.receiver.close()
            self._dispatch(self.filter.release_all())
            ok = self._close_sinks()
            self.dead_letters.close()
            self._log_stats()
        return 0 if ok else 1

    def _loop(self) -> None:
        cfg, flt = self.config, self.filter
        now = time.monotonic()
        next_stats = now + cfg.stats_interval if cfg.stats_interval > 0 else float("inf")
        next_housekeeping = now + self.HOUSEKEEPING_PERIOD
        while not self._stop.is_set():
            timeout_ms = 100
            if flt.trailing:
                due = flt.next_expiry()
                if due is not None:
                    timeout_ms = min(100, max(0, int((due - now) * 1000) + 1))
            self._pump(timeout_ms)
            now = time.monotonic()
            if flt.trailing:
                self._dispatch(flt.expire(now))
            if now >= next_housekeeping:
                next_housekeeping = now + self.HOUSEKEEPING_PERIOD
                flt.forget_idle(now, max(self.IDLE_STREAM_SECONDS, 10 * cfg.interval))
            if now >= next_stats:
                next_stats += cfg.stats_interval
                self._log_stats()
        # What already arrived, or is still on its way in, is not left behind: receive until
        # the socket has been quiet for DRAIN_QUIET_MS, for DRAIN_SECONDS at the most.
        drain_until = time.monotonic() + self.DRAIN_SECONDS
        while self._pump(self.DRAIN_QUIET_MS) and time.monotonic() < drain_until:
            pass

    def _pump(self, timeout_ms: int) -> int:
        """Decode, filter and dispatch what arrives within ``timeout_ms``; returns the count."""
        raws = self.receiver.receive_batch(timeout_ms)
        if not raws:
            return 0
        received = len(raws)
        longest = max(map(len, raws))
        if longest > self.config.max_message_size:
            oversized = take_oversized(raws, self.config.max_message_size)
            self.counters.oversized += len(oversized)
            self._reject(oversized)
        batch = decode_batch(raws, time.time(), longest)
        if batch.rejected:
            self._reject(batch.rejected)
        kept = self.filter.select(batch.fields, batch.times, time.monotonic())
        if kept:
            self._dispatch(kept)
        self.counters.received += received
        return received

    def _reject(self, rejected: list[Rejected]) -> None:
        self.counters.rejected += len(rejected)
        for message in rejected:
            self.dead_letters.write(message)

    def _dispatch(self, events: list[dict[str, Any]]) -> None:
        """Hand kept events to the ``process_event`` hooks, then, each with its identity
        (a ``seq`` given where it has none), to every sink."""
        if self._processors:
            events = [event for event in events if self._process(event)]
        if not events:
            return
        self.sequence.assign(events)
        self.counters.kept += len(events)
        for runner in self.runners:
            runner.offer_many(events)

    def _process(self, event: dict[str, Any]) -> bool:
        for process in self._processors:
            if process(event) is False:
                self.counters.dropped_by_plugin += 1
                return False
        return True

    def _event_processors(self) -> list:
        """The ``process_event`` hooks in pluggy's order, each isolated from the others."""
        hook = self.registry.pm.hook.process_event
        return [_isolated(impl.plugin_name, impl.function) for impl in call_order(hook)]

    def _fan_in_for(self, endpoint: str) -> str:
        """The fan-in endpoint(s) to name when a second process connects to ``endpoint``."""
        if self.config.fan_in is None:
            return fan_in_endpoint(endpoint)
        return ", ".join(self.config.fan_in)

    def _log_stats(self) -> None:
        self.counters.suppressed = self.filter.suppressed
        self.counters.dead_letter_failures = self.dead_letters.failures
        self.counters.dead_letters_dropped = self.dead_letters.dropped
        self.counters.pair_peers_cut_off = self.monitor.pair_peers_cut_off
        self.counters.refused = self.monitor.refused
        stats_log.info("%s", stats_line(self.counters, self.runners))

    def _close_sinks(self) -> bool:
        """Close every sink at once, all within ``shutdown_timeout``: a slow or hung sink
        holds up no other, and what it could not deliver is spooled."""
        deadline = time.monotonic() + self.config.shutdown_timeout
        for runner in self.runners:
            runner.request_close(deadline)
        return all([runner.finish(deadline) for runner in self.runners])


def _warn_if_open_to_anyone(endpoints: list[tuple[str, str]], curve: CurveServer | None) -> None:
    """Binding wider than loopback is asked for explicitly; without CURVE it is also said."""
    wide = [endpoint for _, endpoint in endpoints if not is_loopback(endpoint)]
    if wide and curve is None:
        log.warning(
            "listening on %s without authentication: anyone who can reach it can send events "
            "to your sinks, and events cross the network unencrypted. Use --curve-secret-key "
            "and --curve-clients (docs/operations.md)",
            ", ".join(wide),
        )


def _tune_garbage_collector() -> None:
    """The receive loop makes a dict per event and frees it a batch later. With the default
    thresholds the cycle collector runs every 700 allocations and, every few dozen batches,
    scans every object the process holds: about an eighth of the loop's time. Objects from
    start-up are frozen (never scanned again), and collections wait for more allocations."""
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)


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
