"""The data model: SQLAlchemy 2 typed tables, one natural key each."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from core.timeutil import as_utc

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(18, 6)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every dialect (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: every timestamp must be timezone-aware")
        utc = as_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), Decimal: Money}


class BedrockUsageHourly(Base):
    """One model or inference profile in one account and region for one hour."""

    __tablename__ = "bedrock_usage_hourly"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    base_model_id: Mapped[str] = mapped_column(String(512))
    team: Mapped[str] = mapped_column(String(64))
    invocations: Mapped[int] = mapped_column(BigInteger, default=0)
    input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    output_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cache_read_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cache_write_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    client_errors: Mapped[int] = mapped_column(BigInteger, default=0)
    server_errors: Mapped[int] = mapped_column(BigInteger, default=0)
    throttles: Mapped[int] = mapped_column(BigInteger, default=0)
    latency_ms_avg: Mapped[float | None] = mapped_column(Float)
    estimated_cost_usd: Mapped[Decimal | None]
    priced: Mapped[bool] = mapped_column(Boolean)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    collected_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_bedrock_usage_hourly_hour_team", "hour", "team"),
    )


class Endpoint(Base):
    """One SageMaker endpoint's life: a re-created endpoint of the same name is a new row."""

    __tablename__ = "endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    endpoint_name: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    endpoint_arn: Mapped[str | None] = mapped_column(String(512))
    endpoint_config_name: Mapped[str | None] = mapped_column(String(128))
    endpoint_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    last_modified_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    team: Mapped[str] = mapped_column(String(64))
    tags: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    variants: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    last_seen_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("account_id", "region", "endpoint_name", "created_at"),
    )


class EndpointHourly(Base):
    """One endpoint-hour: status, capacity, invocations over all variants, estimated cost."""

    __tablename__ = "endpoint_hourly"

    endpoint_id: Mapped[int] = mapped_column(ForeignKey("endpoints.id", ondelete="CASCADE"), primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(32))
    instance_type: Mapped[str | None] = mapped_column(String(64))
    instance_count: Mapped[int] = mapped_column(Integer, default=0)
    invocations: Mapped[int] = mapped_column(BigInteger, default=0)
    estimated_cost_usd: Mapped[Decimal | None]
    priced: Mapped[bool] = mapped_column(Boolean)
    collected_at: Mapped[datetime]

    __table_args__ = (Index("ix_endpoint_hourly_hour", "hour"),)


class CostDaily(Base):
    """One Cost Explorer line: day x account x service x usage group x team."""

    __tablename__ = "cost_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    service: Mapped[str] = mapped_column(String(256), primary_key=True)
    usage_group: Mapped[str] = mapped_column(String(64), primary_key=True)
    team: Mapped[str] = mapped_column(String(64), primary_key=True)
    amount_usd: Mapped[Decimal]
    amortized_usd: Mapped[Decimal | None]
    estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    collected_at: Mapped[datetime]


class Budget(Base):
    """A team's budget for a period, synced from the config."""

    __tablename__ = "budgets"

    team: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    amount_usd: Mapped[Decimal]
    updated_at: Mapped[datetime]


class CollectorRun(Base):
    """One collector window for one target; the watermark is read from these rows."""

    __tablename__ = "collector_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    api_calls: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("source", "account_id", "region", "window_start"),
        Index("ix_collector_runs_source_status_end", "source", "account_id", "region", "status", "window_end"),
    )
