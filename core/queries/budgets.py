"""Budgets against billed spend: this month's budgets, each team's daily history, use and projection."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.budgets import ALL_SERVICES, budget_status, period_of
from core.models import Budget
from core.projection import Projection, history_start, project_month
from core.queries.common import chosen
from core.queries.costs import spend_daily


def budgets_for(session: Session, period: str, teams: list[str] | None = None) -> list[Budget]:
    """The budgets of one month (``YYYY-MM``) of ``teams``, by team and service."""
    statement = select(Budget).where(Budget.period == period, *chosen((Budget.team, teams)))
    return list(session.scalars(statement.order_by(Budget.team, Budget.service)))


def team_budgets(
    session: Session, as_of: date, teams: list[str] | None = None
) -> dict[str, Decimal]:
    """Each team's budget for all its GenAI spend in the month of ``as_of``."""
    return {
        b.team: b.amount_usd
        for b in budgets_for(session, period_of(as_of), teams)
        if b.service == ALL_SERVICES
    }


def team_daily_history(
    session: Session,
    as_of: date,
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    service: str = ALL_SERVICES,
) -> dict[str, dict[date, Decimal]]:
    """Each team's billed spend per day, from the projection's history start to ``as_of`` included."""
    # later days would change nothing in a projection, but would add teams that spent only after
    services = None if service == ALL_SERVICES else [service]
    spend: dict[str, dict[date, Decimal]] = {}
    for day, team, amount in spend_daily(
        session, history_start(as_of), as_of + timedelta(days=1), "team", teams, accounts, services
    ):
        spend.setdefault(team, {})[day] = amount
    return spend


def team_projections(
    session: Session,
    now: datetime,
    aws_remaining: Mapping[str, Decimal] | None = None,
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
) -> dict[str, Projection]:
    """Month-end projection of every team (of ``teams``) with spend this month, last month or a budget.

    ``aws_remaining`` is AWS's forecast for the rest of the month per team, where it has one;
    ``accounts`` narrows the spend, not the budgets.
    """
    as_of = now.astimezone(UTC).date()
    spend = team_daily_history(session, as_of, teams, accounts)
    budgets = team_budgets(session, as_of, teams)
    aws_remaining = aws_remaining or {}
    return {
        team: project_month(spend.get(team, {}), as_of, budgets.get(team), aws_remaining.get(team))
        for team in sorted(set(spend) | set(budgets))
    }


@dataclass(frozen=True)
class BudgetUse:
    """One budget this month: spent so far, the share of the budget used, and the projection."""

    team: str
    service: str
    period: str
    budget_usd: Decimal
    projection: Projection

    @property
    def spent_usd(self) -> Decimal:
        """Billed spend so far this month."""
        return self.projection.spent_usd

    @property
    def used(self) -> Decimal | None:
        """Spend so far as a share of the budget (None for a zero budget)."""
        return self.projection.used

    @property
    def projected_use(self) -> Decimal | None:
        """Projected month-end spend as a share of the budget (None for a zero budget)."""
        return self.projection.projected_use

    @property
    def status(self) -> str:
        """A word for the budget: over, at risk (projected over), or on track."""
        return budget_status(self.used, self.projected_use)


def budget_use(
    session: Session,
    now: datetime,
    aws_remaining: Mapping[str, Decimal] | None = None,
    teams: list[str] | None = None,
) -> list[BudgetUse]:
    """Every budget of this month (of ``teams``) with its use and projection, most used first."""
    as_of = now.astimezone(UTC).date()
    period = period_of(as_of)
    aws_remaining = aws_remaining or {}
    by_service: dict[str, dict[str, dict[date, Decimal]]] = {}
    result = []
    for budget in budgets_for(session, period, teams):
        if budget.service not in by_service:
            by_service[budget.service] = team_daily_history(
                session, as_of, teams, service=budget.service
            )
        daily = by_service[budget.service].get(budget.team, {})
        forecast = aws_remaining.get(budget.team) if budget.service == ALL_SERVICES else None
        projection = project_month(daily, as_of, budget.amount_usd, forecast)
        result.append(
            BudgetUse(
                budget.team,
                budget.service,
                period,
                budget.amount_usd,
                projection,
            )
        )
    return sorted(
        result,
        key=lambda row: (
            -(row.used if row.used is not None else Decimal(10**9)),
            row.team,
            row.service,
        ),
    )
