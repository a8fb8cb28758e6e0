"""A window read as whole UTC days from a daily rollup and its partial days from the hourly
table: the same sums as the hourly rows alone, with a day read as one row per key, and no
dependence on hourly rows older than the hourly retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, literal
from sqlalchemy.orm import Session

from core.queries.common import between, utc_day
from core.timeutil import as_utc


@dataclass(frozen=True)
class Part:
    """One part of a window: ``table`` (hourly or rollup) with ``where`` choosing its rows; ``day``
    is a row's UTC day, ``rows`` the hourly rows a row stands for (1, or a rollup's ``hours``)."""

    table: Any
    where: list[Any]
    day: Any
    rows: Any
    rollup: bool

    def count(self) -> Any:
        """How many hourly rows a group sums."""
        return func.sum(self.rows) if self.rollup else func.count()

    def column(self, hourly_column: Any) -> Any:
        """The part's column of the same name as an hourly table's column."""
        return getattr(self.table, hourly_column.key)


def _day_start(moment: datetime) -> datetime:
    return datetime.combine(as_utc(moment).date(), time(0), tzinfo=UTC)


def _day_end(moment: datetime) -> datetime:
    """The first UTC midnight at or after ``moment``."""
    floored = _day_start(moment)
    return floored if floored == as_utc(moment) else floored + timedelta(days=1)


def whole_days(
    start: datetime | None, end: datetime | None
) -> tuple[tuple[date | None, date | None] | None, list[tuple[datetime | None, datetime | None]]]:
    """[start, end) cut into its whole UTC days [first, after) (None: no whole day; an unbounded
    side stays None) and the hour ranges left at its edges."""
    first = None if start is None else _day_end(start)
    after = None if end is None else _day_start(end)
    if first is not None and after is not None and first >= after:
        return None, [(start, end)]
    edges: list[tuple[datetime | None, datetime | None]] = [
        (low, high)
        for low, high in ((start, first), (after, end))
        if low is not None and high is not None and low < high
    ]
    return (first and first.date(), after and after.date()), edges


def parts(
    session: Session, hourly: Any, rollup: Any, start: datetime | None, end: datetime | None
) -> list[Part]:
    """The parts [start, end) is read from: the rollup's whole days, the hourly table's edges."""
    days, edges = whole_days(start, end)
    found = []
    if days is not None:
        where = between(rollup.day, *days)
        found.append(Part(rollup, where, rollup.day, rollup.hours, True))
    for low, high in edges:
        day = utc_day(session, hourly.hour)
        found.append(Part(hourly, between(hourly.hour, low, high), day, literal(1), False))
    return found
