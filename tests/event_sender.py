"""Test events sent straight to a collector's PAIR endpoint, none dropped on the way."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone

import orjson
import zmq

from probe.protocol import PROTOCOL_VERSION


def make_events(count: int, run: str | None = None, probe: str = "load") -> list[dict]:
    """``count`` progress events of one stream, ``seq`` 0 .. count-1."""
    run = run or uuid.uuid4().hex
    now = datetime.now(timezone.utc).isoformat()
    return [
        {
            "v": PROTOCOL_VERSION,
            "timestamp": now,
            "probe": probe,
            "event": "progress",
            "n": i,
            "total": count,
            "host": "test",
            "pid": 1,
            "run": run,
            "seq": i,
            "dropped": 0,
            "data": {"i": i},
        }
        for i in range(count)
    ]


def send(endpoint: str, events: list[dict], per_second: float | None = None) -> None:
    """Blocking sends (a full queue waits, up to 30 s, rather than dropping), optionally paced."""
    context = zmq.Context()
    sock = context.socket(zmq.PAIR)
    sock.setsockopt(zmq.SNDTIMEO, 30_000)
    sock.setsockopt(zmq.LINGER, 30_000)
    sock.connect(endpoint)
    started = time.monotonic()
    try:
        for index, event in enumerate(events):
            sock.send(orjson.dumps(event))
            if per_second and index % 100 == 99:
                ahead = started + (index + 1) / per_second - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
    finally:
        sock.close()
        context.term()


def send_raw(endpoint: str, messages: list[bytes]) -> None:
    """Each message as it is, over PAIR, with blocking sends (none dropped on the way)."""
    context = zmq.Context()
    sock = context.socket(zmq.PAIR)
    sock.setsockopt(zmq.SNDTIMEO, 30_000)
    sock.setsockopt(zmq.LINGER, 30_000)
    sock.connect(endpoint)
    try:
        for message in messages:
            sock.send(message)
    finally:
        sock.close()
        context.term()
