"""Time helpers: every timestamp in the project is timezone-aware UTC."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# ten years: longer than any window, retention or silence means, and far from timedelta's limits
MAX_DURATION = timedelta(days=3650)
# the times a date on the command line or the dashboard may name: nothing to read before 2000
# (nor after 2100), and far from datetime's limits, where year 1 with an offset overflows
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 1, 1)


def parse_duration(text: str) -> timedelta:
    """Parse a duration such as ``90m``, ``24h`` or ``7d`` into a timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"expected a duration like 90m, 24h or 7d, got {text!r}")
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(
            f"expected a duration of at most {MAX_DURATION.days}d, got {text.strip()!r}"
        )
    return timedelta(seconds=seconds)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC; a naive datetime is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def floor_hour(value: datetime) -> datetime:
    """The start of the UTC hour that contains ``value``."""
    return as_utc(value).replace(minute=0, second=0, microsecond=0)


def ceil_hour(value: datetime) -> datetime:
    """The first UTC hour boundary at or after ``value``."""
    floored = floor_hour(value)
    return floored if floored == as_utc(value) else floored + timedelta(hours=1)


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO 8601 date or date-time; without an offset it is UTC."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(
            f"expected an ISO 8601 time like 2026-11-01 or 2026-11-01T13:00Z, got {text!r}"
        ) from None
    if not EARLIEST_DAY <= parsed.date() < LATEST_DAY:
        raise ValueError(
            f"expected a time from {EARLIEST_DAY.isoformat()} to before {LATEST_DAY.isoformat()},"
            f" got {text.strip()!r}"
        )
    return as_utc(parsed)


def iso_utc(value: datetime) -> str:
    """Format a datetime as ISO 8601 UTC with a trailing ``Z``."""
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")
