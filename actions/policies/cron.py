"""Cron expressions in a time zone, read by APScheduler 3's CronTrigger: when they fire between
two instants, and which fired last. Wall-clock times are kept across DST changes (20:00 in
Europe/Berlin is 19:00 UTC in winter and 18:00 UTC in summer)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

_TICK = timedelta(microseconds=1)
# standard cron counts the week from Sunday = 0 (and 7); APScheduler 3 from Monday = 0, so its
# from_crontab reads "1-5" as Tuesday to Saturday: numbers become names before it sees them
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NUMERIC_RANGE = re.compile(r"^(\d+)(?:-(\d+))?(?:/(\d+))?$")
# how far back the last fire is looked for, widening: a weekly cron is found in the second step
_LOOKBACK = (timedelta(days=1), timedelta(days=8), timedelta(days=32), timedelta(days=367))


class CronError(ValueError):
    """A cron expression that does not read as five fields."""


def _weekday_item(item: str) -> str:
    """One comma-separated item of the day-of-week field with standard numbers as names."""
    match = _NUMERIC_RANGE.match(item)
    if match is None:
        return item  # "*", "*/2", names: APScheduler reads them as cron does
    first, last, step = match.group(1), match.group(2) or match.group(1), match.group(3)
    days = range(int(first), int(last) + 1, int(step or 1))
    if not days or max(days) > 7:
        raise CronError(f"expected days of the week 0-7, got {item!r}")
    return ",".join(_DAYS[day] for day in days)


def trigger(expression: str, timezone: str) -> CronTrigger:
    """A trigger for a standard five-field cron expression in ``timezone``."""
    fields = expression.split()
    if len(fields) != 5:
        raise CronError(f"expected five cron fields like '0 20 * * 1-5', got {expression!r}")
    fields[4] = ",".join(_weekday_item(item) for item in fields[4].split(","))
    try:
        return CronTrigger.from_crontab(" ".join(fields), timezone=ZoneInfo(timezone))
    except ValueError as exc:
        raise CronError(f"not a cron expression: {expression!r}: {exc}") from None


def fires(cron: CronTrigger, after: datetime, until: datetime) -> Iterator[datetime]:
    """The fire times in (``after``, ``until``], oldest first, timezone-aware."""
    at = cron.get_next_fire_time(None, after + _TICK)
    while at is not None and at <= until:
        yield at
        at = cron.get_next_fire_time(at, at + _TICK)


def last_fire(cron: CronTrigger, at: datetime) -> datetime | None:
    """The newest fire time at or before ``at`` (within a year), else None."""
    for lookback in _LOOKBACK:
        found = None
        for found in fires(cron, at - lookback, at):  # noqa: B007  # the last one is wanted
            pass
        if found is not None:
            return found
    return None
