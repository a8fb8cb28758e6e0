"""Daily rollups of the hourly tables (DESIGN §2 ``rollup_daily_*``): the hourly key with the UTC
day for the hour, plus the columns the readers group by, summed. They are rewritten from the
hourly rows in the same transaction as each load (core/rollups.py), so long windows read a day
as one row and never depend on hourly rows older than the hourly retention.

A price source or date the hourly row lacks is stored as "" (key columns cannot be NULL).
Kept apart from core/models.py, which imports this module at its end (one ``Base.metadata``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base

Hours = Numeric(18, 6)  # summed fractions of hours


class RollupDailyBedrockUsage(Base):
    """bedrock_usage_hourly summed per UTC day, account, region, model id, base model, team,
    API endpoint and price (source, date, priced)."""

    __tablename__ = "rollup_daily_bedrock_usage"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    base_model_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    team: Mapped[str] = mapped_column(String(64), primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(32), primary_key=True)
    price_source: Mapped[str] = mapped_column(String(256), primary_key=True)
    price_as_of: Mapped[str] = mapped_column(String(32), primary_key=True)
    priced: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    hours: Mapped[int] = mapped_column(Integer)  # hourly rows summed
    invocations: Mapped[int] = mapped_column(BigInteger)
    input_tokens: Mapped[int] = mapped_column(BigInteger)
    output_tokens: Mapped[int] = mapped_column(BigInteger)
    cache_read_tokens: Mapped[int] = mapped_column(BigInteger)
    cache_write_tokens: Mapped[int] = mapped_column(BigInteger)
    client_errors: Mapped[int] = mapped_column(BigInteger)
    server_errors: Mapped[int] = mapped_column(BigInteger)
    throttles: Mapped[int] = mapped_column(BigInteger)
    estimated_cost_usd: Mapped[Decimal | None]

    __table_args__ = (Index("ix_rollup_daily_bedrock_usage_day_team", "day", "team"),)


class RollupDailyEndpoint(Base):
    """endpoint_hourly summed per endpoint life, UTC day and price (source, date, priced)."""

    __tablename__ = "rollup_daily_endpoint"

    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("endpoints.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    price_source: Mapped[str] = mapped_column(String(256), primary_key=True)
    price_as_of: Mapped[str] = mapped_column(String(32), primary_key=True)
    priced: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    hours: Mapped[int] = mapped_column(Integer)  # hourly rows summed
    service_hours: Mapped[Decimal] = mapped_column(Hours)
    instance_hours: Mapped[Decimal] = mapped_column(Hours)  # service hours x instance count
    # per hour the variants' total, or the inference components' where larger (never both)
    invocations: Mapped[int] = mapped_column(BigInteger)
    estimated_cost_usd: Mapped[Decimal | None]

    __table_args__ = (Index("ix_rollup_daily_endpoint_day", "day"),)
