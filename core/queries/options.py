"""The teams, accounts and regions a filter can offer: those with data or configured as known."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import BedrockUsageHourly, Budget, CostDaily, Endpoint
from core.models_rollups import RollupDailyBedrockUsage
from core.queries.common import chosen
from core.queries.daily import parts


@dataclass(frozen=True)
class FilterOptions:
    """The teams, accounts and regions a dashboard filter can offer for a window."""

    teams: list[str]
    accounts: list[str]
    regions: list[str]


def filter_options(
    session: Session, start: datetime, end: datetime, teams: Sequence[str] | None = None
) -> FilterOptions:
    """Teams, accounts and regions with data in [start, end) or a known endpoint or budget (of ``teams``)."""
    days = (
        CostDaily.day >= start.date(),
        CostDaily.day < end.date() + timedelta(days=1),
        *chosen((CostDaily.team, teams)),
    )
    endpoints = chosen((Endpoint.team, teams))
    found, accounts, regions = set(), set(), set()
    # Bedrock usage: whole days from the daily rollup, the edges from the hourly rows
    for part in parts(session, BedrockUsageHourly, RollupDailyBedrockUsage, start, end):
        usage = part.table
        in_window = (*part.where, *chosen((usage.team, teams)))
        found |= set(session.scalars(select(usage.team).where(*in_window).distinct()))
        accounts |= set(session.scalars(select(usage.account_id).where(*in_window).distinct()))
        regions |= set(session.scalars(select(usage.region).where(*in_window).distinct()))
    found |= set(session.scalars(select(CostDaily.team).where(*days).distinct()))
    found |= set(session.scalars(select(Endpoint.team).where(*endpoints).distinct()))
    found |= set(
        session.scalars(select(Budget.team).where(*chosen((Budget.team, teams))).distinct())
    )
    accounts |= set(session.scalars(select(CostDaily.account_id).where(*days).distinct()))
    accounts |= set(session.scalars(select(Endpoint.account_id).where(*endpoints).distinct()))
    regions |= set(session.scalars(select(Endpoint.region).where(*endpoints).distinct()))
    return FilterOptions(sorted(found), sorted(accounts), sorted(regions))
