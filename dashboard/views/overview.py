"""The Overview page's view model: this month's spend vs budget per team, top models and endpoints, open alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
from sqlalchemy.orm import Session

from core.alert_state import AlertState
from core.budgets import period_of
from core.queries.alerts import alert_rows
from core.queries.attributed_share import REASONS, AttributedShare, attributed_share
from core.queries.budgets import team_projections
from core.queries.costs import spend_totals
from core.queries.savings import saved_in_month
from dashboard.context import ZERO, DashboardContext, cents
from dashboard.filters import Filters, day_start
from dashboard.views.alerts import alerts_frame
from dashboard.views.bedrock import (
    bedrock_sources,
    bedrock_sources_line,
    bedrock_totals_frame,
    with_sources,
)
from dashboard.views.endpoints import endpoint_sources_line, endpoints_frame
from dashboard.views.waste import filtered_waste, waste_as_of


@dataclass(frozen=True)
class OverviewData:
    """This month's spend vs budget per team, the window's top models and endpoints, open alerts."""

    month: str
    as_of: date
    month_spent_usd: Decimal
    # what stopped resources saved this month (price x hours stopped), beside what was spent
    month_saved_usd: Decimal
    budgets: pd.DataFrame
    top_models: pd.DataFrame
    top_endpoints: pd.DataFrame
    alerts: pd.DataFrame
    window_spend_usd: Decimal
    window_estimate_usd: Decimal
    # where the Bedrock and the endpoint estimates' prices came from, one line each
    bedrock_price_sources: str
    endpoint_price_sources: str
    waste_monthly_usd: Decimal  # what the idle resources cost a month if left running
    # this month's billed spend: with a team (by the bill's team, by principal) and the rest per reason
    attribution: AttributedShare


ATTRIBUTION_COLUMNS = ["attribution", "amount_usd", "share"]


def attribution_frame(share: AttributedShare) -> pd.DataFrame:
    """The month's spend per kind of attribution and per unattributed reason, with its share."""
    parts = [
        ("team (tag, profile, account)", sum(share.by_team_usd.values(), ZERO)),
        ("team by IAM principal", sum(share.by_principal_usd.values(), ZERO)),
        *(
            (f"unattributed: {reason}", share.unattributed_usd.get(reason, ZERO))
            for reason in REASONS
        ),
    ]
    total = share.total_usd
    return pd.DataFrame(
        [[name, cents(amount), amount / total if total else None] for name, amount in parts],
        columns=ATTRIBUTION_COLUMNS,
    )


BUDGET_COLUMNS = [
    "team",
    "spent_usd",
    "projected_usd",
    "budget_usd",
    "used",
    "projected_use",
    "crosses_on",
    "method",
]


def month_budgets(
    session: Session, as_of: date, teams: list[str] | None, accounts: list[str] | None
) -> pd.DataFrame:
    """Per team: billed spend this month to ``as_of``, projected month-end and the budget."""
    projections = team_projections(session, day_start(as_of), teams=teams, accounts=accounts)
    rows = [
        [
            team,
            p.spent_usd,
            p.projected_usd,
            cents(p.budget_usd),
            p.used,
            p.projected_use,
            p.crosses_on,
            p.method,
        ]
        for team, p in projections.items()
    ]
    frame = pd.DataFrame(rows, columns=BUDGET_COLUMNS)
    return (
        frame.sort_values(["projected_usd", "team"], ascending=[False, True], ignore_index=True)
        if rows
        else frame
    )


def _known_sum(values: pd.Series) -> Decimal:
    """The sum of the known amounts (an unknown one is not zero, but adds nothing)."""
    return sum((v for v in values if v is not None), ZERO)


def overview_data(context: DashboardContext, session: Session, filters: Filters) -> OverviewData:
    """Everything the Overview page shows for these filters."""
    as_of = min(filters.end, context.today())
    teams, accounts = filters.team_list(), filters.account_list()
    mixes = bedrock_sources(session, filters)
    models = with_sources(bedrock_totals_frame(session, filters), mixes)
    endpoints = endpoints_frame(session, filters, context.idle_threshold_hours())
    if not endpoints.empty:
        endpoints = endpoints.sort_values(
            "estimated_cost_usd",
            ascending=False,
            key=lambda c: c.map(lambda v: v if v is not None else ZERO),
            ignore_index=True,
        ).head(10)
    first, after = filters.day_range
    spend = sum(spend_totals(session, first, after, "team", teams, accounts).values(), ZERO)
    # the exact month total, not a sum of per-team amounts already rounded to cents
    month_spent = sum(
        spend_totals(
            session, as_of.replace(day=1), as_of + timedelta(days=1), "team", teams, accounts
        ).values(),
        ZERO,
    )
    waste = filtered_waste(
        session,
        filters,
        waste_as_of(context, filters),
        context.idle_thresholds(),
        context.under_use(),
    )
    saved = saved_in_month(
        session,
        period_of(as_of),
        min(day_start(as_of + timedelta(days=1)), context.clock()),
        teams,
        accounts,
    )
    share = attributed_share(
        session, as_of.replace(day=1), as_of + timedelta(days=1), teams, accounts
    )
    open_alerts = alert_rows(session, [AlertState.FIRING, AlertState.PENDING], teams=teams)
    return OverviewData(
        month=period_of(as_of),
        as_of=as_of,
        month_spent_usd=cents(month_spent) or ZERO,
        month_saved_usd=cents(saved) or ZERO,
        budgets=month_budgets(session, as_of, teams, accounts),
        top_models=models.head(10),
        top_endpoints=endpoints,
        alerts=alerts_frame(open_alerts),
        window_spend_usd=cents(spend) or ZERO,
        window_estimate_usd=cents(_known_sum(models["estimated_cost_usd"])) or ZERO,
        bedrock_price_sources=bedrock_sources_line(mixes),
        endpoint_price_sources=endpoint_sources_line(session, filters),
        waste_monthly_usd=_known_sum(waste["monthly_usd"]),
        attribution=share,
    )
