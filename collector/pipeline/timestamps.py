"""Event time: ISO 8601 on the fast path, anything python-dateutil reads on the slow one."""

from __future__ import annotations

from datetime import datetime, timezone

from dateutil import parser as _dateutil

_UTC = timezone.utc
#: Longer strings are not timestamps, and would cost dateutil real time to refuse.
MAX_TIMESTAMP_LENGTH = 100


class BadTimestamp(ValueError):
    """A timestamp that no parser could read."""


def parse_timestamp(value: object) -> datetime:
    """Parse ``value`` to an aware datetime; naive times are taken as UTC.

    Numbers are POSIX seconds. Raises ``BadTimestamp`` with the reason."""
    if isinstance(value, str):
        parsed = _parse_text(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, _UTC)
        except (ValueError, OverflowError, OSError) as exc:
            raise BadTimestamp(f"timestamp {value!r} out of range: {exc}") from None
    else:
        raise BadTimestamp(f"timestamp must be a string or a number, not {type(value).__name__}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_UTC)
    return parsed


def _parse_text(value: str) -> datetime:
    if len(value) > MAX_TIMESTAMP_LENGTH:
        raise BadTimestamp(f"timestamp longer than {MAX_TIMESTAMP_LENGTH} characters")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    try:
        return _dateutil.parse(value)
    except Exception as exc:  # a third-party parser on hostile input: any failure is a reject
        raise BadTimestamp(f"unparseable timestamp {value!r}: {exc}") from None


def isoformat(moment: datetime) -> str:
    """The wire form: ISO 8601 with microseconds and offset."""
    return moment.isoformat(timespec="microseconds")
