"""Read-side queries shared by the collectors' runner, alerts, exports and the dashboard."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.models import BedrockUsageHourly, CollectorRun


def watermark(session: Session, source: str, account_id: str, region: str) -> datetime | None:
    """The end of the newest window a source collected successfully for a target."""
    statement = select(func.max(CollectorRun.window_end)).where(
        CollectorRun.source == source,
        CollectorRun.account_id == account_id,
        CollectorRun.region == region,
        CollectorRun.status == "succeeded",
    )
    return session.scalar(statement)


def bedrock_usage(
    session: Session,
    start: datetime | None = None,
    end: datetime | None = None,
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
) -> Iterator[BedrockUsageHourly]:
    """Hourly Bedrock usage rows in [start, end), oldest first, streamed from the database."""
    statement = select(BedrockUsageHourly)
    conditions: list[Any] = []
    if start is not None:
        conditions.append(BedrockUsageHourly.hour >= start)
    if end is not None:
        conditions.append(BedrockUsageHourly.hour < end)
    if teams:
        conditions.append(BedrockUsageHourly.team.in_(teams))
    if accounts:
        conditions.append(BedrockUsageHourly.account_id.in_(accounts))
    if regions:
        conditions.append(BedrockUsageHourly.region.in_(regions))
    statement = statement.where(*conditions).order_by(
        BedrockUsageHourly.hour,
        BedrockUsageHourly.account_id,
        BedrockUsageHourly.region,
        BedrockUsageHourly.model_id,
    )
    yield from session.scalars(statement.execution_options(yield_per=2000))


@dataclass(frozen=True)
class TeamUsage:
    """One team's Bedrock tokens and estimated cost over a period."""

    team: str
    invocations: int
    input_tokens: int
    output_tokens: int
    estimated_cost_usd: Decimal
    unpriced_hours: int


def bedrock_usage_by_team(session: Session, start: datetime | None = None, end: datetime | None = None) -> list[TeamUsage]:
    """Bedrock usage summed per team over [start, end), costliest first; unpriced hours counted apart."""
    usage = BedrockUsageHourly
    statement = select(
        usage.team,
        func.sum(usage.invocations),
        func.sum(usage.input_tokens),
        func.sum(usage.output_tokens),
        func.coalesce(func.sum(usage.estimated_cost_usd), 0),
        func.sum(case((usage.priced.is_(False), 1), else_=0)),
    ).group_by(usage.team)
    if start is not None:
        statement = statement.where(usage.hour >= start)
    if end is not None:
        statement = statement.where(usage.hour < end)
    rows = [
        TeamUsage(team, int(calls or 0), int(tokens_in or 0), int(tokens_out or 0), Decimal(str(cost)).quantize(Decimal("0.01")), int(unpriced or 0))
        for team, calls, tokens_in, tokens_out, cost, unpriced in session.execute(statement)
    ]
    return sorted(rows, key=lambda row: (-row.estimated_cost_usd, row.team))
