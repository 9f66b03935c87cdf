"""Delivery to one sink: its queue, one worker thread, retries, its spool, its dead letters.

The receive loop only ever calls ``offer_many``: an append to the sink's ``BatchQueue``, never
a lock, a wait or a disk access. The worker takes batches (``batch_size`` events, or fewer
once the oldest has waited ``max_delay``) and writes them, finding and dead-lettering the
events the sink refuses (``BatchWrite``); any other failure is retried with ``Backoff``. A
sink that stays down (failing for ``spool_after`` seconds) or falls behind (more than
``queue_size`` events waiting) has its queue moved to its disk spool (``Spill``), by the
worker or, while the worker is stuck in a call, by the sink watch; the worker delivers the
spool, oldest first, before anything newer. Order is kept throughout: spool first, then
memory. One lock guards the spool and the counters; one Event wakes the worker.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from collector.pipeline.batching import BatchQueue
from collector.pipeline.deadletter import DeadLetters
from collector.pipeline.isolate import BatchWrite
from collector.pipeline.retry import Backoff
from collector.pipeline.spill import Spill
from collector.pipeline.spool import Spool, spool_directory
from collector.pipeline.stall import SinkCalls, watch
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
    """Events per sink: ``written`` (replays included), ``rejected`` (refused by the sink,
    dead-lettered), ``spooled`` to disk, ``replayed`` from it, ``lost`` for good,
    ``in_spool`` and ``queued`` (in memory) now, ``carried`` (found in the spool at start);
    ``failed`` calls, ``retried`` attempts, worker ``restarts``.

    At every moment ``carried + offered = written + rejected + lost + in_spool + queued``,
    where ``offered`` is what the collector kept for every sink."""

    written: int = 0
    rejected: int = 0
    failed: int = 0
    retried: int = 0
    spooled: int = 0
    replayed: int = 0
    lost: int = 0
    in_spool: int = 0
    queued: int = 0
    carried: int = 0
    restarts: int = 0


class SinkRunner:
    """Runs one sink (the plugin's own object) in its worker thread."""

    def __init__(
        self,
        name: str,
        sink: Sink,
        options: DeliveryOptions | None = None,
        spool: Spool | None = None,
        origin: str = "",
        dead_letters: DeadLetters | None = None,
        stall_after: float | None = None,
    ) -> None:
        self.name = name
        self.sink = sink
        self.origin = origin
        #: Where refused events go; the collector gives its own if none is given here.
        self.dead_letters = dead_letters
        self.calls = SinkCalls(name, origin, stall_after)
        self.options = opts = options or DeliveryOptions()
        spool = spool or Spool(spool_directory(opts.spool_dir, name), opts.spool_max_bytes)
        self.spill = Spill(spool, name, opts.batch_size)
        self._wake = threading.Event()
        self.queue = BatchQueue(
            opts.batch_size, opts.max_delay, opts.queue_size, 2 * opts.queue_size, self._wake
        )
        self._lock = threading.Lock()  # the spool, the batch in hand and the counters
        self._counts = SinkCounters()
        self._close_by: float | None = None  # set when closing: deliver until then
        self._abandoned = False
        self._down = False
        self._opened = False
        self._current: BatchWrite | None = None
        self._current_from_spool = False
        self._reported: set[str] = set()
        self._worker = threading.Thread(target=self._supervise, name=f"sink:{name}", daemon=True)

    # -- what the collector calls --------------------------------------------------------
    @property
    def counters(self) -> SinkCounters:
        """A consistent snapshot of this sink's counters (taken in the receive loop)."""
        locked = self._lock.acquire(timeout=1.0)
        try:
            c = self._counts
            spool_done = self._current.done if self._current and self._current_from_spool else 0
            in_hand = 0
            if self._current is not None and not self._current_from_spool:
                in_hand = self._current.size - self._current.done
            return replace(
                c,
                spooled=self.spill.spooled,
                lost=c.lost + self.queue.dropped + self.spill.lost,
                in_spool=self.spill.events - spool_done,
                queued=len(self.queue) + in_hand,
                carried=self.spill.carried,
            )
        finally:
            if locked:
                self._lock.release()

    @property
    def lost(self) -> int:
        """Events this sink lost so far in this run."""
        return self.counters.lost

    def start(self) -> None:
        watch.add(self)
        self._worker.start()

    def offer_many(self, events: list[dict[str, Any]]) -> None:
        """Queue events in order; never blocks, never touches the disk, takes no lock. Past
        twice ``queue_size`` (the spool not keeping up) events are dropped and counted."""
        if self.queue.offer_many(events):
            self._report("limit", f"sink {self.name!r}: queue and spool both full, events lost")
        if len(self.queue) > self.options.queue_size:
            watch.nudge()  # the worker may be stuck in a call: the watch spools meanwhile

    def request_close(self, deadline: float) -> None:
        """Start shutting down: deliver what is queued until ``deadline`` (monotonic) draws
        near, then spool the rest. Returns at once; ``finish`` waits."""
        margin = min(1.0, 0.2 * max(0.0, deadline - time.monotonic()))
        self._close_by = deadline - margin
        self._wake.set()

    def finish(self, deadline: float) -> bool:
        """Wait for the worker until the close deadline; a worker still stuck then (a hung
        sink) is left behind and its events are spooled. True if no event was lost in the
        whole run."""
        close_by = self._close_by if self._close_by is not None else deadline
        self._worker.join(max(0.0, close_by - time.monotonic()))
        if self._worker.is_alive():
            self._abandon(deadline)
        watch.discard(self)
        with self._lock:
            self.spill.close()
        return self.lost == 0

    def close(self, timeout: float) -> bool:
        """Deliver, flush and close within ``timeout`` seconds (``request_close`` + ``finish``)."""
        deadline = time.monotonic() + timeout
        self.request_close(deadline)
        return self.finish(deadline)

    def check(self, now: float) -> None:
        """From the sink watch: report a stalled sink call, and spool the queue of a sink
        that is down or behind while its worker is busy elsewhere."""
        self.calls.check(now)
        if self._lock.acquire(blocking=False):
            try:
                self._relieve()
            finally:
                self._lock.release()

    # -- the worker ----------------------------------------------------------------------
    def _supervise(self) -> None:
        """The worker thread: whatever ends the work early is reported and the work resumes
        where it was (the batch in hand is kept)."""
        while True:
            try:
                self._work()
                return
            except BaseException as exc:  # nothing may end this thread
                with self._lock:
                    self._counts.restarts += 1
                    if self._abandoned:
                        return
                self._report(
                    f"worker:{type(exc).__name__}",
                    f"sink {self.name!r}: its worker failed with {exc!r}; restarted "
                    "(further failures like it are only counted, in restarts)",
                )
                self._wake.wait(0.1)

    def _work(self) -> None:
        if not self._opened:
            self._opened = self._open()
        if self._opened:
            self._deliver_all()
            self._call("flush", self.sink.flush)
            self._call("close", self.sink.close)
        with self._lock:
            if not self._abandoned:
                if self._current is not None:
                    self._set_aside(self._current)
                self._spool_queue(keep=0, sync=True)

    def _open(self) -> bool:
        backoff = Backoff(self.options.retry_initial, self.options.retry_max)
        while True:
            try:
                self.calls.run("open", self.sink.open)
                return True
            except Exception as exc:
                self._counts.failed += 1
                self._report("open", f"sink {self.name!r} open failed: {exc!r}; retrying")
            if backoff.failing_for() >= self.options.spool_after:
                self._down = True
            if self._close_by is not None:
                self._down = True
                return False
            self._counts.retried += 1
            self._pause(backoff.next_delay(), wake_early=False)

    def _deliver_all(self) -> None:
        dirty = False
        while True:
            with self._lock:
                work = self._next()
            if work is _STOP:
                return
            if work is None:
                if dirty:
                    dirty = not self._call("flush", self.sink.flush)
                self._pause(max(0.005, self.queue.next_due(time.monotonic())))
                continue
            self._deliver(work)
            dirty = True

    def _next(self) -> Any:
        """The batch to write next (spool first), None if none is due yet, ``_STOP`` when the
        worker is done. Caller holds the lock."""
        if self._abandoned:
            return _STOP
        closing = self._close_by is not None
        if closing and time.monotonic() >= self._close_by:
            return _STOP
        if self._current is not None:  # a restarted worker goes on with it
            return self._current
        self._relieve()
        if self.spill.events:
            if closing and self._down:
                return _STOP  # stays spooled for the next run
            batch = self.spill.head()
            if batch is not None:
                self._current, self._current_from_spool = BatchWrite(batch), True
                return self._current
        batch = self.queue.take_batch(time.monotonic(), flush=closing)
        if batch is None:
            return _STOP if closing and not len(self.queue) else None
        self._current, self._current_from_spool = BatchWrite(batch), False
        return self._current

    def _deliver(self, work: BatchWrite) -> None:
        backoff: Backoff | None = None
        while not work.finished:
            try:
                written, refused = work.step(self._write, self._permanent)
            except Exception as exc:
                self._counts.failed += 1
                self._report("write", f"sink {self.name!r} write failed: {exc!r}; retrying")
                backoff = backoff or Backoff(self.options.retry_initial, self.options.retry_max)
                if not self._after_failure(work, backoff):
                    return
                continue
            with self._lock:
                if self._abandoned:
                    return
                self._counted(written, refused)
        with self._lock:
            if self._abandoned:
                return
            if self._current_from_spool:
                self.spill.pop_head()
            self._current = None
            self._reported.discard("write")
            if self._down:
                self._down = False
                log.warning("sink %r is writing again", self.name)

    def _after_failure(self, work: BatchWrite, backoff: Backoff) -> bool:
        """After a transient failure: True to try ``work`` again, False once it is set aside
        (in the spool, or lost at shutdown if the spool fails too)."""
        closing = self._close_by is not None
        if self._current_from_spool:
            self._down = True
            if closing:
                with self._lock:
                    self._set_aside(work)
                return False
        elif closing or backoff.failing_for() >= self.options.spool_after:
            self._down = True
            with self._lock:
                if self._abandoned:
                    return False
                if self._set_aside(work) or closing:
                    self._counts.retried += not closing  # it comes again, from the spool
                    return False
        self._counts.retried += 1
        self._pause(backoff.next_delay(), wake_early=False)
        return True

    def _set_aside(self, work: BatchWrite) -> bool:
        """Leave the batch in hand to the spool, in front of everything; at shutdown, what
        cannot be spooled is lost and counted. True once it is on disk. Caller holds the
        lock."""
        remaining = work.remaining()
        if self._current_from_spool:
            if work.done:  # what was written already is not spooled again
                self.spill.pop_head()
            else:
                self._current = None
                return True
        if self.spill.put_back(remaining):
            self._current = None
            return True
        if self._current_from_spool or self._close_by is not None:
            self._counts.lost += len(remaining)
            self._current = None
        return False

    def _counted(self, written: int, refused: list[tuple[dict[str, Any], str]]) -> None:
        """Caller holds the lock."""
        c = self._counts
        c.written += written
        if self._current_from_spool:
            c.replayed += written
        if refused:
            c.rejected += len(refused)
            for event, reason in refused:
                self._dead_letter(event, reason)

    def _dead_letter(self, event: dict[str, Any], reason: str) -> None:
        self._report("refused", f"sink {self.name!r} refused an event: {reason}; dead-lettered")
        if self.dead_letters is not None:
            self.dead_letters.write_refused(self.name, event, reason)

    def _relieve(self) -> None:
        """Spool the queue of a sink that is down (all of it, fsynced) or behind (all but
        half of ``queue_size``). Caller holds the lock."""
        if self._abandoned or not len(self.queue):
            return
        if self._down:
            self._spool_queue(keep=0, sync=True)
        elif len(self.queue) > self.options.queue_size:
            self._spool_queue(keep=self.options.queue_size // 2, sync=False)

    def _spool_queue(self, keep: int, sync: bool) -> None:
        """Caller holds the lock."""
        events = self.queue.take_all(keep)
        if events:
            self.spill.append(events, sync)

    def _pause(self, seconds: float, wake_early: bool = True) -> None:
        """Sleep up to ``seconds``, or not at all once closing. A wake (a full batch, a queue
        over its mark) ends it with ``wake_early``, else only relieves the queue."""
        until = time.monotonic() + seconds
        while self._close_by is None:
            left = until - time.monotonic()
            if left <= 0:
                return
            if self._wake.wait(left):
                self._wake.clear()
                if wake_early:
                    return
                with self._lock:
                    self._relieve()

    def _write(self, events: list[dict[str, Any]]) -> None:
        self.calls.run("write", self.sink.write, events)

    def _permanent(self, error: Exception) -> bool:
        """The sink's own classification; one that raises counts as transient, so that a bug
        in it never throws events away."""
        try:
            return bool(self.sink.is_permanent(error))
        except Exception as exc:
            self._report("classify", f"sink {self.name!r}: is_permanent raised {exc!r}")
            return False

    def _call(self, what: str, method: Callable[[], None]) -> bool:
        try:
            self.calls.run(what, method)
        except Exception as exc:
            self._report(what, f"sink {self.name!r} {what} failed: {exc!r}")
            return False
        return True

    def _abandon(self, deadline: float) -> None:
        """The worker is stuck in the sink: spool its batch in hand and everything queued."""
        if not self._lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            events = self.queue.take_all()
            self._counts.lost += len(events)
            log.error("sink %r: spool busy at shutdown; %d events lost", self.name, len(events))
            return
        try:
            self._abandoned = True
            current, self._current = self._current, None
            queued = len(self.queue)
            if current is not None and not self._current_from_spool:
                remaining = current.remaining()
                queued += len(remaining)
                if not self.spill.put_back(remaining):
                    self._counts.lost += len(remaining)
            self._spool_queue(keep=0, sync=True)
            log.error(
                "sink %r did not finish in time; %d queued events spooled for the next run",
                self.name,
                queued,
            )
        finally:
            self._lock.release()

    def _report(self, key: str, message: str) -> None:
        if key not in self._reported:
            self._reported.add(key)
            log.error("%s%s", message, f" [{self.origin}]" if self.origin else "")


_STOP = object()
