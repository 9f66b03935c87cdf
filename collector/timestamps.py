"""Event time: ISO 8601 on the fast path, anything python-dateutil reads on the slow one."""

from __future__ import annotations

from datetime import datetime, timezone

from dateutil import parser as _dateutil

_UTC = timezone.utc


class BadTimestamp(ValueError):
    """A timestamp that no parser could read."""


def parse_timestamp(value: object) -> datetime:
    """Parse ``value`` to an aware datetime; naive times are taken as UTC.

    Numbers are POSIX seconds. Raises ``BadTimestamp`` with the reason."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            try:
                parsed = _dateutil.parse(value)
            except (ValueError, OverflowError, TypeError) as exc:
                raise BadTimestamp(f"unparseable timestamp {value!r}: {exc}") from None
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


def isoformat(moment: datetime) -> str:
    """The wire form: ISO 8601 with microseconds and offset."""
    return moment.isoformat(timespec="microseconds")
