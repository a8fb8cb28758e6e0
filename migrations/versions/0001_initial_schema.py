"""Initial schema: Bedrock usage, SageMaker endpoints, Cost Explorer lines, budgets, collector runs.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-25 00:10:43.130238
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bedrock_usage_hourly",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("model_id", sa.String(length=512), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("base_model_id", sa.String(length=512), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("invocations", sa.BigInteger(), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cache_read_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cache_write_tokens", sa.BigInteger(), nullable=False),
        sa.Column("client_errors", sa.BigInteger(), nullable=False),
        sa.Column("server_errors", sa.BigInteger(), nullable=False),
        sa.Column("throttles", sa.BigInteger(), nullable=False),
        sa.Column("latency_ms_avg", sa.Float(), nullable=True),
        sa.Column("estimated_cost_usd", sa.Numeric(precision=18, scale=6), nullable=True),
        sa.Column("priced", sa.Boolean(), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "account_id", "region", "model_id", "hour", name=op.f("pk_bedrock_usage_hourly")
        ),
    )
    op.create_index(
        "ix_bedrock_usage_hourly_hour_team", "bedrock_usage_hourly", ["hour", "team"], unique=False
    )

    op.create_table(
        "budgets",
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("service", sa.String(length=256), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("amount_usd", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team", "service", "period", name=op.f("pk_budgets")),
    )
    op.create_table(
        "collector_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("api_calls", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collector_runs")),
        sa.UniqueConstraint(
            "source",
            "account_id",
            "region",
            "window_start",
            name=op.f("uq_collector_runs_source_account_id_region_window_start"),
        ),
    )
    op.create_index(
        "ix_collector_runs_source_status_end",
        "collector_runs",
        ["source", "account_id", "region", "status", "window_end"],
        unique=False,
    )

    op.create_table(
        "cost_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("service", sa.String(length=256), nullable=False),
        sa.Column("usage_group", sa.String(length=64), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("amount_usd", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.Column("amortized_usd", sa.Numeric(precision=18, scale=6), nullable=True),
        sa.Column("estimated", sa.Boolean(), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "account_id", "service", "usage_group", "team", name=op.f("pk_cost_daily")
        ),
    )
    op.create_table(
        "endpoints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("endpoint_name", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("endpoint_arn", sa.String(length=512), nullable=True),
        sa.Column("endpoint_config_name", sa.String(length=128), nullable=True),
        sa.Column("endpoint_type", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("last_modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "variants",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "inference_components",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "async_inference",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("multi_model", sa.Boolean(), nullable=False),
        sa.Column("scales_to_zero", sa.Boolean(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_endpoints")),
        sa.UniqueConstraint(
            "account_id",
            "region",
            "endpoint_name",
            "created_at",
            name=op.f("uq_endpoints_account_id_region_endpoint_name_created_at"),
        ),
    )
    op.create_table(
        "endpoint_hourly",
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("instance_type", sa.String(length=64), nullable=True),
        sa.Column("instance_count", sa.Integer(), nullable=False),
        sa.Column("service_hours", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column("invocations", sa.BigInteger(), nullable=False),
        sa.Column("component_invocations", sa.BigInteger(), nullable=False),
        sa.Column("estimated_cost_usd", sa.Numeric(precision=18, scale=6), nullable=True),
        sa.Column("priced", sa.Boolean(), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.id"],
            name=op.f("fk_endpoint_hourly_endpoint_id_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("endpoint_id", "hour", name=op.f("pk_endpoint_hourly")),
    )
    op.create_index("ix_endpoint_hourly_hour", "endpoint_hourly", ["hour"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_endpoint_hourly_hour", table_name="endpoint_hourly")

    op.drop_table("endpoint_hourly")
    op.drop_table("endpoints")
    op.drop_table("cost_daily")
    op.drop_index("ix_collector_runs_source_status_end", table_name="collector_runs")

    op.drop_table("collector_runs")
    op.drop_table("budgets")
    op.drop_index("ix_bedrock_usage_hourly_hour_team", table_name="bedrock_usage_hourly")

    op.drop_table("bedrock_usage_hourly")
