"""Free loopback ports for a collector (the endpoint rules themselves are ``probe.protocol``'s)."""

from __future__ import annotations

import random
import socket
from pathlib import Path

_LOWEST_PORT = 10_000  # above the ports services are usually given
_FEWEST_PORTS = 1000  # to draw from below the ephemeral range


def free_tcp_endpoint() -> str:
    """A loopback endpoint whose port, and the next one (fan-in), are free now.

    The port is drawn below the kernel's range of ephemeral ports, which outgoing
    connections take their source ports from: one of those could otherwise take the port
    between this call and the bind that follows it."""
    low = _ephemeral_ports_start()
    for _ in range(50):
        if low - 1 - _LOWEST_PORT >= _FEWEST_PORTS:
            port = random.randrange(_LOWEST_PORT, low - 1)
        else:  # an ephemeral range that takes (nearly) every port: the kernel's choice
            port = _kernel_port()
        if _bindable(port) and _bindable(port + 1):
            return f"tcp://127.0.0.1:{port}"
    raise RuntimeError("no free pair of loopback ports")


def _ephemeral_ports_start() -> int:
    """The first port of the kernel's ephemeral range (Linux's setting; else IANA's 49152)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 49152


def _kernel_port() -> int:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        return probe_socket.getsockname()[1]


def _bindable(port: int) -> bool:
    with socket.socket() as probe_socket:
        try:
            probe_socket.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
