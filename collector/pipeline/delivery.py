"""Delivery to one sink: a queue in memory, a worker thread, batches, retry and a disk spool.

The receive loop only ever calls ``offer``: an append to the sink's queue in memory, never a
lock, a wait or a disk access. The worker takes batches (``batch_size`` events, or fewer once
the oldest has waited ``max_delay``) and writes them; a failed write is retried with
exponential backoff and jitter. A sink that stays down (failing for ``spool_after`` seconds)
or falls behind (more than ``queue_size`` events waiting) has its events moved to its disk
spool by a second thread, and the worker delivers the spool, oldest first, before anything
newer. Order is kept throughout: spool first, then memory.
"""

from __future__ import annotations

import collections
import logging
import random
import threading
import time
from dataclasses import dataclass, fields, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from collector.pipeline.spool import Spool, spool_directory
from collector.sinks import Sink

log = logging.getLogger("collector")

#: Options every sink accepts in its spec (``--sink 'file:x.jsonl?batch_size=100'``); they
#: are taken out before the sink sees its spec.
DELIVERY_OPTIONS = {
    "batch_size": "events per write (default 500)",
    "max_delay": "seconds an event may wait for its batch to fill (default 0.2)",
    "queue_size": "events held in memory before the excess goes to the spool (default 100000)",
    "spool_max_bytes": "disk spool bound; the oldest spooled events go first (default 1 GiB)",
}


@dataclass(frozen=True)
class DeliveryOptions:
    """How a sink's worker batches, retries and spools."""

    batch_size: int = 500
    max_delay: float = 0.2
    queue_size: int = 100_000
    retry_initial: float = 0.1
    retry_max: float = 5.0
    spool_after: float = 1.0
    spool_dir: str = "hotprobe-spool"
    spool_max_bytes: int = 1 << 30

    def __post_init__(self) -> None:
        for name in ("batch_size", "queue_size", "spool_max_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        for name in ("max_delay", "retry_initial", "retry_max", "spool_after"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, not {getattr(self, name)}")


def split_delivery_options(text: str, defaults: DeliveryOptions) -> tuple[DeliveryOptions, str]:
    """A ``--sink`` value's delivery options applied over ``defaults``, and the value without
    them (what the sink itself is built from). Bad values raise ``ValueError``."""
    base, _, query = text.partition("?")
    pairs = parse_qsl(query, keep_blank_values=True)
    ours = {k: v for k, v in pairs if k in DELIVERY_OPTIONS}
    if not ours:
        return defaults, text
    types = {f.name: f.type for f in fields(DeliveryOptions)}
    changes: dict[str, Any] = {}
    for name, value in ours.items():
        convert = int if types[name] in ("int", int) else float
        try:
            changes[name] = convert(value)
        except ValueError:
            raise ValueError(f"sink option {name}={value!r}: expected a number") from None
    rest = urlencode([(k, v) for k, v in pairs if k not in DELIVERY_OPTIONS])
    return replace(defaults, **changes), base + ("?" + rest if rest else "")


@dataclass
class SinkCounters:
    """Events per sink: ``written`` (replays included), ``spooled`` to disk, ``replayed``
    from it, ``lost`` for good, ``in_spool`` now; ``failed`` calls, ``retried`` attempts."""

    written: int = 0
    failed: int = 0
    retried: int = 0
    spooled: int = 0
    replayed: int = 0
    lost: int = 0
    in_spool: int = 0


class SinkRunner:
    """Runs one sink: its queue, its worker thread and its spool thread."""

    def __init__(
        self,
        name: str,
        sink: Sink,
        options: DeliveryOptions | None = None,
        spool: Spool | None = None,
        origin: str = "",
    ) -> None:
        self.name = name
        self.sink = sink
        self.origin = origin
        self.options = opts = options or DeliveryOptions()
        self.spool = spool or Spool(spool_directory(opts.spool_dir, name), opts.spool_max_bytes)
        self._pending: collections.deque[dict[str, Any]] = collections.deque()
        self._overflow_at = opts.queue_size
        self._limit = 2 * opts.queue_size  # past this, offer drops (the spool is not keeping up)
        self._overflowing = threading.Event()
        self._dropped = 0  # by offer: only the receive loop changes it
        self._counts = SinkCounters()  # changed under _lock, or by the worker alone
        self._lock = threading.Lock()  # the spool, and taking from _pending
        self._closing = threading.Event()
        self._close_by = float("inf")
        self._finished = threading.Event()
        self._abandoned = False
        self._down = False
        self._inflight: tuple[list[dict[str, Any]], bool] | None = None
        self._first_waiting: float | None = None
        self._reported: set[str] = set()
        self._worker = threading.Thread(target=self._run, name=f"sink:{name}", daemon=True)
        self._spooler = threading.Thread(target=self._spool_loop, name=f"spool:{name}", daemon=True)

    @property
    def counters(self) -> SinkCounters:
        """A snapshot of this sink's counters."""
        c = self._counts
        return replace(c, lost=c.lost + self._dropped + self.spool.lost, in_spool=self.spool.events)

    def start(self) -> None:
        self._worker.start()
        self._spooler.start()

    def offer_many(self, events: list[dict[str, Any]]) -> None:
        """Queue events in order; never blocks, never touches the disk (no lock either: a
        deque's appends are atomic). Past ``queue_size`` the spool thread is woken to move
        the excess to disk; past twice that, events are dropped and counted."""
        pending = self._pending
        queued = len(pending)
        room = self._limit - queued
        if room >= len(events):
            pending.extend(events)
        else:
            pending.extend(events[: max(0, room)])
            self._dropped += len(events) - max(0, room)
            self._report("limit", f"sink {self.name!r}: queue and spool both full, events lost")
        if queued + len(events) > self._overflow_at:
            self._overflowing.set()

    def request_close(self, deadline: float) -> None:
        """Start shutting down: deliver what is queued until ``deadline`` (monotonic) draws
        near, then spool the rest. Returns at once; ``finish`` waits."""
        margin = min(1.0, 0.2 * max(0.0, deadline - time.monotonic()))
        self._close_by = deadline - margin
        self._closing.set()

    def finish(self, deadline: float) -> bool:
        """Wait for the worker until the close deadline; a worker still stuck then (a hung
        sink) is left behind and its events are spooled. True if nothing was lost."""
        lost_before = self.counters.lost
        self._worker.join(max(0.0, self._close_by - time.monotonic()))
        if self._worker.is_alive():
            self._abandon(deadline)
        self._finished.set()
        self._overflowing.set()
        self._spooler.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            self.spool.close()
        return self.counters.lost == lost_before

    def close(self, timeout: float) -> bool:
        """Deliver, flush and close within ``timeout`` seconds (``request_close`` + ``finish``)."""
        deadline = time.monotonic() + timeout
        self.request_close(deadline)
        return self.finish(deadline)

    # -- the worker ------------------------------------------------------------------------
    def _run(self) -> None:
        if self._open():
            self._deliver_all()
            self._call("flush", self.sink.flush)
            self._call("close", self.sink.close)
        with self._lock:
            if not self._abandoned:
                self._spool_pending()

    def _open(self) -> bool:
        attempt = _Attempts(self.options)
        while True:
            try:
                self.sink.open()
                return True
            except Exception as exc:
                self._counts.failed += 1
                self._report("open", f"sink {self.name!r} open failed: {exc!r}; retrying")
            if attempt.failing_for() >= self.options.spool_after:
                self._down = True
            if self._closing.is_set():
                self._down = True
                return False
            self._counts.retried += 1
            attempt.wait(self._closing)

    def _deliver_all(self) -> None:
        poll = min(0.05, max(0.005, self.options.max_delay / 4))
        dirty = False
        while True:
            taken = self._take()
            if taken is _STOP:
                return
            if taken is None:
                if dirty:
                    dirty = not self._call("flush", self.sink.flush)
                self._closing.wait(poll)
                continue
            self._deliver(*taken)
            dirty = True

    def _take(self) -> Any:
        """The next batch and whether it comes from the spool; None if none is due yet;
        ``_STOP`` when the worker is done."""
        opts = self.options
        pending = self._pending
        with self._lock:
            closing = self._closing.is_set()
            if self._abandoned or (closing and time.monotonic() >= self._close_by):
                return _STOP
            if self.spool.events:
                if closing and self._down:
                    return _STOP  # stays spooled for the next run
                batch = self.spool.head()
                if batch is not None:
                    return batch, True
            if not pending:
                self._first_waiting = None
                return _STOP if closing else None
            now = time.monotonic()
            if self._first_waiting is None:
                self._first_waiting = now
            due = closing or now - self._first_waiting >= opts.max_delay
            if len(pending) < opts.batch_size and not due:
                return None
            batch = [pending.popleft() for _ in range(min(len(pending), opts.batch_size))]
            self._first_waiting = now if pending else None
            return batch, False

    def _deliver(self, batch: list[dict[str, Any]], from_spool: bool) -> None:
        attempt = _Attempts(self.options)
        while True:
            self._inflight = (batch, from_spool)
            try:
                self.sink.write(batch)
            except Exception as exc:
                self._counts.failed += 1
                self._report("write", f"sink {self.name!r} write failed: {exc!r}; retrying")
            else:
                self._written(batch, from_spool)
                return
            closing = self._closing.is_set()
            if from_spool:
                self._down = True
                if closing:
                    return  # it stays spooled for the next run
            elif closing or attempt.failing_for() >= self.options.spool_after:
                self._down = True
                if self._put_back(batch) or closing:
                    self._counts.retried += not closing  # it comes again, from the spool
                    return  # on disk now (or, at shutdown, counted lost by _put_back)
            self._counts.retried += 1
            attempt.wait(self._closing)  # cut short at shutdown: the next failure spools it

    def _written(self, batch: list[dict[str, Any]], from_spool: bool) -> None:
        with self._lock:
            self._inflight = None
            if self._abandoned:
                return
            if from_spool:
                self.spool.pop_head()
                self._counts.replayed += len(batch)
            self._counts.written += len(batch)
            self._reported.discard("write")
            if self._down:
                self._down = False
                log.warning("sink %r is writing again", self.name)

    def _put_back(self, batch: list[dict[str, Any]]) -> bool:
        """Spool a batch taken from memory in front of everything; True once it is on disk."""
        with self._lock:
            self._inflight = None
            if self._abandoned:
                return True  # the closer spooled it
            try:
                self.spool.prepend(batch)
            except OSError as exc:
                self._report("spool", f"sink {self.name!r}: cannot spool: {exc!r}")
                if self._closing.is_set():
                    self._counts.lost += len(batch)
                return False
            self._counts.spooled += len(batch)
            self._reported.discard("spool")
            return True

    def _call(self, what: str, method: Any) -> bool:
        try:
            method()
        except Exception as exc:
            self._report(what, f"sink {self.name!r} {what} failed: {exc!r}")
            return False
        return True

    # -- the spool thread ------------------------------------------------------------------
    def _spool_loop(self) -> None:
        while not self._finished.is_set():
            self._overflowing.wait(0.05)
            self._overflowing.clear()
            pending = len(self._pending)
            if pending and (self._down or pending > self.options.queue_size):
                with self._lock:
                    if not self._abandoned:
                        keep = 0 if self._down else self.options.queue_size // 2
                        self._spool_pending(keep, sync=self._down)

    def _spool_pending(self, keep: int = 0, sync: bool = True) -> None:
        """Move all but the newest ``keep`` queued events to the spool (fsynced now, or, for
        a sink merely behind, when the segment is full). Caller holds _lock."""
        pending, size = self._pending, self.options.batch_size
        count = len(pending) - keep
        if count <= 0:
            return
        events = [pending.popleft() for _ in range(count)]
        batches = [events[i : i + size] for i in range(0, count, size)]
        try:
            self.spool.append(batches, sync)
        except OSError as exc:
            self._counts.lost += count
            self._report(
                "spool",
                f"sink {self.name!r}: cannot spool ({exc!r}); events that cannot be kept are "
                "lost, counted in lost until the spool takes them again",
            )
            return
        self._counts.spooled += count
        self._reported.discard("spool")

    def _abandon(self, deadline: float) -> None:
        """The worker is stuck in the sink: spool its batch in hand and everything queued."""
        if not self._lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            log.error("sink %r: spool busy at shutdown; %d events lost", self.name, self._queued)
            self._counts.lost += self._queued
            return
        try:
            self._abandoned = True
            inflight, self._inflight = self._inflight, None
            queued = len(self._pending)
            if inflight is not None and not inflight[1]:
                queued += len(inflight[0])
                try:
                    self.spool.prepend(inflight[0])
                    self._counts.spooled += len(inflight[0])
                except OSError as exc:
                    self._counts.lost += len(inflight[0])
                    log.error("sink %r: cannot spool: %r", self.name, exc)
            self._spool_pending()
            log.error(
                "sink %r did not finish in time; %d queued events spooled for the next run",
                self.name,
                queued,
            )
        finally:
            self._lock.release()

    @property
    def _queued(self) -> int:
        inflight = self._inflight
        return len(self._pending) + (len(inflight[0]) if inflight and not inflight[1] else 0)

    def _report(self, key: str, message: str) -> None:
        if key not in self._reported:
            self._reported.add(key)
            log.error("%s%s", message, f" [{self.origin}]" if self.origin else "")


_STOP = object()


class _Attempts:
    """Exponential backoff with jitter, and how long the failures have lasted."""

    def __init__(self, options: DeliveryOptions) -> None:
        self.delay = options.retry_initial
        self.ceiling = options.retry_max
        self.started = time.monotonic()

    def failing_for(self) -> float:
        return time.monotonic() - self.started

    def wait(self, interrupt: threading.Event) -> None:
        """Sleep the next backoff, or until ``interrupt`` is set."""
        interrupt.wait(self.delay * (0.5 + random.random()))
        self.delay = min(self.delay * 2, self.ceiling)
