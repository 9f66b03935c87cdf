"""Delivery to one sink: a bounded queue, a worker thread, batches, and retry with backoff.

The receive loop only ever calls ``offer``, which never blocks: a slow or broken sink stalls
its own worker and nothing else.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

from collector.sinks import Sink

log = logging.getLogger("collector")

_STOP = object()


@dataclass
class DeliveryOptions:
    """How a sink's worker batches and retries."""

    batch_size: int = 500
    max_delay: float = 0.25
    queue_size: int = 100_000
    retry_initial: float = 0.1
    retry_max: float = 5.0


@dataclass
class SinkCounters:
    written: int = 0
    failed_writes: int = 0
    retried: int = 0
    lost: int = 0


class SinkRunner:
    """Runs one sink in its own thread. ``origin`` (the plugin it comes from) ends every
    problem it reports."""

    def __init__(
        self, name: str, sink: Sink, options: DeliveryOptions | None = None, origin: str = ""
    ) -> None:
        self.name = name
        self.sink = sink
        self.origin = origin
        self.options = options or DeliveryOptions()
        self.counters = SinkCounters()
        self._queue: queue.Queue[Any] = queue.Queue(self.options.queue_size)
        self._closing = threading.Event()
        self._reported: set[str] = set()
        self._thread = threading.Thread(target=self._run, name=f"sink:{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def offer(self, event: dict[str, Any]) -> None:
        """Queue one event; never blocks."""
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.counters.lost += 1
            self._report("queue full", f"sink {self.name!r} is not keeping up: events are lost")

    def offer_many(self, events: list[dict[str, Any]]) -> None:
        """Queue events in order; never blocks. One lock round and one wake-up of the worker
        for the whole list: per-event hand-offs would cost a thread switch each."""
        q = self._queue
        with q.not_full:  # the queue's own lock
            room = len(events) if q.maxsize <= 0 else q.maxsize - len(q.queue)
            accepted = events if len(events) <= room else events[: max(0, room)]
            q.queue.extend(accepted)
            q.unfinished_tasks += len(accepted)
            q.not_empty.notify()
        if len(accepted) < len(events):
            self.counters.lost += len(events) - len(accepted)
            self._report("queue full", f"sink {self.name!r} is not keeping up: events are lost")

    def close(self, timeout: float) -> bool:
        """Drain, flush and close within ``timeout`` seconds. False if the worker is stuck."""
        self._closing.set()
        with contextlib.suppress(queue.Full):
            self._queue.put(_STOP, timeout=timeout)
        self._thread.join(timeout)
        if self._thread.is_alive():
            pending = self._queue.qsize()
            self._report(
                "close timeout",
                f"sink {self.name!r} did not finish in {timeout:.1f} s; {pending} events pending",
            )
            return False
        return True

    # -- the worker ------------------------------------------------------------------------
    def _run(self) -> None:
        if not self._call("open", self.sink.open):
            self.counters.lost += self._discard_all()
            return
        stopping = False
        dirty = False
        while not stopping:
            batch, stopping = self._next_batch(wait=not dirty)
            if batch:
                self._deliver(batch)
                dirty = True
            elif dirty:
                dirty = not self._call("flush", self.sink.flush)
        self._call("flush", self.sink.flush)
        self._call("close", self.sink.close)

    def _next_batch(self, wait: bool) -> tuple[list[dict[str, Any]], bool]:
        """Up to batch_size events, waiting at most max_delay after the first."""
        opts = self.options
        batch: list[dict[str, Any]] = []
        try:
            first = self._queue.get(timeout=1.0 if wait else opts.max_delay)
        except queue.Empty:
            return batch, False
        if first is _STOP:
            return batch, True
        batch.append(first)
        deadline = time.monotonic() + opts.max_delay
        while len(batch) < opts.batch_size:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    item = self._queue.get(timeout=remaining)
                except queue.Empty:
                    break
            if item is _STOP:
                return batch, True
            batch.append(item)
        return batch, False

    def _deliver(self, batch: list[dict[str, Any]]) -> None:
        delay = self.options.retry_initial
        while True:
            try:
                self.sink.write(batch)
            except Exception as exc:
                self.counters.failed_writes += 1
                self._report("write", f"sink {self.name!r} write failed: {exc!r}; retrying")
                if self._closing.is_set():
                    self.counters.lost += len(batch)
                    log.error("sink %r: %d events not written at shutdown", self.name, len(batch))
                    return
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, self.options.retry_max)
                self.counters.retried += 1
                continue
            self.counters.written += len(batch)
            return

    def _call(self, what: str, method: Any) -> bool:
        try:
            method()
        except Exception as exc:
            self._report(what, f"sink {self.name!r} {what} failed: {exc!r}")
            return False
        return True

    def _discard_all(self) -> int:
        count = 0
        while True:
            item = self._queue.get()
            if item is _STOP:
                return count
            count += 1

    def _report(self, key: str, message: str) -> None:
        if key not in self._reported:
            self._reported.add(key)
            log.error("%s%s", message, f" [{self.origin}]" if self.origin else "")
