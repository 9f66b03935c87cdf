"""The run's end: its ``run`` event with ``phase: end``, sent to the collector like any
process's event (through the fan-in), and a wait until the collector has it."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from typing import Any

import orjson

from probe.protocol import PROTOCOL_VERSION, RUN_STREAM, utc_timestamp

#: How long the end event may take to reach the collector (seconds).
ARRIVAL_TIMEOUT = 5.0
#: Quiet time after it, for whatever was still in flight.
SETTLE = 0.05


def run_end_event(
    run_id: str, argv: list[str], status: int, signal_name: str | None, duration: float
) -> dict[str, Any]:
    """The event: the command, where it ran, its exit status, the signal, the duration."""
    try:
        cwd: str | None = os.getcwd()
    except OSError:  # the working directory was removed
        cwd = None
    duration = round(duration, 6)
    return {
        "v": PROTOCOL_VERSION,
        "timestamp": utc_timestamp(),
        "probe": RUN_STREAM,
        "event": "run",
        "n": 0,
        "total": None,
        "unit": None,
        "elapsed": duration,
        "rate": None,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "run": run_id,
        "seq": 0,
        "dropped": 0,
        "info": {
            "phase": "end",
            "argv": argv,
            "cwd": cwd,
            "status": status,
            "signal": signal_name,
            "duration": duration,
        },
    }


def send_and_wait(event: dict[str, Any], fan_in: str, received: Callable[[], int]) -> bool:
    """Send ``event`` to ``fan_in``; wait until ``received()`` (the collector's count of
    messages) has grown, then until it stops growing. False if it never grew in time."""
    import zmq

    before = received()
    context = zmq.Context()
    try:
        sock = context.socket(zmq.PUSH)
        sock.connect(fan_in)
        sock.send(orjson.dumps(event))
    finally:
        context.destroy(linger=int(ARRIVAL_TIMEOUT * 1000))
    if not wait_until(lambda: received() > before, ARRIVAL_TIMEOUT):
        return False
    seen = -1
    while seen != received():
        seen = received()
        time.sleep(SETTLE)
    return True


def wait_until(predicate: Callable[[], object], timeout: float, interval: float = 0.01) -> bool:
    """Poll ``predicate`` until it is true (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True
