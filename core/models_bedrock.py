"""Bedrock's billed kinds beyond on-demand tokens: Provisioned Throughput, custom models, batch jobs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base

# JSONB on Postgres: plain json has no equality, which the upsert's change check needs.
ResourceJSON = JSON().with_variant(JSONB(), "postgresql")


class ProvisionedThroughput(Base):
    """One Bedrock Provisioned Throughput: its model, model units, commitment and life."""

    __tablename__ = "provisioned_throughputs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    arn: Mapped[str] = mapped_column(String(512))
    name: Mapped[str] = mapped_column(String(256))
    model_arn: Mapped[str] = mapped_column(String(512))
    # the foundation model behind it (a custom model's base): what prices a model unit
    base_model_id: Mapped[str] = mapped_column(String(256))
    model_units: Mapped[int] = mapped_column(Integer)
    commitment: Mapped[str | None] = mapped_column(String(32))  # OneMonth, SixMonths, None
    commitment_expires_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    last_modified_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    team: Mapped[str] = mapped_column(String(64))
    tags: Mapped[dict[str, str]] = mapped_column(ResourceJSON, default=dict)
    last_seen_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("account_id", "region", "arn"),)


class ProvisionedThroughputHourly(Base):
    """One Provisioned Throughput hour: the model units billed, the traffic, the cost."""

    __tablename__ = "provisioned_throughput_hourly"

    provisioned_id: Mapped[int] = mapped_column(
        ForeignKey("provisioned_throughputs.id", ondelete="CASCADE"), primary_key=True
    )
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    model_units: Mapped[int] = mapped_column(Integer)
    commitment: Mapped[str | None] = mapped_column(String(32))
    # the fraction of the hour the throughput existed (first and last hours are prorated)
    billed_hours: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    invocations: Mapped[int] = mapped_column(BigInteger, default=0)
    input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    output_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    estimated_cost_usd: Mapped[Decimal | None]
    priced: Mapped[bool] = mapped_column(Boolean)
    price_source: Mapped[str | None] = mapped_column(String(256))
    collected_at: Mapped[datetime]

    __table_args__ = (Index("ix_provisioned_throughput_hourly_hour", "hour"),)


class CustomModel(Base):
    """One custom (fine-tuned, distilled) or imported Bedrock model, or a custom model deployment."""

    __tablename__ = "custom_models"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    arn: Mapped[str] = mapped_column(String(512), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # custom, imported, deployment
    name: Mapped[str] = mapped_column(String(256))
    # a custom model's base model id; a deployment's custom model ARN; None for an import
    base_model: Mapped[str | None] = mapped_column(String(512))
    status: Mapped[str | None] = mapped_column(String(32))
    customization_type: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
    team: Mapped[str] = mapped_column(String(64))
    tags: Mapped[dict[str, str]] = mapped_column(ResourceJSON, default=dict)
    last_seen_at: Mapped[datetime]


class BatchJob(Base):
    """One Bedrock batch inference job: its records, its tokens priced at the batch rate."""

    __tablename__ = "batch_jobs"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    arn: Mapped[str] = mapped_column(String(512), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    model_id: Mapped[str] = mapped_column(String(512))
    status: Mapped[str | None] = mapped_column(String(32))
    submitted_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    total_records: Mapped[int | None] = mapped_column(BigInteger)
    processed_records: Mapped[int | None] = mapped_column(BigInteger)
    success_records: Mapped[int | None] = mapped_column(BigInteger)
    error_records: Mapped[int | None] = mapped_column(BigInteger)
    # from the job's output manifest once it has ended (None until then)
    input_tokens: Mapped[int | None] = mapped_column(BigInteger)
    output_tokens: Mapped[int | None] = mapped_column(BigInteger)
    estimated_cost_usd: Mapped[Decimal | None]  # at the batch rate
    on_demand_cost_usd: Mapped[Decimal | None]  # the same tokens at the on-demand rate
    priced: Mapped[bool] = mapped_column(Boolean)
    price_source: Mapped[str | None] = mapped_column(String(256))
    team: Mapped[str] = mapped_column(String(64))
    tags: Mapped[dict[str, str]] = mapped_column(ResourceJSON, default=dict)
    collected_at: Mapped[datetime]

    __table_args__ = (Index("ix_batch_jobs_submitted_at", "submitted_at"),)
