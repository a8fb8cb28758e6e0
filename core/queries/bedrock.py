"""Bedrock token usage: the hourly rows, their cost per hour, slices per key and day, model usage."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, null, select
from sqlalchemy.orm import Session

from core.models import BedrockUsageHourly
from core.models_rollups import RollupDailyBedrockUsage
from core.queries.common import as_day, between, chosen, usd
from core.queries.daily import Part, parts
from core.usage import ModelUsage

# The dimensions Bedrock usage can be grouped by, and the column behind each.
BEDROCK_DIMENSIONS = {
    "model": BedrockUsageHourly.base_model_id,
    "model_id": BedrockUsageHourly.model_id,
    "region": BedrockUsageHourly.region,
    "team": BedrockUsageHourly.team,
    "account": BedrockUsageHourly.account_id,
    # bedrock-runtime or bedrock-mantle (the OpenAI-compatible and Messages APIs)
    "endpoint": BedrockUsageHourly.endpoint,
}


def bedrock_usage(
    session: Session,
    start: datetime | None = None,
    end: datetime | None = None,
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
) -> Iterator[BedrockUsageHourly]:
    """Hourly Bedrock usage rows in [start, end), oldest first, streamed from the database."""
    usage = BedrockUsageHourly
    conditions = between(usage.hour, start, end)
    conditions += chosen((usage.team, teams), (usage.account_id, accounts), (usage.region, regions))
    statement = (
        select(usage)
        .where(*conditions)
        .order_by(usage.hour, usage.account_id, usage.region, usage.model_id)
    )
    yield from session.scalars(statement.execution_options(yield_per=2000))


def bedrock_hourly_cost(
    session: Session, start: datetime, end: datetime
) -> list[tuple[datetime, str, str, Decimal]]:
    """(hour, team, base model, estimated USD) for every priced Bedrock hour in [start, end)."""
    usage = BedrockUsageHourly
    statement = (
        select(usage.hour, usage.team, usage.base_model_id, func.sum(usage.estimated_cost_usd))
        .where(usage.hour >= start, usage.hour < end, usage.priced.is_(True))
        .group_by(usage.hour, usage.team, usage.base_model_id)
    )
    return [
        (hour, team, model, Decimal(str(cost or 0)))
        for hour, team, model, cost in session.execute(statement)
    ]


# the counts a slice sums, in the order of its fields
SLICE_COUNTS = (
    "invocations",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "client_errors",
    "server_errors",
    "throttles",
)


@dataclass(frozen=True)
class BedrockSlice:
    """Bedrock usage summed over one key (model, profile, region, team or account), per day or in all."""

    day: date | None
    key: str
    invocations: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    client_errors: int
    server_errors: int
    throttles: int
    estimated_cost_usd: Decimal
    unpriced_hours: int


def bedrock_slices(
    session: Session,
    start: datetime,
    end: datetime,
    by: str = "model",
    per_day: bool = True,
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
) -> list[BedrockSlice]:
    """Bedrock usage in [start, end) grouped by ``by`` (a BEDROCK_DIMENSIONS key), and by UTC day
    unless ``per_day`` is False; whole days are read from the daily rollup."""
    sums: dict[tuple[date | None, str], list[Any]] = {}
    for part in parts(session, BedrockUsageHourly, RollupDailyBedrockUsage, start, end):
        for row_day, name, *values in session.execute(
            _slice_statement(part, by, per_day, teams, accounts, regions)
        ):
            key = (as_day(row_day) if per_day else None, name)
            found = [int(v or 0) for v in values[:-2]] + [usd(values[-2]), int(values[-1] or 0)]
            sums[key] = (
                [a + b for a, b in zip(sums[key], found, strict=True)] if key in sums else found
            )
    result = [BedrockSlice(day, name, *values) for (day, name), values in sums.items()]
    return sorted(result, key=lambda s: (s.day or date.min, -s.estimated_cost_usd, s.key))


def _slice_statement(
    part: Part,
    by: str,
    per_day: bool,
    teams: list[str] | None,
    accounts: list[str] | None,
    regions: list[str] | None,
) -> Any:
    """The sums of one part of the window: (day or NULL, key, counts, cost, unpriced hours)."""
    table = part.table
    key = part.column(BEDROCK_DIMENSIONS[by])
    day = part.day if per_day else null()
    groups = [part.day, key] if per_day else [key]
    return (
        select(
            day,
            key,
            *(func.sum(getattr(table, name)) for name in SLICE_COUNTS),
            func.sum(table.estimated_cost_usd),
            func.sum(case((table.priced.is_(False), part.rows), else_=0)),
        )
        .where(*part.where)
        .where(*chosen((table.team, teams), (table.account_id, accounts), (table.region, regions)))
        .group_by(*groups)
    )


def model_usage(
    session: Session,
    start: datetime,
    end: datetime,
    teams: list[str] | None = None,
    regions: list[str] | None = None,
) -> list[ModelUsage]:
    """Per Bedrock model, team and region of ``teams`` and ``regions``: tokens over [start, end) and the busiest hour's tokens."""
    usage = BedrockUsageHourly
    per_hour = (
        select(
            usage.model_id,
            usage.base_model_id,
            usage.team,
            usage.region,
            usage.hour,
            func.sum(usage.input_tokens).label("tokens_in"),
            func.sum(usage.output_tokens).label("tokens_out"),
        )
        .where(usage.hour >= start, usage.hour < end)
        .where(*chosen((usage.team, teams), (usage.region, regions)))
        .group_by(usage.model_id, usage.base_model_id, usage.team, usage.region, usage.hour)
        .subquery()
    )
    statement = select(
        per_hour.c.model_id,
        per_hour.c.base_model_id,
        per_hour.c.team,
        per_hour.c.region,
        func.sum(per_hour.c.tokens_in),
        func.sum(per_hour.c.tokens_out),
        func.max(per_hour.c.tokens_in),
        func.max(per_hour.c.tokens_out),
    ).group_by(per_hour.c.model_id, per_hour.c.base_model_id, per_hour.c.team, per_hour.c.region)
    hours = max(1, int((end - start).total_seconds() // 3600))
    return sorted(
        (
            ModelUsage(
                model,
                base,
                team,
                region,
                hours,
                int(tokens_in or 0),
                int(tokens_out or 0),
                int(peak_in or 0),
                int(peak_out or 0),
            )
            for model, base, team, region, tokens_in, tokens_out, peak_in, peak_out in session.execute(
                statement
            )
        ),
        key=lambda row: (row.team, row.model_id, row.region),
    )
