"""Receiving: bound PAIR sockets (one peer each) and PULL fan-in sockets, under one Poller."""

from __future__ import annotations

import contextlib
import logging

import zmq

from collector.curve.server import CurveServer
from collector.pipeline.event import Rejected
from probe.protocol import PAIR_ANSWER, PAIR_HELLO

log = logging.getLogger("collector")

PAIR = "pair"
FAN_IN = "fan-in"


#: libzmq refuses messages over this many times ``max_message_size`` without reading them,
#: disconnecting the sender; the collector sees, counts and rejects those in between.
SOCKET_LIMIT_FACTOR = 2
#: The bytes of an oversized message kept in the dead-letter file.
OVERSIZED_PREFIX = 1024


class BindError(OSError):
    """An endpoint that cannot be bound: in use, or not a ZeroMQ endpoint."""


def take_oversized(raws: list[bytes], max_message_size: int) -> list[Rejected]:
    """Remove the messages over ``max_message_size`` from ``raws`` (in place) and return them
    rejected, each with its size in the reason and only its first bytes kept."""
    rejected = []
    kept = []
    for raw in raws:
        if len(raw) > max_message_size:
            reason = (
                f"message of {len(raw)} bytes is over --max-message-size {max_message_size}; "
                f"raw_base64 holds its first {min(len(raw), OVERSIZED_PREFIX)} bytes"
            )
            rejected.append(Rejected(reason, raw[:OVERSIZED_PREFIX]))
        else:
            kept.append(raw)
    raws[:] = kept
    return rejected


class Receiver:
    """Owns the collector's sockets. ``receive_batch`` returns raw messages without blocking
    longer than its timeout. A probe's hello on a PAIR socket (``probe.protocol.PAIR_HELLO``)
    is answered, not returned.

    Messages over ``max_message_size`` are returned too, for the collector to reject and
    count (``take_oversized``); ``MAXMSGSIZE`` is set on every socket to
    ``SOCKET_LIMIT_FACTOR`` times that, so libzmq never takes in more: it drops a larger
    message and disconnects the peer that sent it (indistinguishable, for the collector, from
    a peer that closed); everyone else keeps sending. With ``curve``, every socket is a CURVE
    server and only the clients it allows get in."""

    def __init__(
        self,
        pair_endpoints: list[str],
        fan_in_endpoints: list[str],
        max_message_size: int,
        curve: CurveServer | None = None,
    ) -> None:
        self.context = zmq.Context()
        self.curve = curve
        if curve is not None:
            curve.start(self.context)
        self.poller = zmq.Poller()
        self.sockets: list[zmq.Socket] = []
        self._pair_sockets: set[zmq.Socket] = set()
        self.endpoints: list[tuple[str, str]] = []
        for kind, endpoints in ((zmq.PAIR, pair_endpoints), (zmq.PULL, fan_in_endpoints)):
            for endpoint in endpoints:
                sock = self.context.socket(kind)
                try:
                    sock.setsockopt(zmq.LINGER, 0)
                    sock.setsockopt(zmq.RCVHWM, 100_000)
                    sock.setsockopt(zmq.MAXMSGSIZE, SOCKET_LIMIT_FACTOR * max_message_size)
                    if curve is not None:
                        curve.secure(sock)
                    sock.bind(endpoint)
                except BaseException as exc:
                    sock.close(linger=0)
                    self.close()
                    if not isinstance(exc, zmq.ZMQError):
                        raise
                    raise BindError(
                        f"cannot bind {endpoint}: {exc} "
                        "(endpoints look like tcp://127.0.0.1:5556 or ipc:///tmp/hotprobe)"
                    ) from None
                self.sockets.append(sock)
                if kind == zmq.PAIR:
                    self._pair_sockets.add(sock)
                self.endpoints.append((PAIR if kind == zmq.PAIR else FAN_IN, endpoint))
                self.poller.register(sock, zmq.POLLIN)

    def receive_batch(self, timeout_ms: int, max_batch: int = 500) -> list[bytes]:
        """Messages ready within ``timeout_ms``: at most ``max_batch`` per socket per call."""
        batch: list[bytes] = []
        append, noblock = batch.append, zmq.NOBLOCK
        for sock, _ in self.poller.poll(timeout_ms):
            first, recv = len(batch), sock.recv
            try:
                for _ in range(max_batch):
                    append(recv(noblock))
            except zmq.Again:
                pass
            if sock in self._pair_sockets and PAIR_HELLO in batch[first:]:
                batch[first:] = [raw for raw in batch[first:] if raw != PAIR_HELLO]
                with contextlib.suppress(zmq.ZMQError):  # a peer that stopped reading
                    sock.send(PAIR_ANSWER, noblock)
        return batch

    def close(self) -> None:
        """Stop receiving: unsent peer messages stay with the peers."""
        for sock in self.sockets:
            sock.close(linger=0)
        if self.curve is not None:
            self.curve.stop()
        self.context.term()
