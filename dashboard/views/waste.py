"""The Waste page's view model (also the Overview's card and the weekly digest's top five):
every idle resource as a row, money in cents for display."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy.orm import Session

from core.queries.savings import by_resource, stopped_intervals
from core.queries.waste import WASTE_FIELDS, UnderUse, WasteRow, WasteScope, waste_rows
from dashboard.context import CENT, DashboardContext, cents
from dashboard.filters import Filters

# the table's columns: the export's, with the long ARN after what people read first
WASTE_COLUMNS = [
    "kind",
    "name",
    "team",
    "account_id",
    "region",
    "idle_since",
    "idle_hours",
    "burnt_usd",
    "monthly_usd",
    "action",
    "resource",
]


def waste_frame(rows: list[WasteRow]) -> pd.DataFrame:
    """Waste rows as a frame (the export's columns), money in cents and hours to 0.01."""
    return pd.DataFrame(
        [
            [
                row.kind,
                row.resource,
                row.name,
                row.account_id,
                row.region,
                row.team,
                row.idle_since,
                row.idle_hours.quantize(CENT),
                cents(row.burnt_usd),
                cents(row.monthly_usd),
                row.action,
            ]
            for row in rows
        ],
        columns=list(WASTE_FIELDS),
    )


def waste_as_of(context: DashboardContext, filters: Filters) -> datetime:
    """The moment the page's waste is taken at: the end of the days shown, or now if sooner."""
    return min(filters.window[1], context.clock())


def filtered_waste(
    session: Session,
    filters: Filters,
    at: datetime,
    min_idle: Mapping[str, timedelta],
    under_use: UnderUse | None = None,
) -> pd.DataFrame:
    """The waste of the filters' teams, accounts and regions as of ``at``, the costliest first."""
    scope = WasteScope(
        at=at,
        teams=filters.team_list(),
        accounts=filters.account_list(),
        regions=filters.region_list(),
        min_idle=min_idle,
        under_use=under_use or UnderUse(),
    )
    return waste_frame(waste_rows(session, scope))


SAVED_COLUMNS = ["name", "kind", "team", "stopped_now", "hours_stopped", "saved_usd", "resource"]


def saved_frame(session: Session, filters: Filters, at: datetime) -> pd.DataFrame:
    """The resources stopped by actions in the days shown (until ``at``) and what each saved:
    its price x the hours it stayed stopped; the biggest saving first."""
    start, _end = filters.window
    intervals = stopped_intervals(
        session, at, filters.team_list(), start, at, filters.account_list()
    )
    regions = set(filters.region_list() or ())
    rows = [
        [
            row.name,
            row.kind,
            row.team,
            "yes" if row.stopped_now else "no",
            row.hours.quantize(CENT),
            cents(row.saved_usd),
            row.resource_arn,
        ]
        for row in by_resource(intervals)
        if not regions or row.resource_arn.split(":")[3] in regions
    ]
    return pd.DataFrame(rows, columns=SAVED_COLUMNS)
