"""The one thread per process that owns the socket: it sends what the program's threads queued.

The program's threads only queue encoded events (``Transport.send``); this thread stamps ``seq``
and ``dropped``, waits for a peer and sends. The socket has ``IMMEDIATE`` set, so ZeroMQ takes a
message only onto a connection whose handshake succeeded: until then events wait here, counted
as queued, not sent. A monitor socket tells when a handshake succeeds or fails.

A bound PAIR socket keeps its first peer and ignores the others without a word, so on PAIR the
sender says hello (``probe.protocol.PAIR_HELLO``) before its first event on a connection, and
the collector answers it. A PAIR connection that hears nothing within ``CUT_OFF_AFTER`` seconds
of its first event is taken as cut off: the sender moves to the fan-in endpoint and sends again
what went unanswered there.
"""

from __future__ import annotations

import queue
import time
from collections import OrderedDict, deque
from typing import TYPE_CHECKING, Any

from probe._settings import Settings
from probe.protocol import PAIR_HELLO, fan_in_endpoint

if TYPE_CHECKING:
    from probe._transport import Transport

SEND_HWM = 10_000
#: Seconds a fresh PAIR connection may go unanswered before the probe moves to the fan-in.
CUT_OFF_AFTER = 2.0
#: Seconds after the first queued event without any peer accepting one: then warn, once.
WARN_AFTER = 5.0
#: How many stream names keep their ``seq``; the least recently used one beyond is forgotten.
NAMES_KEPT = 4096
POLL_MS = 50  # while events wait for a peer
IDLE_S = 1.0  # with nothing to send: how often the connection's state is read
#: Sending stops this long before the exit deadline, so that counting and reporting what was
#: left, and closing the socket, are done before the program's exit stops waiting.
WRAP_UP_S = 0.05
STOP = object()  # queued by ``Transport.close``: send what is queued, then close


class Sequences:
    """``seq`` per stream name, for at most ``NAMES_KEPT`` names (the least recently used
    name is forgotten and starts again at 0). Used by the sender thread only."""

    def __init__(self, kept: int = NAMES_KEPT) -> None:
        self.kept = kept
        self._next: OrderedDict[str, int] = OrderedDict()

    def take(self, name: str) -> int:
        """The next ``seq`` of ``name``."""
        seq = self._next.pop(name, 0)
        self._next[name] = seq + 1
        if len(self._next) > self.kept:
            self._next.popitem(last=False)
        return seq

    def __len__(self) -> int:
        return len(self._next)


class Sender:
    """Sends the events of one ``Transport`` until it is stopped; never raises."""

    def __init__(
        self,
        transport: Transport,
        events: queue.SimpleQueue,
        settings: Settings,
        kind: str,
        endpoint: str,
    ) -> None:
        self.transport = transport
        self.queue = events
        self.deadline: float | None = None  # set by ``Transport.close``
        self.settings = settings
        self.kind = kind
        self.endpoint = endpoint
        self.connected = False
        self.handshake_failures = 0
        self.backlog: deque[bytes] = deque()  # encoded, stamped, not yet taken by ZeroMQ
        self._sequences = Sequences()
        self._context: Any = None
        self._socket: Any = None
        self._monitor: Any = None
        self._poller: Any = None
        self._accepted_once = False
        self._first_queued: float | None = None
        self._answered = kind != "pair"  # PAIR: the collector has answered this connection
        self._unanswered: list[bytes] = []  # PAIR: sent on this connection, not yet answered
        self._unanswered_since: float | None = None
        self._stopping = False

    @property
    def unanswered(self) -> int:
        """Events sent on a PAIR connection its collector has not answered yet."""
        return len(self._unanswered)

    # -- the thread ------------------------------------------------------------------------
    def run(self) -> None:
        _leave_signals_to_the_program()
        try:
            self._open()
            self._loop()
        except Exception as exc:  # never let the thread die with a traceback on stderr
            self.transport.broken = True
            self.transport.warn_once(f"cannot send to {self.endpoint!r}: {exc!r}")
        finally:
            abandoned = len(self.backlog) + self._drain_queue()
            if abandoned:
                self.transport.count_drops(abandoned)
                if not self._accepted_once:
                    self.transport.warn_once(self._nobody_accepts(abandoned, at_exit=True))
            self.backlog.clear()
            self._close()

    def _loop(self) -> None:
        q = self.queue
        while True:
            if self.deadline is not None and time.monotonic() >= self.deadline - WRAP_UP_S:
                return
            if not self.backlog:
                try:
                    item = q.get(timeout=0 if self._stopping else self._idle_timeout())
                except queue.Empty:
                    if self._stopping:
                        return
                    self._service(0)
                    self._check_progress()
                    continue
                if item is STOP:
                    self._stopping = True
                    continue
                self.backlog.append(self._stamp(*item))
            if self._service(self._poll_ms()):
                self._send_ready(q)
            self._check_progress()

    def _send_ready(self, q: queue.SimpleQueue) -> None:
        """Send the backlog, then the queue, until ZeroMQ is full or nothing is left."""
        send, noblock = self._socket.send, 1  # zmq.NOBLOCK
        while True:
            if not self.backlog:
                try:
                    item = q.get_nowait()
                except queue.Empty:
                    return
                if item is STOP:
                    self._stopping = True
                    return
                self.backlog.append(self._stamp(*item))
            message = self.backlog[0]
            try:
                if not self._answered and self._unanswered_since is None:
                    send(PAIR_HELLO, flags=noblock)  # first on this connection: ask for an answer
                send(message, flags=noblock)
            except Exception as exc:  # zmq.Again: no connection or full, try again later
                if type(exc).__name__ != "Again":
                    raise
                return
            self.backlog.popleft()
            self.transport.sent += 1
            self._accepted_once = True
            if not self._answered:
                self._unanswered.append(message)
                if self._unanswered_since is None:
                    self._unanswered_since = time.monotonic()

    def _stamp(self, name: str, body: bytes) -> bytes:
        seq = self._sequences.take(name)
        transport = self.transport
        drops = transport.dropped_total
        since, transport.reported_drops = drops - transport.reported_drops, drops
        if self._first_queued is None:
            self._first_queued = time.monotonic()
        return b'{"seq":%d,"dropped":%d,' % (seq, since) + body[1:]

    def _idle_timeout(self) -> float:
        waiting = self._unanswered_since is not None or (
            self._first_queued is not None and not self._accepted_once
        )
        return POLL_MS / 1000 if waiting else IDLE_S

    def _time_left(self) -> float | None:
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - WRAP_UP_S - time.monotonic())

    def _poll_ms(self) -> int:
        left = self._time_left()
        return POLL_MS if left is None else min(POLL_MS, int(left * 1000))

    def _drain_queue(self) -> int:
        count = 0
        while True:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                return count
            count += item is not STOP

    # -- the socket ------------------------------------------------------------------------
    def _open(self) -> None:
        import zmq

        keys = self.transport.curve_keys(self.settings)
        self._context = zmq.Context()
        sock = self._context.socket(zmq.PAIR if self.kind == "pair" else zmq.PUSH)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.SNDHWM, SEND_HWM)
        sock.setsockopt(zmq.IMMEDIATE, 1)
        if keys is not None:
            from probe._curve import secure

            secure(sock, keys)
        self._monitor = sock.get_monitor_socket(
            zmq.EVENT_HANDSHAKE_SUCCEEDED
            | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
            | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
            | zmq.EVENT_HANDSHAKE_FAILED_AUTH
            | zmq.EVENT_DISCONNECTED
        )
        sock.connect(self.endpoint)
        self._socket = sock
        self._poller = zmq.Poller()
        self._poller.register(self._monitor, zmq.POLLIN)
        self._poller.register(sock, zmq.POLLOUT | (zmq.POLLIN if self.kind == "pair" else 0))

    def _close(self) -> None:
        import contextlib

        context, self._context = self._context, None
        if context is None:
            return
        with contextlib.suppress(Exception):
            if self._monitor is not None:
                self._socket.disable_monitor()
                self._monitor.close(linger=0)
            left = self._time_left()
            linger = self.settings.exit_timeout if left is None else left
            self._socket.close(linger=int(max(0.0, linger) * 1000))
            context.term()
        self._socket = self._monitor = self._poller = None
        self.connected = False

    def _service(self, timeout_ms: int) -> bool:
        """Read monitor events and answers for up to ``timeout_ms``; True when ZeroMQ would
        take a message now."""
        import zmq

        writable = False
        for sock, flags in self._poller.poll(timeout_ms):
            if sock is self._monitor:
                self._read_monitor()
            else:
                if flags & zmq.POLLIN:
                    self._read_answers()
                writable = writable or bool(flags & zmq.POLLOUT)
        return writable

    def _read_monitor(self) -> None:
        import zmq
        from zmq.utils.monitor import recv_monitor_message

        while self._monitor.poll(0):
            event = recv_monitor_message(self._monitor)["event"]
            if event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                self.connected = True
            elif event == zmq.EVENT_DISCONNECTED:
                self.connected = False
                self._answered = self.kind != "pair"  # the next connection must answer anew
                self._unanswered, self._unanswered_since = [], None  # lost with this one
            else:
                self.handshake_failures += 1

    def _read_answers(self) -> None:
        while True:
            try:
                self._socket.recv(flags=1)  # zmq.NOBLOCK
            except Exception:
                break
        self._answered = True
        self._unanswered, self._unanswered_since = [], None

    def _check_progress(self) -> None:
        """Move off a PAIR connection nobody answers; warn once if nobody accepts anything."""
        now = time.monotonic()
        since = self._unanswered_since
        if since is not None and now - since > CUT_OFF_AFTER:
            self._move_to_fan_in()
        first = self._first_queued
        if first is not None and not self._accepted_once and now - first > WARN_AFTER:
            self.transport.warn_once(self._nobody_accepts(self.transport.queued))
            self._first_queued = None  # warned: no need to look again

    def _move_to_fan_in(self) -> None:
        fan_in = self.settings.fan_in or fan_in_endpoint(self.settings.endpoint)
        self.transport.warn_once(
            f"the PAIR endpoint {self.endpoint} has another peer (a client that is not a "
            f"hotprobe probe?) and drops this process's events: sending to {fan_in} instead"
        )
        again = self._unanswered
        self._unanswered, self._unanswered_since, self._answered = [], None, True
        self.transport.sent -= len(again)
        self.backlog.extendleft(reversed(again))
        self._close()
        self.kind, self.endpoint = "push", fan_in
        self.transport.moved(self.kind, self.endpoint)
        self._open()

    def _nobody_accepts(self, waiting: int, at_exit: bool = False) -> str:
        why = "no collector listening?"
        if self.handshake_failures:
            why = (
                f"{self.handshake_failures} handshakes failed: is the server key the "
                "collector's public key, and is this client's key allowed?"
            )
        if at_exit:
            return f"{waiting} events never accepted by {self.endpoint} ({why}); dropped at exit"
        return (
            f"no peer at {self.endpoint} has accepted an event after {WARN_AFTER:.0f} s "
            f"({why}); {waiting} events wait"
        )


def _leave_signals_to_the_program() -> None:
    """Block SIGINT and SIGTERM in this thread, and so in ZeroMQ's threads, which start from it
    and inherit its mask: the kernel then hands them to the program's own threads. A signal
    taken here would interrupt the final flush (``context.term``) and lose what it still held."""
    import contextlib
    import signal

    with contextlib.suppress(AttributeError, ValueError, OSError):  # no POSIX signal masks
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
