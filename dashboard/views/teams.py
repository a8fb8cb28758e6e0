"""The Teams page's view model: one team's spend by service and model, budget burn-down, endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
from sqlalchemy.orm import Session

from core.projection import Projection, month_bounds, project_month
from core.queries.bedrock import bedrock_slices
from core.queries.budgets import team_budgets, team_daily_history
from core.queries.costs import spend_daily
from core.queries.price_sources import bedrock_price_mix
from dashboard.context import ZERO, DashboardContext, cents
from dashboard.filters import Filters
from dashboard.views.bedrock import bedrock_sources_line
from dashboard.views.endpoints import endpoint_sources_line, endpoints_frame


@dataclass(frozen=True)
class TeamData:
    """One team: spend by service and Bedrock cost by model per day, budget burn-down, endpoints."""

    team: str
    spend_by_service: pd.DataFrame
    cost_by_model: pd.DataFrame
    burn_down: pd.DataFrame
    budget_usd: Decimal | None
    projected_usd: Decimal | None
    endpoints: pd.DataFrame
    spend_usd: Decimal
    idle_waste_usd: Decimal
    # where the team's Bedrock and endpoint estimates' prices came from, one line each
    bedrock_price_sources: str
    endpoint_price_sources: str


def daily_frame(rows: list[tuple[date, str, Decimal]], key: str) -> pd.DataFrame:
    """(day, key, amount) rows as a frame with columns day, <key>, amount_usd."""
    return pd.DataFrame(
        [[day, name, cents(amount)] for day, name, amount in rows],
        columns=["day", key, "amount_usd"],
    )


def burn_down_frame(daily: dict[date, Decimal], projection: Projection) -> pd.DataFrame:
    """Cumulative spend of the projection's month: actual to date, then the projection."""
    as_of = projection.as_of
    month_start, month_end = month_bounds(as_of)
    rows, running = [], ZERO
    day = month_start
    while day < month_end:
        # today is still open: it counts with the projection (at least what it has spent)
        if day < as_of:
            running += daily.get(day, ZERO)
        else:
            running += projection.forecast.get(day, ZERO)
        rows.append([day, cents(running), "actual" if day < as_of else "projected"])
        day += timedelta(days=1)
    return pd.DataFrame(rows, columns=["day", "cumulative_usd", "kind"])


def team_data(context: DashboardContext, session: Session, filters: Filters, team: str) -> TeamData:
    """Everything the Teams page shows for one team."""
    first, after = filters.day_range
    accounts = filters.account_list()
    by_service = spend_daily(session, first, after, "service", [team], accounts)
    start, end = filters.window
    models = bedrock_slices(
        session, start, end, "model", True, [team], accounts, filters.region_list()
    )
    cost_by_model = pd.DataFrame(
        [[s.day, s.key, cents(s.estimated_cost_usd)] for s in models],
        columns=["day", "model", "amount_usd"],
    )
    mixes = bedrock_price_mix(session, start, end, (), [team], accounts, filters.region_list())
    as_of = min(filters.end, context.today())
    daily = team_daily_history(session, as_of, [team], accounts).get(team, {})
    budget = team_budgets(session, as_of, [team]).get(team)
    projection = project_month(daily, as_of, budget)
    endpoints = endpoints_frame(session, filters, context.idle_threshold_hours())
    idle_waste = sum(
        (
            v
            for v, idle in zip(endpoints["idle_cost_usd"], endpoints["idle"], strict=True)
            if idle and v is not None
        ),
        ZERO,
    )
    return TeamData(
        team=team,
        spend_by_service=daily_frame(by_service, "service"),
        cost_by_model=cost_by_model,
        burn_down=burn_down_frame(daily, projection),
        budget_usd=cents(budget),
        projected_usd=projection.projected_usd if daily or budget else None,
        endpoints=endpoints,
        spend_usd=cents(sum((amount for _d, _s, amount in by_service), ZERO)) or ZERO,
        idle_waste_usd=cents(idle_waste) or ZERO,
        bedrock_price_sources=bedrock_sources_line(mixes),
        endpoint_price_sources=endpoint_sources_line(session, filters),
    )
