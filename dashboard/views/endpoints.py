"""The Endpoints page's view model: every endpoint alive in the window, idle ones marked."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from sqlalchemy.orm import Session

from core.queries.billed import with_billed
from core.queries.endpoints import endpoint_summaries
from core.queries.price_sources import endpoint_price_mix
from dashboard.context import CENT, cents
from dashboard.filters import Filters
from dashboard.views.price_sources import price_sources_line

ENDPOINT_COLUMNS = [
    "endpoint_name",
    "team",
    "account_id",
    "region",
    "status",
    "endpoint_type",
    "instance_type",
    "instance_count",
    "hours_in_service",
    "idle_hours",
    "last_invocation_at",
    "invocations",
    "estimated_cost_usd",
    "billed_usd",
    "idle_cost_usd",
    "idle",
]


def endpoints_frame(session: Session, filters: Filters, idle_threshold: Decimal) -> pd.DataFrame:
    """Every endpoint alive in the window with its hours, calls, cost and idle streak (as of the window's end)."""
    start, end = filters.window
    summaries = with_billed(
        session,
        endpoint_summaries(
            session, start, end, filters.team_list(), filters.account_list(), filters.region_list()
        ),
        start,
        end,
    )
    rows = [
        [
            s.endpoint_name,
            s.team,
            s.account_id,
            s.region,
            s.status,
            s.endpoint_type,
            s.instance_type,
            s.instance_count,
            s.hours_in_service.quantize(CENT),
            None if s.idle_hours is None else s.idle_hours.quantize(CENT),
            s.last_invocation_at,
            s.invocations,
            cents(s.estimated_cost_usd),
            cents(s.billed_usd),
            cents(s.idle_cost_usd),
            s.idle_for(idle_threshold),
        ]
        for s in summaries
    ]
    frame = pd.DataFrame(rows, columns=ENDPOINT_COLUMNS)
    # without CUR lines for any endpoint shown, the billed column would be empty: leave it out
    if frame.empty or frame["billed_usd"].isna().all():
        frame = frame.drop(columns=["billed_usd"])
    return frame


def endpoint_sources_line(session: Session, filters: Filters) -> str:
    """Where the window's endpoint estimate's prices came from, in one line."""
    start, end = filters.window
    where = (filters.team_list(), filters.account_list(), filters.region_list())
    mix = endpoint_price_mix(session, start, end, *where)
    return price_sources_line(mix, "instance-hours", "endpoint-hours")
