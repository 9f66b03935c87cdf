"""An event's natural identity, for stores that can keep each event once.

Every event the sinks see has ``run``, ``host``, ``pid``, ``probe`` and ``seq`` (the probe
numbers each stream's events; the collector gives one to an event that comes without). Two
events with the same five values are the same event, so a store that keys its records by them
turns a replay (a retried batch, a spool replayed after a crash) into a no-op.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

#: The fields that together name one event.
IDENTITY_FIELDS = ("run", "host", "pid", "probe", "seq")


def event_id(event: dict[str, Any]) -> str:
    """24 hex digits derived from the event's identity fields (a missing field counts as
    null): the same for every copy of the event, different for different events."""
    identity = [event.get(name) for name in IDENTITY_FIELDS]
    encoded = orjson.dumps(identity, default=repr, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(encoded, digest_size=12).hexdigest()
