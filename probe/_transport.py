"""The one socket per process: non-blocking sends, drop counting, fork safety, bounded exit.

Sockets are not thread-safe, so every send takes a lock; sends are rare (throttled), so the
lock is never contended on a hot path. No wait is unbounded: the lock is taken with a timeout
(a send that cannot get it is counted as dropped), the socket never blocks, and it closes with
a bounded linger. After ``fork`` the child forgets its parent's context and socket and opens
its own, through the fan-in endpoint.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from probe._claim import PairClaim
from probe._settings import Settings
from probe._wire import encode
from probe.protocol import is_loopback

SEND_HWM = 10_000


class Transport:
    """Sends encoded events; never blocks and never raises into the caller.

    ``on_open`` is called once per process, when its socket is first opened."""

    def __init__(self, settings: Settings, on_open: Callable[[], None] | None = None) -> None:
        self.settings = settings
        self.on_open = on_open
        self.lock = threading.Lock()
        self.sent = 0
        self.dropped = 0
        self.dropped_total = 0
        self.endpoint: str | None = None
        self.kind: str | None = None
        self._context: Any = None
        self._socket: Any = None
        self._broken = False
        self._closed = False
        self._deadline: float | None = None
        self._warned = False
        self._claim = PairClaim()
        self._sequences: dict[str, int] = {}

    def send(self, event: dict[str, Any]) -> bool:
        """Stamp ``seq`` (per stream name) and ``dropped``, encode and send without blocking.

        Returns True when the message was queued."""
        if not self.lock.acquire(timeout=self._wait()):
            return self.count_drop()
        try:
            name = event["probe"]
            seq = event["seq"] = self._sequences.get(name, 0)
            self._sequences[name] = seq + 1
            event["dropped"] = self.dropped
            sock = self._socket if self._socket is not None else self._open()
            if sock is None:
                return self.count_drop()
            try:
                sock.send(encode(event), flags=1)  # zmq.NOBLOCK
            except Exception as exc:  # zmq.Again when full, ZMQError when closed
                if type(exc).__name__ != "Again":
                    self.warn_once(f"send failed: {exc!r}")
                return self.count_drop()
            self.sent += 1
            self.dropped = 0
            return True
        finally:
            self.lock.release()

    def count_drop(self) -> bool:
        """Count one event that could not be sent; returns False."""
        self.dropped += 1
        self.dropped_total += 1
        return False

    def _choose(self) -> tuple[str, str]:
        s = self.settings
        kind = s.socket if s.socket in ("pair", "push") else None
        if kind is None:
            kind = "pair" if is_loopback(s.endpoint) and self._claim.acquire(s.endpoint) else "push"
        return kind, (s.endpoint if kind == "pair" else s.fan_in_endpoint)

    def _open(self) -> Any:
        if self._broken or self._closed:
            return None
        try:
            keys = self._curve_keys()
        except Exception as exc:  # KeyFileError, or anything unforeseen: never into a send
            self._broken = True
            self.warn_once(f"CURVE keys unusable, sending nothing: {exc}")
            return None
        context = None
        kind, endpoint = "push", self.settings.fan_in_endpoint
        try:
            import zmq

            kind, endpoint = self._choose()
            context = zmq.Context()
            sock = context.socket(zmq.PAIR if kind == "pair" else zmq.PUSH)
            sock.setsockopt(zmq.LINGER, int(self.settings.exit_timeout * 1000))
            sock.setsockopt(zmq.SNDHWM, SEND_HWM)
            if keys is not None:
                from probe._curve import secure

                secure(sock, keys)
            sock.connect(endpoint)
        except Exception as exc:
            self._broken = True
            if context is not None:
                context.destroy(linger=0)
            self._claim.release()
            self.warn_once(f"cannot connect to {endpoint!r}: {exc!r}")
            return None
        self._context, self._socket, self.kind, self.endpoint = context, sock, kind, endpoint
        if self.on_open is not None:
            try:
                self.on_open()
            except Exception as exc:
                self.warn_once(f"cannot install exit hooks: {exc!r}")
        return sock

    def _curve_keys(self) -> tuple[bytes, bytes, bytes] | None:
        """The CURVE keys to connect with, or None without a server key. Raises ValueError."""
        s = self.settings
        if not s.server_key:
            if s.client_key:
                self.warn_once("client_key is set but server_key is not: sending unencrypted")
            return None
        from probe._curve import client_keys

        return client_keys(s.server_key, s.client_key)

    def _wait(self) -> float:
        """How long to wait for the lock: ``exit_timeout``, or what is left before the deadline."""
        if self._deadline is None:
            return self.settings.exit_timeout
        return max(0.0, self._deadline - time.monotonic())

    def set_deadline(self, deadline: float) -> None:
        """From now on, no wait (for the lock, or for unsent messages) lasts past ``deadline``
        (a ``time.monotonic()`` value)."""
        self._deadline = deadline

    def close(self) -> None:
        """Close for good, waiting at most ``exit_timeout`` (or until the deadline) for unsent
        messages. Sends after this are counted as dropped. If another thread (or the code a
        signal handler interrupted) holds the socket past that, the socket is left to the
        process's exit rather than closed under it."""
        self._closed = True
        if not self.lock.acquire(timeout=self._wait()):
            return
        try:
            context, self._context, self._socket = self._context, None, None
            if context is not None:
                with contextlib.suppress(Exception):
                    context.destroy(linger=int(self._wait() * 1000))
        finally:
            self.lock.release()

    def forget_after_fork(self) -> None:
        """In a forked child: drop the parent's socket unclosed (it is the parent's to close)."""
        self.lock = threading.Lock()
        self._context = self._socket = None
        self.endpoint = self.kind = None
        self.sent = self.dropped = self.dropped_total = 0
        self._sequences = {}
        self._closed = False
        self._deadline = None
        self._claim.release(forked=True)

    def reconfigure(self, settings: Settings) -> None:
        """Close the socket; the next send opens one with ``settings``."""
        self.close()
        with self.lock:
            self.settings = settings
            self._broken = self._closed = False
            self._deadline = None
            self._claim.release()

    def warn_once(self, message: str) -> None:
        """Log the first problem; later ones are only counted."""
        if not self._warned:
            self._warned = True
            import logging

            logging.getLogger("probe").warning("hotprobe: %s (further errors are counted)", message)
