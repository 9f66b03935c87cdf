"""Watching who connects: libzmq cuts off a second PAIR peer without a word, drops a message
over its size limit by disconnecting its sender, and refuses a peer whose handshake fails (no
CURVE, the wrong keys). A socket monitor sees all three; this says so and counts."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import zmq
from zmq.utils.monitor import recv_monitor_message

from collector.pipeline.receive import PAIR, SOCKET_LIMIT_FACTOR

log = logging.getLogger("collector")
#: How often the monitor thread looks at its stop flag (it bounds how long stopping takes).
POLL_MS = 50

_EVENTS = (
    zmq.EVENT_ACCEPTED
    | zmq.EVENT_HANDSHAKE_SUCCEEDED
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
    | zmq.EVENT_DISCONNECTED
)
#: A client without CURVE often sees the mismatch first and hangs up: the collector then
#: sees only the connection break during the handshake.
HUNG_UP = "the peer hung up during the handshake (no CURVE, or not a hotprobe client?)"
_PROTOCOL_ERRORS = {
    zmq.PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH: "CURVE is used on one side only",
    zmq.PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC: "its handshake does not decrypt (a wrong server key?)",
}


@dataclass
class _Watched:
    """One bound socket's connections, by file descriptor. libzmq reports a handshake's
    outcome without its descriptor, so it is given to the oldest connection still shaking
    hands: exact when handshakes end in the order they began (one at a time, as a rule), best
    effort when they overtake each other. Each descriptor leaves with its own disconnect."""

    kind: str
    endpoint: str
    fan_in: str
    monitor: zmq.Socket
    handshaking: list[int] = field(default_factory=list)
    peers: set[int] = field(default_factory=set)  # handshake done: sending
    refused: set[int] = field(default_factory=set)  # handshake failed: about to disconnect

    def handshake_done(self, into: set[int]) -> None:
        """The oldest connection shaking hands moves ``into`` peers or refused."""
        if self.handshaking:
            into.add(self.handshaking.pop(0))


class PeerMonitor:
    """A thread reading the monitor sockets of the collector's bound sockets.

    ``sockets`` are ``(socket, kind, endpoint, fan_in_endpoint)``; ``curve`` says they are
    CURVE servers, which makes a connection broken during its handshake a refusal. Create the
    monitor in the thread that owns the sockets, ``start`` it, and ``stop`` it before closing
    them."""

    def __init__(
        self,
        sockets: list[tuple[zmq.Socket, str, str, str]],
        max_message_size: int,
        curve: bool = False,
    ) -> None:
        self.pair_peers_cut_off = 0  # second processes connected to a PAIR endpoint
        self.refused = 0  # connections refused at the handshake: a key not allowed, no CURVE
        self._reported: set[tuple[str, str]] = set()  # (endpoint, reason) logged once
        self.max_message_size = max_message_size
        self.curve = curve
        self._sockets = [sock for sock, *_ in sockets]
        self._watched = {}
        self._poller = zmq.Poller()
        for sock, kind, endpoint, fan_in in sockets:
            monitor = sock.get_monitor_socket(_EVENTS)
            self._watched[monitor] = _Watched(kind, endpoint, fan_in, monitor)
            self._poller.register(monitor, zmq.POLLIN)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peer-monitor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop watching; the monitor sockets are closed by the thread."""
        self._stopping.set()
        self._thread.join(timeout)
        for sock in self._sockets:
            sock.disable_monitor()

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                for monitor, _ in self._poller.poll(POLL_MS):
                    self._handle(self._watched[monitor], recv_monitor_message(monitor))
        finally:
            for watched in self._watched.values():
                watched.monitor.close(linger=0)

    def _handle(self, watched: _Watched, message: dict) -> None:
        event, value = message["event"], message["value"]  # a file descriptor, or an error
        if event == zmq.EVENT_ACCEPTED:
            watched.handshaking.append(value)
        elif event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            if watched.kind == PAIR and watched.peers:
                self.pair_peers_cut_off += 1
                log.warning(
                    "a second process connected to the PAIR endpoint %s, which has one peer "
                    "already: libzmq drops its messages without a word. Connect every process "
                    "but one with PUSH to the fan-in endpoint %s (the probe's socket='auto' "
                    "does this)",
                    watched.endpoint,
                    watched.fan_in,
                )
            watched.handshake_done(into=watched.peers)
        elif event == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
            self.refused += 1  # logged with the peer's address by collector.curve.server
            watched.handshake_done(into=watched.refused)
        elif event == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL:
            watched.handshake_done(into=watched.refused)
            self._refuse(watched, _PROTOCOL_ERRORS.get(value, f"ZMTP protocol error {value:#x}"))
        elif event == zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL:
            # After a refusal, libzmq often reports the same connection breaking: that one is
            # counted already. (Best effort: libzmq names no connection here.)
            if watched.handshaking and not watched.refused:
                watched.handshake_done(into=watched.refused)
                if self.curve:
                    self._refuse(watched, HUNG_UP)
        elif event == zmq.EVENT_DISCONNECTED:
            if value in watched.handshaking:
                watched.handshaking.remove(value)  # gone before its handshake ended
            elif value in watched.refused:
                watched.refused.discard(value)
            elif value in watched.peers:
                watched.peers.discard(value)
                if watched.kind == PAIR:
                    log.info(
                        "peer on %s disconnected (it closed, or sent a message over %d bytes, "
                        "twice --max-message-size, which ZeroMQ refuses)",
                        watched.endpoint,
                        SOCKET_LIMIT_FACTOR * self.max_message_size,
                    )

    def _refuse(self, watched: _Watched, reason: str) -> None:
        """Count a refused connection; log the first per endpoint and reason."""
        self.refused += 1
        if (watched.endpoint, reason) not in self._reported:
            self._reported.add((watched.endpoint, reason))
            log.warning(
                "refused a connection on %s: %s (libzmq does not name the peer; further such "
                "refusals are only counted)",
                watched.endpoint,
                reason,
            )
