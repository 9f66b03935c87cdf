"""Bytes to events: orjson first, the seed's looser forms accepted, the unreadable rejected."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import orjson

from collector.event import Event, Rejected
from collector.timestamps import BadTimestamp, isoformat, parse_timestamp

_UTC = timezone.utc


class Batch:
    """Decoded messages in arrival order, as columns: ``fields[i]`` happened at ``times[i]``
    (POSIX seconds); ``rejected`` holds what could not be read."""

    __slots__ = ("fields", "rejected", "times")

    def __init__(self) -> None:
        self.fields: list[dict[str, Any]] = []
        self.times: list[float] = []
        self.rejected: list[Rejected] = []


def decode_batch(raws: list[bytes], arrival: float) -> Batch:
    """Decode messages that arrived at ``arrival`` (POSIX seconds); see ``decode``."""
    batch = Batch()
    fields_append, times_append = batch.fields.append, batch.times.append
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    fromisoformat = datetime.fromisoformat
    for raw in raws:
        try:
            value = loads(raw)
        except decode_error:
            try:
                value = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                reason = f"invalid UTF-8: {exc.reason} at byte {exc.start}"
                batch.rejected.append(Rejected(reason, raw))
                continue
        if value.__class__ is dict:
            stamp = value.get("timestamp")
            if stamp.__class__ is str:  # the fast path: the probe's own ISO 8601 with offset
                try:
                    moment = fromisoformat(stamp)
                except ValueError:
                    pass
                else:
                    if moment.tzinfo is not None:
                        fields_append(value)
                        times_append(moment.timestamp())
                        continue
        decoded = _slow(value, raw, arrival)
        if decoded.__class__ is Rejected:
            batch.rejected.append(decoded)
        else:
            fields_append(decoded.fields)
            times_append(decoded.time)
    return batch


def decode(raw: bytes, arrival: float) -> Event | Rejected:
    """Decode one message received at ``arrival`` (POSIX seconds).

    A JSON object keeps its fields; a missing (or null) ``timestamp`` becomes the arrival
    time, and a timestamp that is not ISO 8601 with an offset is rewritten to that form
    (naive times are taken as UTC; the original is kept in ``timestamp_raw``). Any other JSON
    value, or text that is not JSON, becomes ``{"timestamp": <arrival>, "message": <value>}``.
    Invalid UTF-8 and unreadable timestamps are rejected with the reason.
    """
    batch = decode_batch([raw], arrival)
    if batch.rejected:
        return batch.rejected[0]
    return Event(batch.fields[0], batch.times[0])


def _slow(value: Any, raw: bytes, arrival: float) -> Event | Rejected:
    """Everything but the probe's own form: non-objects, missing and foreign timestamps."""
    if value.__class__ is not dict:
        return Event({"timestamp": _iso(arrival), "message": value}, arrival)
    stamp = value.get("timestamp")
    if stamp is None:
        value["timestamp"] = _iso(arrival)
        return Event(value, arrival)
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
