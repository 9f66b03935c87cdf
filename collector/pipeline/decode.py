"""Bytes to events: orjson first, plain JSON values and text accepted, the unreadable and the
out-of-bounds (over ``MAX_EVENT_BYTES``, nested deeper than ``MAX_DEPTH``) rejected."""

from __future__ import annotations

import operator
from datetime import datetime, timezone
from typing import Any

import orjson

from collector.pipeline.event import Event, Rejected
from collector.pipeline.timestamps import BadTimestamp, isoformat, parse_timestamp
from probe.protocol import MAX_DEPTH, MAX_EVENT_BYTES

_UTC = timezone.utc
_loads = orjson.loads
_fromisoformat = datetime.fromisoformat
_timestamp_field = operator.itemgetter("timestamp")
_tzinfo = operator.attrgetter("tzinfo")
_posix = datetime.timestamp
_utc_suffix = operator.methodcaller("endswith", "+00:00")
_separator = operator.itemgetter(10)
#: A message shorter than this cannot be nested ``MAX_DEPTH`` deep (each level takes two
#: brackets), even wrapped in an event: only longer ones are looked at.
_CHECK_DEPTH_FROM = 2 * MAX_DEPTH


class Batch:
    """Decoded messages in arrival order, as columns: ``fields[i]`` happened at ``times[i]``
    (POSIX seconds); ``rejected`` holds what could not be read."""

    __slots__ = ("fields", "rejected", "times")

    def __init__(self) -> None:
        self.fields: list[dict[str, Any]] = []
        self.times: list[float] = []
        self.rejected: list[Rejected] = []


def decode_batch(raws: list[bytes], arrival: float, longest: int | None = None) -> Batch:
    """Decode messages that arrived at ``arrival`` (POSIX seconds); see ``decode``.
    ``longest`` is the length of the longest message, if the caller knows it already.

    A batch of nothing but the probe's own events (JSON objects with an ISO 8601 timestamp
    with offset) is decoded in C-level loops; any other batch one message at a time.
    """
    batch = Batch()
    try:
        values = list(map(_loads, raws))
    except ValueError:  # a message that is not JSON
        values = None
    else:
        if longest is None:
            longest = max(map(len, raws), default=0)
        if longest >= _CHECK_DEPTH_FROM and any(map(_bound_error, raws, values)):
            values = None  # taken one at a time below: the ones out of bounds are rejected
    if values is not None:
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
    Invalid UTF-8, unreadable timestamps, messages over ``MAX_EVENT_BYTES`` and events
    nested deeper than ``MAX_DEPTH`` (the event object is level 1) are rejected with the
    reason.
    """
    if len(raw) > MAX_EVENT_BYTES:
        return Rejected(_too_large(raw), raw)
    try:
        value = _loads(raw)
    except orjson.JSONDecodeError:
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Rejected(f"invalid UTF-8: {exc.reason} at byte {exc.start}", raw)
    return _from_value(value, raw, arrival)


def _from_value(value: Any, raw: bytes, arrival: float) -> Event | Rejected:
    reason = _bound_error(raw, value)
    if reason is not None:
        return Rejected(reason, raw)
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


def _bound_error(raw: bytes, value: Any) -> str | None:
    """Why the message ``raw``, read as ``value``, is out of bounds; None if it is not."""
    if len(raw) > MAX_EVENT_BYTES:
        return _too_large(raw)
    if len(raw) < _CHECK_DEPTH_FROM or raw.count(b"{") + raw.count(b"[") < MAX_DEPTH:
        return None
    depth = _depth(value) + (value.__class__ is not dict)  # other values are wrapped
    if depth > MAX_DEPTH:
        return f"nested deeper than the {MAX_DEPTH} levels an event may take"
    return None


def _too_large(raw: bytes) -> str:
    return f"message of {len(raw)} bytes, over the {MAX_EVENT_BYTES} bytes an event may take"


def _depth(value: Any) -> int:
    """How many objects and arrays deep ``value`` is (0 for a scalar), counted up to one past
    ``MAX_DEPTH``."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        kind = item.__class__
        if kind is dict:
            children = item.values()
        elif kind is list:
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            return level
        stack.extend((child, level + 1) for child in children)
    return deepest
