"""The process's way out: a bounded queue in front of one sender thread (``_sender``).

A send from any thread encodes its event and queues it: no lock, no socket, no wait, so many
busy threads never queue behind one another. What the queue cannot hold is counted as dropped
(``start``, ``end`` and ``run`` get a second allowance of the same size, so that a flood of
marks does not cost a stream its ``end``, or the run its description). The sender thread
starts with the first event, is a daemon and is stopped by ``close`` within ``exit_timeout``.
After ``fork`` the child forgets its parent's queue, thread and socket and starts its own,
through the fan-in endpoint.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from probe._claim import PairClaim
from probe._sender import SEND_HWM, STOP, Sender
from probe._settings import Settings
from probe._wire import encode
from probe.protocol import is_loopback

#: Events a program can have queued; ``start``, ``end`` and ``run`` may use as many again.
QUEUE_LIMIT = SEND_HWM
_LIFECYCLE = ("start", "end", "run")


class Transport:
    """Queues encoded events for the sender thread; never blocks and never raises.

    ``on_open`` is called once per process, in the thread that sends first."""

    def __init__(self, settings: Settings, on_open: Callable[[], None] | None = None) -> None:
        self.settings = settings
        self.on_open = on_open
        self._reset()

    def _reset(self) -> None:
        self.queue: queue.SimpleQueue = queue.SimpleQueue()  # reentrant: safe in a handler
        self.sent = 0  # written by the sender thread only
        self.dropped_total = 0
        self.reported_drops = 0  # the drops stamped into events so far (by the sender)
        self.endpoint: str | None = None
        self.kind: str | None = None
        self._counts = threading.RLock()  # a signal handler may drop inside a drop
        self._starting = threading.RLock()
        self._start_begun = False
        self._sender: Sender | None = None
        self._thread: threading.Thread | None = None
        self.broken = False
        self._closed = False
        self._deadline: float | None = None
        self._warned = False
        self._claim = PairClaim()

    # -- the program's side ----------------------------------------------------------------
    def send(self, event: dict[str, Any]) -> bool:
        """Encode ``event`` and queue it for the sender thread (which adds ``seq`` and
        ``dropped``). Returns True when it was queued."""
        if self.broken or self._closed:
            return self.count_drop()
        waiting = self.queue.qsize()
        if waiting >= QUEUE_LIMIT and (
            waiting >= 2 * QUEUE_LIMIT or event["event"] not in _LIFECYCLE
        ):
            return self.count_drop()
        self.queue.put((event["probe"], encode(event)))
        if self._thread is None:
            self._start()
        return True

    def count_drop(self) -> bool:
        """Count one event that could not be sent; returns False."""
        self.count_drops(1)
        return False

    def count_drops(self, count: int) -> None:
        """Count ``count`` events that could not be sent."""
        with self._counts:
            self.dropped_total += count

    @property
    def queued(self) -> int:
        """Events waiting in this process for a peer to accept them."""
        sender = self._sender
        return self.queue.qsize() + (len(sender.backlog) if sender is not None else 0)

    @property
    def dropped_since_last_send(self) -> int:
        """Drops not yet reported in an event's ``dropped`` field."""
        return self.dropped_total - self.reported_drops

    @property
    def connected(self) -> bool:
        """True while a peer's handshake has succeeded and it has not disconnected since."""
        return self._sender is not None and self._sender.connected

    @property
    def handshake_failures(self) -> int:
        """Handshakes with a peer that failed (CURVE keys that do not match)."""
        return self._sender.handshake_failures if self._sender is not None else 0

    def _start(self) -> None:
        """Start the sender thread. Another thread already starting it is not waited for:
        the event is queued, and that thread's sender will take it."""
        if not self._starting.acquire(blocking=False):
            return
        try:
            if self._start_begun or self.broken or self._closed:
                return
            self._start_begun = True  # a signal handler reentering here starts nothing
            try:
                _import_for_sender()  # here: a fork during an import would hang the child
                kind, endpoint = self._choose()
                self.curve_keys(self.settings)  # unusable keys: nothing is ever sent
            except Exception as exc:  # KeyFileError, or anything unforeseen
                self.broken = True
                self.count_drops(self._discard_queue())
                self.warn_once(f"CURVE keys unusable, sending nothing: {exc}")
                return
            if not _is_endpoint(endpoint):
                self.broken = True
                self.count_drops(self._discard_queue())
                self.warn_once(f"cannot connect to {endpoint!r}: not a ZeroMQ endpoint")
                return
            sender = Sender(self, self.queue, self.settings, kind, endpoint)
            sender.deadline = self._deadline
            self.kind, self.endpoint = kind, endpoint
            self._sender = sender
            thread = threading.Thread(target=sender.run, name="hotprobe-sender", daemon=True)
            thread.start()
            self._thread = thread
        finally:
            self._starting.release()
        if self.on_open is not None:
            try:
                self.on_open()
            except Exception as exc:
                self.warn_once(f"cannot install exit hooks: {exc!r}")

    def _discard_queue(self) -> int:
        count = 0
        while True:
            try:
                self.queue.get_nowait()
            except queue.Empty:
                return count
            count += 1

    def _choose(self) -> tuple[str, str]:
        s = self.settings
        kind = s.socket if s.socket in ("pair", "push") else None
        if kind is None:
            kind = "pair" if is_loopback(s.endpoint) and self._claim.acquire(s.endpoint) else "push"
        return kind, (s.endpoint if kind == "pair" else s.fan_in_endpoint)

    def curve_keys(self, settings: Settings) -> tuple[bytes, bytes, bytes] | None:
        """The CURVE keys to connect with, or None without a server key. Raises ValueError."""
        if not settings.server_key:
            if settings.client_key:
                self.warn_once("client_key is set but server_key is not: sending unencrypted")
            return None
        from probe._curve import client_keys

        return client_keys(settings.server_key, settings.client_key)

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until no event waits (and, on PAIR, the collector
        has answered); True if none does."""
        deadline = time.monotonic() + timeout
        while self._waiting() and not self.broken:
            if time.monotonic() >= deadline or self._thread is None:
                return False
            time.sleep(0.005)
        return not self._waiting()

    def _waiting(self) -> bool:
        sender = self._sender
        return bool(self.queued or (sender is not None and sender.unanswered))

    # -- the sender's side -----------------------------------------------------------------
    def moved(self, kind: str, endpoint: str) -> None:
        """The sender now sends through ``kind`` to ``endpoint``."""
        self.kind, self.endpoint = kind, endpoint

    # -- ending ----------------------------------------------------------------------------
    def set_deadline(self, deadline: float) -> None:
        """From now on, no wait for unsent messages lasts past ``deadline`` (a
        ``time.monotonic()`` value)."""
        self._deadline = deadline
        if self._sender is not None:
            self._sender.deadline = deadline

    def close(self) -> None:
        """Close for good: the sender sends what is queued and closes the socket, within
        ``exit_timeout`` (or by the deadline); what is left then is counted as dropped. Sends
        after this are counted as dropped."""
        self._closed = True
        if self._deadline is None:
            self.set_deadline(time.monotonic() + self.settings.exit_timeout)
        thread = self._thread
        if thread is None:
            self.count_drops(self._discard_queue())
            return
        self.queue.put(STOP)
        if thread is not threading.current_thread():
            thread.join(max(0.0, self._deadline - time.monotonic()))

    def forget_after_fork(self) -> None:
        """In a forked child: forget the parent's queue, thread and socket (they are the
        parent's to close)."""
        claim = self._claim
        self._reset()
        self._claim = claim
        claim.release(forked=True)

    def reconfigure(self, settings: Settings) -> None:
        """Close (within ``exit_timeout``); the next send starts afresh with ``settings``."""
        self.close()
        claim = self._claim
        claim.release()
        counts = self.sent, self.dropped_total, self.reported_drops, self._warned
        self.settings = settings
        self._reset()
        self._claim = claim
        self.sent, self.dropped_total, self.reported_drops, self._warned = counts

    def warn_once(self, message: str) -> None:
        """Log the first problem; later ones are only counted."""
        if not self._warned:
            self._warned = True
            import logging

            logging.getLogger("probe").warning("hotprobe: %s (further errors are counted)", message)


def _import_for_sender() -> None:
    """Import what the sender thread uses, in the thread that starts it. A child forked
    while another thread imports a module inherits that module's import lock, held for
    ever; the program's own thread is where its fork cannot fall inside our import."""
    import zmq
    import zmq.utils.monitor  # noqa: F401

    import probe._curve  # noqa: F401


def _is_endpoint(endpoint: str) -> bool:
    """True for the transports a probe can connect with; anything else would fail in libzmq
    (which says so only when the sender thread connects)."""
    return endpoint.startswith(("tcp://", "ipc://", "inproc://", "tipc://", "vmci://"))
