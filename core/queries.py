"""Read-side queries shared by the collectors' runner, alerts, exports and the dashboard."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
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
