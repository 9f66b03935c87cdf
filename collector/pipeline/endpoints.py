"""Free loopback ports for a collector (the endpoint rules themselves are ``probe.protocol``'s)."""

from __future__ import annotations

import socket


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
