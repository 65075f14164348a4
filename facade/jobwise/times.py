"""Timestamps as timezone-aware datetimes (python-dateutil parses what the stdlib does not)."""

from __future__ import annotations

from datetime import UTC, datetime

from dateutil import parser as _dateutil


def aware(value: datetime) -> datetime:
    """``value`` with UTC assumed when it carries no zone."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def parse_time(value: str | datetime | None) -> datetime | None:
    """Parse an API timestamp (ISO 8601 of any precision, or an HTTP date) as aware UTC-or-zoned.

    >>> parse_time("2025-06-14T10:00:00.123456789Z").isoformat()
    '2025-06-14T10:00:00.123456+00:00'
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return aware(value)
    try:
        return aware(datetime.fromisoformat(value))  # the common case, ten times faster
    except ValueError:
        pass
    try:
        return aware(_dateutil.parse(value))
    except (ValueError, OverflowError):
        raise ValueError(f"not a timestamp: {value!r}") from None
