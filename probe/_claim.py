"""Which process on this machine is the PAIR peer of an endpoint.

A bound PAIR socket accepts exactly one peer; libzmq cuts the others off without a word. So the
first process to claim an endpoint uses PAIR and every other process the fan-in endpoint. The
claim is an abstract Unix socket name on Linux (no file, released by the kernel when its holder
dies) and an advisory ``flock`` on a file in the temporary directory elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from typing import Any


def _name(endpoint: str) -> str:
    import hashlib

    digest = hashlib.blake2s(endpoint.encode(), digest_size=12).hexdigest()
    return f"hotprobe-{os.getuid()}-{digest}"


def _bind_abstract(endpoint: str) -> Any:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind("\0" + _name(endpoint))
    except OSError:
        sock.close()
        return None
    return sock


def _lock_file(endpoint: str) -> Any:
    import fcntl
    import tempfile

    path = os.path.join(tempfile.gettempdir(), _name(endpoint) + ".lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


class PairClaim:
    """This process's claim on an endpoint's PAIR connection."""

    def __init__(self) -> None:
        self.handle: Any = None
        self.pid = 0

    def acquire(self, endpoint: str) -> bool:
        """True if this process holds (or now takes) the claim."""
        if self.handle is not None:
            return self.pid == os.getpid()
        if self.pid == -1:
            return False  # a forked child never takes over its parent's PAIR
        try:
            take = _bind_abstract if sys.platform.startswith("linux") else _lock_file
            handle = take(endpoint)
        except (ImportError, OSError):
            return True  # no way to coordinate: every process takes PAIR
        if handle is None:
            return False
        self.handle, self.pid = handle, os.getpid()
        return True

    def release(self, *, forked: bool = False) -> None:
        """Give the claim up (in a forked child: drop the inherited handle, claim nothing)."""
        if self.handle is not None:
            with contextlib.suppress(OSError):
                if isinstance(self.handle, int):
                    os.close(self.handle)
                else:
                    self.handle.close()
        self.handle = None
        self.pid = -1 if forked else 0
