"""The Bedrock page's view model: usage per day and key, totals per key, the estimate next to the bill."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from core.queries.bedrock import SLICE_COUNTS, BedrockSlice, bedrock_slices
from core.queries.daily_reconciliation import daily_reconciliation
from core.queries.effective_rates import model_key
from core.queries.model_reconciliation import (
    PricedWindow,
    model_reconciliation,
    priced_window,
)
from core.queries.price_sources import PriceMix, bedrock_price_mix
from core.queries.principals import principal_price_sources, principal_slices
from dashboard.context import ZERO, cents
from dashboard.filters import Filters
from dashboard.views.bedrock_batch import BatchSummary, batch_summary
from dashboard.views.price_sources import price_sources_cell, price_sources_line

# the summed counts of a slice, in column order
COUNTS = list(SLICE_COUNTS)
MODEL_COLUMNS = ["model", *COUNTS, "estimated_cost_usd", "unpriced_hours"]
# where each row's prices came from (the Price List, genai-prices, shipped data, an override)
SOURCE_COLUMN = "price_source"
DAILY_COLUMNS = ["day", "key", *COUNTS, "estimated_cost_usd"]
# per team and model: the estimate at list price, at the bill's effective rates, and the bill
MODEL_RECONCILIATION_COLUMNS = [
    "team",
    "model",
    "list_estimate_usd",
    "effective_estimate_usd",
    "billed_usd",
    "gap_pct",
    SOURCE_COLUMN,
]
# per day: the estimate at list price, at the bill's effective rates, the bill, and the gap
RECONCILIATION_COLUMNS = [
    "day",
    "list_estimate_usd",
    "effective_estimate_usd",
    "billed_usd",
    "gap_usd",
    "estimate_basis",
]
PCT = Decimal("0.1")


@dataclass(frozen=True)
class BedrockData:
    """Bedrock usage per day and key, totals per key, and the estimate next to the bill per day."""

    by: str
    daily: pd.DataFrame
    totals: pd.DataFrame
    reconciliation: pd.DataFrame
    model_reconciliation: pd.DataFrame
    # where the page's estimates' prices came from, in one line
    price_sources: str
    # batch inference, apart from on-demand (its tokens are in no row above)
    batch: BatchSummary


def _counts(s: BedrockSlice) -> list[int]:
    return [getattr(s, name) for name in COUNTS]


def bedrock_totals_frame(session: Session, filters: Filters, by: str = "model") -> pd.DataFrame:
    """Bedrock usage over the window summed per ``by``, costliest first."""
    start, end = filters.window
    where = (filters.team_list(), filters.account_list(), filters.region_list())
    slices = bedrock_slices(session, start, end, by, False, *where)
    rows = [[s.key, *_counts(s), cents(s.estimated_cost_usd), s.unpriced_hours] for s in slices]
    return pd.DataFrame(rows, columns=MODEL_COLUMNS)


def bedrock_sources(
    session: Session, filters: Filters, by: str = "model"
) -> dict[tuple[str, ...], PriceMix]:
    """Where the window's Bedrock estimate's prices came from, per ``by`` key."""
    start, end = filters.window
    where = (filters.team_list(), filters.account_list(), filters.region_list())
    return bedrock_price_mix(session, start, end, (by,), *where)


def with_sources(totals: pd.DataFrame, mixes: dict[tuple[str, ...], PriceMix]) -> pd.DataFrame:
    """Totals per key with a column saying where each row's prices came from."""
    cells = [price_sources_cell(mixes.get((key,))) for key in totals["model"]]
    return totals.assign(**{SOURCE_COLUMN: cells})


def bedrock_sources_line(mixes: dict[tuple[str, ...], PriceMix]) -> str:
    """Where the Bedrock estimate's prices came from, in one line."""
    return price_sources_line(PriceMix.merged(mixes.values()), "tokens", "model-hours")


def totals_from_daily(slices: list[BedrockSlice]) -> pd.DataFrame:
    """Per-day slices folded into one row per key, costliest first (saves a second pass over the hours)."""
    folded: dict[str, list[Any]] = {}
    for s in slices:
        row = folded.setdefault(s.key, [s.key, *[0] * len(COUNTS), ZERO, 0])
        for index, value in enumerate(
            (*_counts(s), s.estimated_cost_usd, s.unpriced_hours), start=1
        ):
            row[index] += value
    cost = len(COUNTS) + 1
    rows = sorted(folded.values(), key=lambda row: (-row[cost], row[0]))
    for row in rows:
        row[cost] = cents(row[cost])
    return pd.DataFrame(rows, columns=MODEL_COLUMNS)


def estimate_basis(billed_day: bool, rate_day: date | None) -> str:
    """What a day's effective-rate estimate rests on: the day's bill, or the latest rate known."""
    if billed_day:
        return "billed"
    if rate_day is None:
        return "not billed yet: list price (no effective rate)"
    return f"not billed yet: rate of {rate_day.isoformat()}"


def reconciliation_frame(
    session: Session,
    filters: Filters,
    teams: list[str] | None,
    priced: PricedWindow | None = None,
) -> pd.DataFrame:
    """List estimate, effective-rate estimate and the bill per day (empty under an account or
    region filter); days the bill does not cover yet are at the latest effective rate known."""
    first, after = filters.day_range
    # the bill has no region: a region filter would make estimate and bill incomparable
    reconciled: dict[date, list[Any]] = {}
    if not filters.region_list() and not filters.account_list():
        for row in daily_reconciliation(session, first, after, teams, priced):
            day = reconciled.setdefault(row.day, [ZERO, ZERO, ZERO, row.billed_day, row.rate_day])
            day[0] += row.list_usd
            day[1] += row.effective_usd
            day[2] += row.billed_usd
    return pd.DataFrame(
        [
            [
                day,
                cents(listed),
                cents(effective),
                cents(billed),
                cents(billed - effective) if billed_day else None,
                estimate_basis(billed_day, rate_day),
            ]
            for day, (listed, effective, billed, billed_day, rate_day) in sorted(reconciled.items())
        ],
        columns=RECONCILIATION_COLUMNS,
    )


def model_reconciliation_frame(
    session: Session,
    filters: Filters,
    teams: list[str] | None,
    priced: PricedWindow | None = None,
) -> pd.DataFrame:
    """List estimate, effective-rate estimate and bill per team and model, with the remaining gap
    in percent and the list estimate's price sources (empty under an account or region filter,
    like the daily reconciliation)."""
    first, after = filters.day_range
    rows = []
    if not filters.region_list() and not filters.account_list():
        start, end = filters.window
        by_model: dict[tuple[str, str], list[PriceMix]] = {}
        for (team, model), mix in bedrock_price_mix(
            session, start, end, ("team", "model"), teams
        ).items():
            by_model.setdefault((team, model_key(model)), []).append(mix)
        rows = [
            [
                row.team,
                row.model,
                cents(row.list_usd),
                cents(row.effective_usd),
                cents(row.billed_usd),
                None if row.gap_pct is None else row.gap_pct.quantize(PCT),
                _cell(by_model.get((row.team, model_key(row.model)))),
            ]
            for row in model_reconciliation(session, first, after, teams, priced)
        ]
    return pd.DataFrame(rows, columns=MODEL_RECONCILIATION_COLUMNS)


def _cell(mixes: list[PriceMix] | None) -> str | None:
    """The price sources of a reconciliation row; None for a row the bill alone has."""
    return price_sources_cell(PriceMix.merged(mixes)) if mixes else None


# the grouping read from the invocation logs (principal_usage_hourly), not the token metrics
PRINCIPAL = "principal"


def _principal_totals(
    session: Session, filters: Filters, slices: list[BedrockSlice]
) -> pd.DataFrame:
    """Per principal: the totals and where its rows' prices came from."""
    where = (filters.team_list(), filters.account_list(), filters.region_list())
    sources = principal_price_sources(session, *filters.window, *where)
    totals = totals_from_daily(slices)
    cells = ["; ".join(sources.get(key, [])) or "unpriced" for key in totals["model"]]
    return totals.assign(**{SOURCE_COLUMN: cells})


def bedrock_data(session: Session, filters: Filters, by: str) -> BedrockData:
    """Everything the Bedrock page shows for these filters, grouped by ``by`` (``principal``:
    the invocation logs' per-principal rows, the rest of the page as for any grouping)."""
    start, end = filters.window
    teams, accounts, regions = filters.team_list(), filters.account_list(), filters.region_list()
    if by == PRINCIPAL:
        slices = principal_slices(session, start, end, True, teams, accounts, regions)
    else:
        slices = bedrock_slices(session, start, end, by, True, teams, accounts, regions)
    daily = pd.DataFrame(
        [[s.day, s.key, *_counts(s), s.estimated_cost_usd] for s in slices],
        columns=DAILY_COLUMNS,
    )
    mixes = bedrock_sources(session, filters, "model" if by == PRINCIPAL else by)
    totals = (
        _principal_totals(session, filters, slices)
        if by == PRINCIPAL
        else with_sources(totals_from_daily(slices), mixes)
    )
    # both reconciliations price the same hours: once (none under an account or region filter)
    priced = None if regions or accounts else priced_window(session, *filters.day_range, teams)
    return BedrockData(
        by,
        daily,
        totals,
        reconciliation_frame(session, filters, teams, priced),
        model_reconciliation_frame(session, filters, teams, priced),
        bedrock_sources_line(mixes),
        batch_summary(session, filters),
    )
