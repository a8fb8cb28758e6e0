"""Bedrock Provisioned Throughput (and its hours), custom and imported models, batch inference jobs.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 16:25:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# JSONB on Postgres: the upsert's change check needs equality
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "batch_jobs",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("arn", sa.String(length=512), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("model_id", sa.String(length=512), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total_records", sa.BigInteger(), nullable=True),
        sa.Column("processed_records", sa.BigInteger(), nullable=True),
        sa.Column("success_records", sa.BigInteger(), nullable=True),
        sa.Column("error_records", sa.BigInteger(), nullable=True),
        sa.Column("input_tokens", sa.BigInteger(), nullable=True),
        sa.Column("output_tokens", sa.BigInteger(), nullable=True),
        sa.Column("estimated_cost_usd", sa.Numeric(precision=18, scale=6), nullable=True),
        sa.Column("on_demand_cost_usd", sa.Numeric(precision=18, scale=6), nullable=True),
        sa.Column("priced", sa.Boolean(), nullable=False),
        sa.Column("price_source", sa.String(length=256), nullable=True),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", "arn", name=op.f("pk_batch_jobs")),
    )
    with op.batch_alter_table("batch_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_batch_jobs_submitted_at", ["submitted_at"], unique=False)

    op.create_table(
        "custom_models",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("arn", sa.String(length=512), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("base_model", sa.String(length=512), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("customization_type", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", "arn", name=op.f("pk_custom_models")),
    )
    op.create_table(
        "provisioned_throughputs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("arn", sa.String(length=512), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("model_arn", sa.String(length=512), nullable=False),
        sa.Column("base_model_id", sa.String(length=256), nullable=False),
        sa.Column("model_units", sa.Integer(), nullable=False),
        sa.Column("commitment", sa.String(length=32), nullable=True),
        sa.Column("commitment_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provisioned_throughputs")),
        sa.UniqueConstraint(
            "account_id",
            "region",
            "arn",
            name=op.f("uq_provisioned_throughputs_account_id_region_arn"),
        ),
    )
    op.create_table(
        "provisioned_throughput_hourly",
        sa.Column("provisioned_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model_units", sa.Integer(), nullable=False),
        sa.Column("commitment", sa.String(length=32), nullable=True),
        sa.Column("billed_hours", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column("invocations", sa.BigInteger(), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("estimated_cost_usd", sa.Numeric(precision=18, scale=6), nullable=True),
        sa.Column("priced", sa.Boolean(), nullable=False),
        sa.Column("price_source", sa.String(length=256), nullable=True),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provisioned_id"],
            ["provisioned_throughputs.id"],
            name=op.f("fk_provisioned_throughput_hourly_provisioned_id_provisioned_throughputs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "provisioned_id", "hour", name=op.f("pk_provisioned_throughput_hourly")
        ),
    )
    with op.batch_alter_table("provisioned_throughput_hourly", schema=None) as batch_op:
        batch_op.create_index("ix_provisioned_throughput_hourly_hour", ["hour"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("provisioned_throughput_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_provisioned_throughput_hourly_hour")

    op.drop_table("provisioned_throughput_hourly")
    op.drop_table("provisioned_throughputs")
    op.drop_table("custom_models")
    with op.batch_alter_table("batch_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_batch_jobs_submitted_at")

    op.drop_table("batch_jobs")
