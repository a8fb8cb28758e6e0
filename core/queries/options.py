"""The teams, accounts and regions a filter can offer: those with data or configured as known."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import BedrockUsageHourly, Budget, CostDaily, Endpoint


@dataclass(frozen=True)
class FilterOptions:
    """The teams, accounts and regions a dashboard filter can offer for a window."""

    teams: list[str]
    accounts: list[str]
    regions: list[str]


def filter_options(session: Session, start: datetime, end: datetime) -> FilterOptions:
    """Teams, accounts and regions with data in [start, end) or a known endpoint or budget."""
    usage = BedrockUsageHourly
    in_window = (usage.hour >= start, usage.hour < end)
    days = (CostDaily.day >= start.date(), CostDaily.day < end.date() + timedelta(days=1))
    teams = set(session.scalars(select(usage.team).where(*in_window).distinct()))
    teams |= set(session.scalars(select(CostDaily.team).where(*days).distinct()))
    teams |= set(session.scalars(select(Endpoint.team).distinct()))
    teams |= set(session.scalars(select(Budget.team).distinct()))
    accounts = set(session.scalars(select(usage.account_id).where(*in_window).distinct()))
    accounts |= set(session.scalars(select(CostDaily.account_id).where(*days).distinct()))
    accounts |= set(session.scalars(select(Endpoint.account_id).distinct()))
    regions = set(session.scalars(select(usage.region).where(*in_window).distinct()))
    regions |= set(session.scalars(select(Endpoint.region).distinct()))
    return FilterOptions(sorted(teams), sorted(accounts), sorted(regions))
