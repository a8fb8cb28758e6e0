"""The dollars saved by stopping waste: for every resource stopped (a succeeded delete or
scale-to-zero), the snapshot's hourly price times the hours it stayed stopped, until its
succeeded restore or until now; per team and UTC month (an interval is split at month
boundaries), and per resource."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import ActionAudit, Snapshot
from core.queries.common import chosen

STOPS = ("delete", "scale-to-zero")
_MICRO = Decimal("0.000001")
_SECONDS_PER_HOUR = Decimal(3600)


@dataclass(frozen=True)
class StoppedInterval:
    """One resource stopped from ``start`` until ``end`` (its restore, or now), at its price."""

    snapshot_id: str
    resource_arn: str
    name: str
    kind: str
    team: str
    start: datetime
    end: datetime
    hourly_usd: Decimal
    restored: bool

    @property
    def hours(self) -> Decimal:
        """The hours stopped, exact (to the second)."""
        return Decimal(int((self.end - self.start).total_seconds())) / _SECONDS_PER_HOUR

    @property
    def saved_usd(self) -> Decimal:
        """Price x hours stopped, to the money columns' 6 places."""
        return (self.hourly_usd * self.hours).quantize(_MICRO)


@dataclass(frozen=True)
class MonthSaving:
    """What one team saved in one UTC month (``YYYY-MM``)."""

    team: str
    month: str
    hours: Decimal
    saved_usd: Decimal


def _month_start(at: datetime) -> datetime:
    return datetime(at.year, at.month, 1, tzinfo=UTC)


def _next_month(at: datetime) -> datetime:
    return datetime(at.year + at.month // 12, at.month % 12 + 1, 1, tzinfo=UTC)


def split_by_month(interval: StoppedInterval) -> list[StoppedInterval]:
    """The interval cut at every UTC month boundary it crosses."""
    pieces = []
    start = interval.start
    while start < interval.end:
        end = min(_next_month(start), interval.end)
        pieces.append(replace(interval, start=start, end=end))
        start = end
    return pieces


def stopped_intervals(
    session: Session,
    now: datetime,
    teams: Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    accounts: Sequence[str] | None = None,
) -> list[StoppedInterval]:
    """Every stop with a priced snapshot, clipped to [start, end) (end: now), oldest first."""
    end = min(end or now, now)
    stops = (
        select(ActionAudit.snapshot_id, func.min(ActionAudit.at).label("at"))
        .where(ActionAudit.action.in_(STOPS), ActionAudit.outcome == "succeeded")
        .group_by(ActionAudit.snapshot_id)
        .subquery()
    )
    statement = (
        select(Snapshot, stops.c.at)
        .join(stops, stops.c.snapshot_id == Snapshot.id)
        .where(
            Snapshot.hourly_usd.is_not(None),
            *chosen((Snapshot.team, teams), (Snapshot.account_id, accounts)),
        )
        .order_by(stops.c.at, Snapshot.id)
    )
    found = []
    for snapshot, stopped_at in session.execute(statement).all():
        restored = snapshot.restored_at
        begin = max(stopped_at, start) if start is not None else stopped_at
        until = min(restored, end) if restored is not None else end
        if begin >= until:
            continue
        found.append(
            StoppedInterval(
                snapshot.id,
                snapshot.resource_arn,
                snapshot.name,
                snapshot.kind,
                snapshot.team,
                begin,
                until,
                Decimal(str(snapshot.hourly_usd)),
                restored is not None and restored <= end,
            )
        )
    return found


def by_team_month(intervals: Iterable[StoppedInterval]) -> list[MonthSaving]:
    """The intervals' savings per (team, UTC month), in that order."""
    sums: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    for interval in intervals:
        for piece in split_by_month(interval):
            key = (piece.team, f"{piece.start:%Y-%m}")
            hours, saved = sums.get(key, (Decimal(0), Decimal(0)))
            sums[key] = (hours + piece.hours, saved + piece.hourly_usd * piece.hours)
    return [
        MonthSaving(team, month, hours.quantize(_MICRO), saved.quantize(_MICRO))
        for (team, month), (hours, saved) in sorted(sums.items())
    ]


@dataclass(frozen=True)
class ResourceSaving:
    """What stopping one resource saved over the intervals asked for."""

    resource_arn: str
    name: str
    kind: str
    team: str
    hours: Decimal
    saved_usd: Decimal
    stopped_now: bool  # its newest stop is not restored


def by_resource(intervals: Iterable[StoppedInterval]) -> list[ResourceSaving]:
    """The intervals' savings per resource, the biggest first."""
    groups: dict[str, list[StoppedInterval]] = {}
    for interval in intervals:
        groups.setdefault(interval.resource_arn, []).append(interval)
    rows = []
    for arn, group in groups.items():
        newest = max(group, key=lambda interval: interval.start)
        rows.append(
            ResourceSaving(
                arn,
                newest.name,
                newest.kind,
                newest.team,
                sum((i.hours for i in group), Decimal(0)).quantize(_MICRO),
                sum((i.hourly_usd * i.hours for i in group), Decimal(0)).quantize(_MICRO),
                not newest.restored,
            )
        )
    return sorted(rows, key=lambda row: (-row.saved_usd, row.resource_arn))


def month_window(month: str) -> tuple[datetime, datetime]:
    """The UTC instants a ``YYYY-MM`` month spans: [first, next first)."""
    first = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    return first, _next_month(first)


def saved_by_team(
    session: Session,
    month: str,
    now: datetime,
    teams: Sequence[str] | None = None,
    accounts: Sequence[str] | None = None,
) -> dict[str, Decimal]:
    """Per team: what stopped resources saved in ``month`` (until now), to 6 places."""
    start, end = month_window(month)
    rows = by_team_month(stopped_intervals(session, now, teams, start, end, accounts))
    return {row.team: row.saved_usd for row in rows if row.month == month}


def saved_in_month(
    session: Session,
    month: str,
    now: datetime,
    teams: Sequence[str] | None = None,
    accounts: Sequence[str] | None = None,
) -> Decimal:
    """What stopped resources saved in ``month`` over ``teams`` (None: every team)."""
    return sum(saved_by_team(session, month, now, teams, accounts).values(), Decimal(0))


def month_of(at: datetime) -> str:
    """The UTC month of an instant as ``YYYY-MM``."""
    return f"{_month_start(at):%Y-%m}"
