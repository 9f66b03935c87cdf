"""Endpoint rules shared by the collector's commands (the probe applies the same fan-in rule)."""

from __future__ import annotations

import socket

_LOOPBACK = ("tcp://127.", "tcp://localhost:", "tcp://[::1]:", "ipc://", "inproc://")


def fan_in_endpoint(endpoint: str) -> str:
    """The PULL endpoint paired with a PAIR endpoint: same host, next port (docs/protocol.md).

    ``tcp://host:5556`` -> ``tcp://host:5557``; ``ipc:///path`` -> ``ipc:///path.fan-in``.
    """
    if endpoint.startswith("tcp://"):
        head, _, port = endpoint.rpartition(":")
        if port.isdigit():
            return f"{head}:{int(port) + 1}"
    return endpoint + ".fan-in"


def is_loopback(endpoint: str) -> bool:
    """True for endpoints only this machine can reach."""
    return endpoint.startswith(_LOOPBACK)


def free_tcp_endpoint() -> str:
    """A loopback endpoint whose port, and the next one (fan-in), are free now."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
        with socket.socket() as second:
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return f"tcp://127.0.0.1:{port}"
    raise RuntimeError("no free pair of loopback ports")
