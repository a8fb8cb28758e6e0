"""Keeps the daily rollups equal to the sums of their hourly rows.

Every writer of an hourly table rewrites the touched days' rollup rows in its own transaction:
the collector runner after each window's load (for the rollups a source names in its ``rollups``
attribute), ``prices reprice`` after re-pricing, the demo's seeding. A day is rewritten whole
(DELETE, then INSERT .. SELECT .. GROUP BY from the hourly rows), so a re-collection, a
restatement or a deleted hour leaves the rollup exactly the sum of what is stored; nothing else
is touched, so days whose hourly rows retention has dropped keep their rollups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from core.models import BedrockUsageHourly, Endpoint, EndpointHourly
from core.models_rollups import RollupDailyBedrockUsage, RollupDailyEndpoint
from core.queries.bedrock import SLICE_COUNTS
from core.queries.common import utc_day
from core.queries.endpoints import called_invocations
from core.timeutil import as_utc

BEDROCK = "bedrock_usage"
ENDPOINT = "endpoint"


def day_start(day: date) -> datetime:
    """The UTC midnight that starts ``day``."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def days_of(start: datetime, end: datetime) -> tuple[date, date]:
    """The UTC days [first, after) that the half-open range [start, end) touches."""
    first = as_utc(start).date()
    last = (as_utc(end) - timedelta(microseconds=1)).date()
    return first, max(first, last) + timedelta(days=1)


@dataclass(frozen=True)
class Rollup:
    """One rollup table: the hourly table it sums, what it groups by and sums, and how one
    (account, region) is chosen on each side."""

    daily: Any
    hourly: Any
    # (session) -> [(rollup column name, hourly expression)], the groups first
    columns: Callable[[Session], list[tuple[str, Any]]]
    groups: int
    hourly_scope: Callable[[str, str], list[Any]]
    daily_scope: Callable[[str, str], list[Any]]


def _no_null(column: Any) -> Any:
    return func.coalesce(column, "")


def _bedrock_columns(session: Session) -> list[tuple[str, Any]]:
    usage = BedrockUsageHourly
    counts = SLICE_COUNTS  # the rollup keeps the sums a Bedrock slice reads
    return [
        ("day", utc_day(session, usage.hour)),
        ("account_id", usage.account_id),
        ("region", usage.region),
        ("model_id", usage.model_id),
        ("base_model_id", usage.base_model_id),
        ("team", usage.team),
        ("endpoint", usage.endpoint),
        ("price_source", _no_null(usage.price_source)),
        ("price_as_of", _no_null(usage.price_as_of)),
        ("priced", usage.priced),
        ("hours", func.count()),
        *((name, func.sum(getattr(usage, name))) for name in counts),
        ("estimated_cost_usd", func.sum(usage.estimated_cost_usd)),
    ]


def _endpoint_columns(session: Session) -> list[tuple[str, Any]]:
    hourly = EndpointHourly
    return [
        ("endpoint_id", hourly.endpoint_id),
        ("day", utc_day(session, hourly.hour)),
        ("price_source", _no_null(hourly.price_source)),
        ("price_as_of", _no_null(hourly.price_as_of)),
        ("priced", hourly.priced),
        ("hours", func.count()),
        ("service_hours", func.sum(hourly.service_hours)),
        ("instance_hours", func.sum(hourly.service_hours * hourly.instance_count)),
        ("invocations", func.sum(called_invocations(hourly))),
        ("estimated_cost_usd", func.sum(hourly.estimated_cost_usd)),
    ]


def _endpoints_of(account_id: str, region: str) -> Any:
    return select(Endpoint.id).where(Endpoint.account_id == account_id, Endpoint.region == region)


ROLLUPS: dict[str, Rollup] = {
    BEDROCK: Rollup(
        RollupDailyBedrockUsage,
        BedrockUsageHourly,
        _bedrock_columns,
        10,
        lambda a, r: [BedrockUsageHourly.account_id == a, BedrockUsageHourly.region == r],
        lambda a, r: [RollupDailyBedrockUsage.account_id == a, RollupDailyBedrockUsage.region == r],
    ),
    ENDPOINT: Rollup(
        RollupDailyEndpoint,
        EndpointHourly,
        _endpoint_columns,
        5,
        lambda a, r: [EndpointHourly.endpoint_id.in_(_endpoints_of(a, r))],
        lambda a, r: [RollupDailyEndpoint.endpoint_id.in_(_endpoints_of(a, r))],
    ),
}


def _rewrite(
    session: Session,
    rollup: Rollup,
    hourly_scope: list[Any],
    daily_scope: list[Any],
    first: date | None,
    after: date | None,
) -> None:
    """Replace the rollup rows of the days [first, after) (None: unbounded) in a scope by the
    sums of the scope's hourly rows of those days."""
    daily, hourly = rollup.daily, rollup.hourly
    day_range, hour_range = [], []
    if first is not None:
        day_range.append(daily.day >= first)
        hour_range.append(hourly.hour >= day_start(first))
    if after is not None:
        day_range.append(daily.day < after)
        hour_range.append(hourly.hour < day_start(after))
    session.execute(delete(daily).where(*daily_scope, *day_range))
    columns = rollup.columns(session)
    sums = (
        select(*(expression.label(name) for name, expression in columns))
        .where(*hourly_scope, *hour_range)
        .group_by(*(expression for _name, expression in columns[: rollup.groups]))
    )
    session.execute(insert(daily).from_select([name for name, _ in columns], sums))


def refresh_rollups(
    session: Session,
    names: Iterable[str],
    account_id: str,
    region: str,
    start: datetime,
    end: datetime,
) -> None:
    """Rewrite the rollups ``names`` of one (account, region) for every UTC day [start, end) touches."""
    first, after = days_of(start, end)
    for name in names:
        rollup = ROLLUPS[name]
        _rewrite(
            session,
            rollup,
            rollup.hourly_scope(account_id, region),
            rollup.daily_scope(account_id, region),
            first,
            after,
        )


def rebuild_rollups(
    session: Session,
    names: Sequence[str] = tuple(ROLLUPS),
    first: date | None = None,
    after: date | None = None,
) -> None:
    """Rewrite the rollups ``names`` of every account and region for the days [first, after)
    (None: unbounded): after a bulk write (seeding) that did not refresh them itself."""
    for name in names:
        _rewrite(session, ROLLUPS[name], [], [], first, after)
