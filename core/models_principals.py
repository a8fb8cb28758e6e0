"""Tables of per-principal attribution (#14): who called Bedrock, hour by hour, read from the
model invocation logs, and where each log destination has been read up to.

Kept apart from core/models.py (which imports this module at its end, so every table is on the
one ``Base.metadata``). No prompt or completion text is ever stored: only the metadata fields.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base

# the canonical form of "no configured request metadata on this call"
NO_METADATA = "{}"


class PrincipalUsageHourly(Base):
    """Tokens and cost of one IAM principal calling one model in one account/region for one
    hour, split by the configured request-metadata values (``request_metadata`` is their
    canonical JSON: sorted keys, no spaces, ``{}`` when none)."""

    __tablename__ = "principal_usage_hourly"

    hour: Mapped[datetime] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    principal: Mapped[str] = mapped_column(String(1024), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    request_metadata: Mapped[str] = mapped_column(String(1024), primary_key=True)
    base_model_id: Mapped[str] = mapped_column(String(512))
    team: Mapped[str] = mapped_column(String(64))
    # the attribution rule that decided the team (what `attribution explain` prints)
    team_rule: Mapped[str] = mapped_column(String(256))
    invocations: Mapped[int] = mapped_column(BigInteger, default=0)
    input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    output_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cache_read_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cache_write_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    estimated_cost_usd: Mapped[Decimal | None]
    priced: Mapped[bool] = mapped_column(Boolean)
    price_source: Mapped[str | None] = mapped_column(String(256))
    # where the calls were read: "s3" or "cloudwatch_logs" (the export's `source` column)
    source: Mapped[str] = mapped_column(String(32))
    collected_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_principal_usage_hourly_hour_team", "hour", "team"),
        Index("ix_principal_usage_hourly_principal_hour", "principal", "hour"),
    )


class InvocationLogCursor(Base):
    """How far one invocation-log destination of one account/region has been read: the last S3
    key (objects are read in key order after it) or the last CloudWatch Logs event time."""

    __tablename__ = "invocation_log_cursors"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    # "s3://bucket/prefix" or "logs:<group name>"
    destination: Mapped[str] = mapped_column(String(1024), primary_key=True)
    position: Mapped[str] = mapped_column(String(1024))
    objects_read: Mapped[int] = mapped_column(BigInteger, default=0)
    records_read: Mapped[int] = mapped_column(BigInteger, default=0)
    malformed_records: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime]


class InvocationLogObject(Base):
    """One S3 invocation-log object already counted: its tallies were added to
    principal_usage_hourly in the transaction that wrote this row, so it is never added twice
    (a second cycle or a backfill over the same range skips it)."""

    __tablename__ = "invocation_log_objects"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    # the cursor's destination ("s3://bucket/prefix")
    destination: Mapped[str] = mapped_column(String(1024), primary_key=True)
    key: Mapped[str] = mapped_column(String(1024), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    records: Mapped[int] = mapped_column(BigInteger)
    malformed_records: Mapped[int] = mapped_column(BigInteger)
    # the object stopped decoding part-way: what decoded before the break was counted
    truncated: Mapped[bool] = mapped_column(Boolean)
    read_at: Mapped[datetime]
