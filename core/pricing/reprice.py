"""Re-price stored Bedrock usage estimates with the prices in force at each hour (on request only)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.models import BedrockUsageHourly as Usage
from core.pricing.dated import DatedTokenPrices
from core.pricing.tokens import TokenUsage, estimate_cost, foundation_model_id
from core.rollups import BEDROCK, refresh_rollups

BATCH_ROWS = 5000
KEY = (Usage.account_id, Usage.region, Usage.model_id, Usage.hour)


@dataclass
class RepriceReport:
    """How many rows were read and changed, and by how many dollars in total."""

    rows: int = 0
    changed: int = 0
    difference: Decimal = Decimal(0)


def _window(since: datetime, until: datetime | None) -> list[Any]:
    clauses = [Usage.hour >= since]
    if until is not None:
        clauses.append(Usage.hour < until)
    return clauses


def count_rows(session: Session, since: datetime, until: datetime | None) -> int:
    """How many usage rows the window holds (a progress bar's length)."""
    return int(
        session.scalar(select(func.count()).select_from(Usage).where(*_window(since, until))) or 0
    )


def _stored_before_routing(row: Any) -> str | None:
    """The routed id of a row stored before ``routed_model_id`` was: a model or system profile
    id names its own routing scope; an application profile's is unknown (priced in-region)."""
    return row.model_id if foundation_model_id(row.model_id) == row.base_model_id else None


def _repriced(row: Any, prices: DatedTokenPrices) -> dict[str, Any]:
    usage = TokenUsage(
        row.input_tokens, row.output_tokens, row.cache_read_tokens, row.cache_write_tokens
    )
    routed = row.routed_model_id or _stored_before_routing(row)
    price = prices.price(routed or row.base_model_id, row.region, row.hour, called_as=routed)
    cost = estimate_cost(price, usage)
    return {
        "estimated_cost_usd": cost,
        "priced": cost is not None,
        "price_source": price.source if price else None,
        "price_as_of": price.as_of if price else None,
    }


def reprice_bedrock(
    session: Session,
    prices: DatedTokenPrices,
    since: datetime,
    until: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> RepriceReport:
    """Re-price every usage row from ``since`` (to ``until``) at the price in force in its hour.

    Rows are read in batches; only rows whose estimate, priced flag or price source change are
    written. ``progress`` is told how many rows each batch read.
    """
    report = RepriceReport()
    changes: list[dict[str, Any]] = []
    columns = (
        *KEY,
        Usage.base_model_id,
        Usage.routed_model_id,
        Usage.input_tokens,
        Usage.output_tokens,
        Usage.cache_read_tokens,
        Usage.cache_write_tokens,
        Usage.estimated_cost_usd,
        Usage.priced,
        Usage.price_source,
        Usage.price_as_of,
    )
    statement = select(*columns).where(*_window(since, until)).order_by(*KEY)
    for batch in session.execute(statement.execution_options(yield_per=BATCH_ROWS)).partitions():
        for row in batch:
            new = _repriced(row, prices)
            if any(getattr(row, name) != value for name, value in new.items()):
                key = {column.key: getattr(row, column.key) for column in KEY}
                changes.append({**key, **new})
                report.difference += (new["estimated_cost_usd"] or 0) - (
                    row.estimated_cost_usd or 0
                )
        report.rows += len(batch)
        if progress:
            progress(len(batch))
    for start in range(0, len(changes), BATCH_ROWS):
        session.execute(update(Usage), changes[start : start + BATCH_ROWS])
    _refresh_days(session, changes)
    report.changed = len(changes)
    return report


def _refresh_days(session: Session, changes: list[dict[str, Any]]) -> None:
    """Rewrite the daily rollup of the (account, region) days whose rows changed."""
    spans: dict[tuple[str, str], tuple[datetime, datetime]] = {}
    for change in changes:
        target, hour = (change["account_id"], change["region"]), change["hour"]
        first, last = spans.get(target, (hour, hour))
        spans[target] = (min(first, hour), max(last, hour))
    for (account_id, region), (first, last) in spans.items():
        refresh_rollups(session, [BEDROCK], account_id, region, first, last + timedelta(hours=1))
