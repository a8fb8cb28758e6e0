"""Estimated spend per IAM principal from the invocation logs (principal_usage_hourly): hour by
hour for the spike rule, day by day with the request metadata for principal and project budgets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import PrincipalUsageHourly
from core.projection import Projection, history_start, project_month
from core.queries.common import as_day, usd, utc_day
from core.scoped_budgets import ScopedBudgetConfig, scoped_spend


def principal_hourly_cost(
    session: Session, start: datetime, end: datetime
) -> list[tuple[datetime, str, str, str, Decimal]]:
    """(hour, principal, team, model, estimated USD) of every priced principal-hour in [start, end)."""
    usage = PrincipalUsageHourly
    # unpriced calls have no cost to compare: they are left out, not counted as zero
    statement = (
        select(
            usage.hour,
            usage.principal,
            usage.team,
            usage.model_id,
            func.sum(usage.estimated_cost_usd),
        )
        .where(usage.hour >= start, usage.hour < end, usage.priced.is_(True))
        .group_by(usage.hour, usage.principal, usage.team, usage.model_id)
        .order_by(usage.hour, usage.principal, usage.model_id)
    )
    return [
        (hour, principal, team, model, usd(cost))
        for hour, principal, team, model, cost in session.execute(statement)
    ]


def principal_daily_cost(
    session: Session, start: datetime, end: datetime
) -> list[tuple[date, str, str, Decimal]]:
    """(UTC day, principal, request metadata JSON, estimated USD) of the priced calls in [start, end)."""
    usage = PrincipalUsageHourly
    day = utc_day(session, usage.hour)
    statement = (
        select(day, usage.principal, usage.request_metadata, func.sum(usage.estimated_cost_usd))
        .where(usage.hour >= start, usage.hour < end, usage.priced.is_(True))
        .group_by(day, usage.principal, usage.request_metadata)
    )
    return [
        (as_day(when), principal, metadata, usd(cost))
        for when, principal, metadata, cost in session.execute(statement)
    ]


def scoped_budget_use(
    session: Session, now: datetime, budgets: Sequence[ScopedBudgetConfig]
) -> list[tuple[ScopedBudgetConfig, Projection]]:
    """Each `budgets:` entry with its month so far and month-end projection, from the estimate."""
    if not budgets:
        return []
    as_of = now.astimezone(UTC).date()
    start = datetime.combine(history_start(as_of), time(0), tzinfo=UTC)
    end = datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=UTC)
    spends = scoped_spend(budgets, principal_daily_cost(session, start, end))
    return [
        (
            spend.budget,
            project_month(spend.daily, as_of, Decimal(str(spend.budget.monthly_budget_usd))),
        )
        for spend in spends
    ]
