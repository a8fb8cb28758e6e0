"""This month's budget report: every budget's use and projection (the `budgets:` entries last,
from the invocation-log estimate), and the unbudgeted teams' spend.

``report_lines`` and ``forecast_scope`` are pure; ``budget_report`` reads the database around them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from core.aws_forecast import ForecastScope
from core.budgets import ALL_SERVICES, sync_budgets
from core.models import CostDaily
from core.projection import Projection, month_bounds
from core.queries.budgets import BudgetUse, budget_use, team_projections
from core.queries.costs import cost_lines
from core.queries.principal_spend import scoped_budget_use
from core.scoped_budgets import ScopedBudgetConfig
from core.settings import MonitorConfig

# AWS's rest-of-month forecast per team for a scope, as of a day (see core.aws_forecast)
Forecaster = Callable[[ForecastScope, date], Mapping[str, Decimal]]


@dataclass(frozen=True)
class BudgetLine:
    """One line of the report: a budget, or a team with spend and no budget (service "all")."""

    team: str
    service: str
    budget_usd: Decimal | None
    spent_usd: Decimal
    used: Decimal | None
    projected_usd: Decimal
    projected_use: Decimal | None
    crosses_on: date | None
    method: str


def report_lines(
    uses: Sequence[BudgetUse], projections: Mapping[str, Projection]
) -> list[BudgetLine]:
    """The budgets in their order, then every team without a budget that spent or will spend."""
    budgeted = {use.team for use in uses}
    lines = [
        BudgetLine(
            team=use.team,
            service=use.service,
            budget_usd=use.budget_usd,
            spent_usd=use.spent_usd,
            used=use.used,
            projected_usd=use.projection.projected_usd,
            projected_use=use.projected_use,
            crosses_on=use.projection.crosses_on,
            method=use.projection.method,
        )
        for use in uses
    ]
    lines.extend(
        BudgetLine(
            team=team,
            service=ALL_SERVICES,
            budget_usd=None,
            spent_usd=projection.spent_usd,
            used=None,
            projected_usd=projection.projected_usd,
            projected_use=None,
            crosses_on=None,
            method=projection.method,
        )
        for team, projection in projections.items()
        if team not in budgeted and (projection.spent_usd or projection.projected_usd)
    )
    return lines


def forecast_scope(lines: Iterable[CostDaily], teams: Iterable[str]) -> ForecastScope:
    """What to ask AWS to forecast: the month's cost lines' teams (and the configured ones),
    accounts and services."""
    found = list(lines)
    return ForecastScope(
        teams=tuple(sorted({line.team for line in found} | set(teams))),
        accounts=tuple(sorted({line.account_id for line in found})),
        services=tuple(sorted({line.service for line in found})),
    )


def budget_report(
    sessions: sessionmaker[Session],
    config: MonitorConfig,
    now: datetime,
    forecaster: Forecaster | None = None,
) -> list[BudgetLine]:
    """Sync the config's budgets, then report this month; with a forecaster, AWS's forecast
    replaces the project's own projection of the rest of the month where AWS has one."""
    with sessions.begin() as session:
        sync_budgets(session, config, now)
    with sessions() as session:
        forecasts: Mapping[str, Decimal] = {}
        if forecaster is not None:
            start, end = month_bounds(now.date())
            scope = forecast_scope(
                cost_lines(session, start, end), (team.name for team in config.teams)
            )
            forecasts = forecaster(scope, now.date())
        lines = report_lines(
            budget_use(session, now, forecasts), team_projections(session, now, forecasts)
        )
        return lines + scoped_lines(scoped_budget_use(session, now, config.budgets))


def scoped_lines(uses: Iterable[tuple[ScopedBudgetConfig, Projection]]) -> list[BudgetLine]:
    """The `budgets:` entries as report lines: team ``budget/<name>``, spend from the estimate."""
    return [
        BudgetLine(
            team=f"budget/{budget.name}",
            service=ALL_SERVICES,
            budget_usd=projection.budget_usd,
            spent_usd=projection.spent_usd,
            used=projection.used,
            projected_usd=projection.projected_usd,
            projected_use=projection.projected_use,
            crosses_on=projection.crosses_on,
            method=f"{projection.method}, invocation-log estimate",
        )
        for budget, projection in uses
    ]
