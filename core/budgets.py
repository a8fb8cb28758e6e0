"""Budgets: the config's monthly amounts per team (and per team and service), synced into ``budgets``.

A budget row is one team's budget for one calendar month (period ``YYYY-MM``). Syncing writes
the current month from the config: a new or changed amount is upserted, and a budget removed
from the config is deleted from the current month. Past months are never touched, so each
month keeps the budget that applied to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.db import upsert
from core.models import Budget
from core.settings import MonitorConfig
from core.timeutil import as_utc

ALL_SERVICES = "all"


@dataclass(frozen=True)
class BudgetSpec:
    """One configured monthly budget."""

    team: str
    service: str
    amount_usd: Decimal


def period_of(day: date) -> str:
    """The budget period (``YYYY-MM``) a day falls in."""
    return f"{day.year:04d}-{day.month:02d}"


def budget_status(used: Decimal | None, projected_use: Decimal | None) -> str:
    """A word for a budget: over, at risk (projected over), or on track."""
    if used is not None and used > 1:
        return "over"
    if projected_use is not None and projected_use > 1:
        return "at risk"
    return "on track"


def configured_budgets(config: MonitorConfig) -> list[BudgetSpec]:
    """Every monthly budget the config sets, per team and per team and service."""
    specs = []
    for team in config.teams:
        if team.monthly_budget_usd is not None:
            specs.append(BudgetSpec(team.name, ALL_SERVICES, _usd(team.monthly_budget_usd)))
        for service, amount in sorted(team.monthly_service_budgets_usd.items()):
            specs.append(BudgetSpec(team.name, service, _usd(amount)))
    return specs


def _usd(value: float) -> Decimal:
    # via str: the YAML float 5000.1 must become Decimal("5000.1"), not its binary expansion
    return Decimal(str(value)).quantize(Decimal("0.000001"))


def sync_budgets(session: Session, config: MonitorConfig, now: datetime) -> int:
    """Write the config's budgets for the month of ``now``; returns how many budgets it sets."""
    period = period_of(as_utc(now).date())
    specs = configured_budgets(config)
    wanted = {(spec.team, spec.service) for spec in specs}
    stored = session.execute(
        select(Budget.team, Budget.service).where(Budget.period == period)
    ).all()
    for team, service in stored:
        if (team, service) not in wanted:
            session.execute(
                delete(Budget).where(
                    Budget.team == team, Budget.service == service, Budget.period == period
                )
            )
    rows = [
        {
            "team": spec.team,
            "service": spec.service,
            "period": period,
            "amount_usd": spec.amount_usd,
            "updated_at": as_utc(now),
        }
        for spec in specs
    ]
    return upsert(session, Budget, rows)
