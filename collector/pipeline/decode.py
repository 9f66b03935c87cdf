"""Bytes to events: orjson first, plain JSON values and text accepted, the unreadable rejected."""

from __future__ import annotations

import operator
from datetime import datetime, timezone
from typing import Any

import orjson

from collector.pipeline.event import Event, Rejected
from collector.pipeline.timestamps import BadTimestamp, isoformat, parse_timestamp

_UTC = timezone.utc
_loads = orjson.loads
_fromisoformat = datetime.fromisoformat
_timestamp_field = operator.itemgetter("timestamp")
_tzinfo = operator.attrgetter("tzinfo")
_posix = datetime.timestamp
_utc_suffix = operator.methodcaller("endswith", "+00:00")
_separator = operator.itemgetter(10)


class Batch:
    """Decoded messages in arrival order, as columns: ``fields[i]`` happened at ``times[i]``
    (POSIX seconds); ``rejected`` holds what could not be read."""

    __slots__ = ("fields", "rejected", "times")

    def __init__(self) -> None:
        self.fields: list[dict[str, Any]] = []
        self.times: list[float] = []
        self.rejected: list[Rejected] = []


def decode_batch(raws: list[bytes], arrival: float) -> Batch:
    """Decode messages that arrived at ``arrival`` (POSIX seconds); see ``decode``.

    A batch of nothing but the probe's own events (JSON objects with an ISO 8601 timestamp
    with offset) is decoded in C-level loops; any other batch one message at a time.
    """
    batch = Batch()
    try:
        values = list(map(_loads, raws))
    except ValueError:  # a message that is not JSON
        values = None
    else:
        try:
            stamps = list(map(_timestamp_field, values))
            moments = list(map(_fromisoformat, stamps))
            if None not in map(_tzinfo, moments) and _all_canonical(stamps):
                batch.fields = values
                batch.times = list(map(_posix, moments))
                return batch
        except (ValueError, TypeError, KeyError):  # not an object, no or another timestamp
            pass
    for index, raw in enumerate(raws):
        if values is None:
            decoded = decode(raw, arrival)
        else:
            decoded = _from_value(values[index], raw, arrival)
        if decoded.__class__ is Rejected:
            batch.rejected.append(decoded)
        else:
            batch.fields.append(decoded.fields)
            batch.times.append(decoded.time)
    return batch


def decode(raw: bytes, arrival: float) -> Event | Rejected:
    """Decode one message received at ``arrival`` (POSIX seconds).

    A JSON object keeps its fields; a missing (or null) ``timestamp`` becomes the arrival
    time, and a timestamp in any other form than the probe's (ISO 8601 in UTC with
    microseconds and ``+00:00``) is rewritten to it (naive times are taken as UTC; the
    original is kept in ``timestamp_raw``). Any other JSON
    value, or text that is not JSON, becomes ``{"timestamp": <arrival>, "message": <value>}``.
    Invalid UTF-8 and unreadable timestamps are rejected with the reason.
    """
    try:
        value = _loads(raw)
    except orjson.JSONDecodeError:
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Rejected(f"invalid UTF-8: {exc.reason} at byte {exc.start}", raw)
    return _from_value(value, raw, arrival)


def _from_value(value: Any, raw: bytes, arrival: float) -> Event | Rejected:
    if value.__class__ is not dict:
        return Event({"timestamp": _iso(arrival), "message": value}, arrival)
    stamp = value.get("timestamp")
    if stamp is None:
        value["timestamp"] = _iso(arrival)
        return Event(value, arrival)
    if stamp.__class__ is str and _all_canonical((stamp,)):
        try:
            return Event(value, _fromisoformat(stamp).timestamp())
        except ValueError:
            pass
    try:
        moment = parse_timestamp(stamp)  # naive times are read as UTC
    except BadTimestamp as exc:
        return Rejected(str(exc), raw)
    try:
        moment = moment.astimezone(_UTC)
        time = moment.timestamp()
    except (OverflowError, ValueError, OSError) as exc:
        return Rejected(f"timestamp {stamp!r} out of range in UTC: {exc}", raw)
    value["timestamp_raw"] = stamp
    value["timestamp"] = isoformat(moment)
    return Event(value, time)


def _all_canonical(stamps: list[str] | tuple[str]) -> bool:
    """True if every stamp has the one form the collector writes out (the probe's):
    ``2026-11-27T23:59:59.123456+00:00``, 32 characters. C-level loops only."""
    return (
        set(map(len, stamps)) == {32}
        and set(map(_separator, stamps)) == {"T"}
        and all(map(_utc_suffix, stamps))
    )


def _iso(moment: float) -> str:
    return isoformat(datetime.fromtimestamp(moment, _UTC))
