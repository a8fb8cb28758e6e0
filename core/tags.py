"""What resource tags mean to the monitor beyond attribution: a ``keep-alive-until`` tag holds
idle alerts and the policies that would stop the resource until its date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

KEEP_ALIVE_TAG = "keep-alive-until"


def keep_alive_until(value: str | None) -> datetime | None:
    """A keep-alive tag's date (the end of that day, UTC), or None if absent or unreadable."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
