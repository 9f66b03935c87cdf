"""Receiving: bound PAIR sockets (the seed's pattern) and PULL fan-in sockets, one Poller."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import zmq

log = logging.getLogger("collector")


class Receiver:
    """Owns the collector's sockets. ``receive`` yields raw messages without blocking long."""

    def __init__(
        self, pair_endpoints: list[str], fan_in_endpoints: list[str], max_message_size: int
    ) -> None:
        self.context = zmq.Context()
        self.poller = zmq.Poller()
        self.sockets: list[zmq.Socket] = []
        self.endpoints: list[tuple[str, str]] = []
        for kind, endpoints in ((zmq.PAIR, pair_endpoints), (zmq.PULL, fan_in_endpoints)):
            for endpoint in endpoints:
                sock = self.context.socket(kind)
                sock.setsockopt(zmq.LINGER, 0)
                sock.setsockopt(zmq.RCVHWM, 100_000)
                sock.setsockopt(zmq.MAXMSGSIZE, max_message_size)
                sock.bind(endpoint)
                self.sockets.append(sock)
                self.endpoints.append(("pair" if kind == zmq.PAIR else "fan-in", endpoint))
                self.poller.register(sock, zmq.POLLIN)

    def receive(self, timeout_ms: int, max_batch: int = 1000) -> Iterator[bytes]:
        """Messages ready within ``timeout_ms``, at most ``max_batch`` per socket per call."""
        for sock, _ in self.poller.poll(timeout_ms):
            for _ in range(max_batch):
                try:
                    yield sock.recv(zmq.NOBLOCK)
                except zmq.Again:
                    break

    def close(self) -> None:
        """Stop receiving: unsent peer messages stay with the peers."""
        for sock in self.sockets:
            sock.close(linger=0)
        self.context.term()
