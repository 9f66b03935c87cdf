"""Bytes to events: orjson first, the seed's looser forms accepted, the unreadable rejected."""

from __future__ import annotations

from datetime import datetime, timezone

import orjson

from collector.event import Event, Rejected
from collector.timestamps import BadTimestamp, isoformat, parse_timestamp

_UTC = timezone.utc


def decode(raw: bytes, arrival: float) -> Event | Rejected:
    """Decode one message received at ``arrival`` (POSIX seconds).

    A JSON object keeps its fields; a missing ``timestamp`` becomes the arrival time, and a
    timestamp that is not ISO 8601 with an offset is rewritten to that form (naive times are
    taken as UTC; the original is kept in ``timestamp_raw``). Any other JSON value, or text
    that is not JSON, becomes ``{"timestamp": <arrival>, "message": <value>}``. Invalid UTF-8
    and unreadable timestamps are rejected with the reason.
    """
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Rejected(f"invalid UTF-8: {exc.reason} at byte {exc.start}", raw)
    if not isinstance(value, dict):
        return Event({"timestamp": _iso(arrival), "message": value}, arrival)
    stamp = value.get("timestamp")
    if stamp is None:
        value["timestamp"] = _iso(arrival)
        return Event(value, arrival)
    if isinstance(stamp, str):
        try:
            moment = datetime.fromisoformat(stamp)
        except ValueError:
            pass
        else:
            if moment.tzinfo is not None:
                return Event(value, moment.timestamp())
    try:
        moment = parse_timestamp(stamp)  # naive times are read as UTC
        time = moment.timestamp()
    except (BadTimestamp, OverflowError, ValueError, OSError) as exc:
        return Rejected(str(exc), raw)
    value["timestamp_raw"] = stamp
    value["timestamp"] = isoformat(moment)
    return Event(value, time)


def _iso(moment: float) -> str:
    return isoformat(datetime.fromtimestamp(moment, _UTC))
