"""principal_usage_hourly, invocation_log_cursors and invocation_log_objects: who called
Bedrock, from the logs (#14).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-25 22:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)
MONEY = sa.Numeric(precision=18, scale=6)


def upgrade() -> None:
    op.create_table(
        "principal_usage_hourly",
        sa.Column("hour", WHEN, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("principal", sa.String(length=1024), nullable=False),
        sa.Column("model_id", sa.String(length=512), nullable=False),
        sa.Column("request_metadata", sa.String(length=1024), nullable=False),
        sa.Column("base_model_id", sa.String(length=512), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("team_rule", sa.String(length=256), nullable=False),
        sa.Column("invocations", sa.BigInteger(), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cache_read_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cache_write_tokens", sa.BigInteger(), nullable=False),
        sa.Column("estimated_cost_usd", MONEY, nullable=True),
        sa.Column("priced", sa.Boolean(), nullable=False),
        sa.Column("price_source", sa.String(length=256), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("collected_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint(
            "hour",
            "account_id",
            "region",
            "principal",
            "model_id",
            "request_metadata",
            name=op.f("pk_principal_usage_hourly"),
        ),
    )
    op.create_index(
        "ix_principal_usage_hourly_hour_team", "principal_usage_hourly", ["hour", "team"]
    )
    op.create_index(
        "ix_principal_usage_hourly_principal_hour",
        "principal_usage_hourly",
        ["principal", "hour"],
    )
    op.create_table(
        "invocation_log_cursors",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("destination", sa.String(length=1024), nullable=False),
        sa.Column("position", sa.String(length=1024), nullable=False),
        sa.Column("objects_read", sa.BigInteger(), nullable=False),
        sa.Column("records_read", sa.BigInteger(), nullable=False),
        sa.Column("malformed_records", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint(
            "account_id", "region", "destination", name=op.f("pk_invocation_log_cursors")
        ),
    )
    op.create_table(
        "invocation_log_objects",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("destination", sa.String(length=1024), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
        sa.Column("malformed_records", sa.BigInteger(), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("read_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint(
            "account_id", "region", "destination", "key", name=op.f("pk_invocation_log_objects")
        ),
    )


def downgrade() -> None:
    op.drop_table("invocation_log_objects")
    op.drop_table("invocation_log_cursors")
    op.drop_index("ix_principal_usage_hourly_principal_hour", table_name="principal_usage_hourly")
    op.drop_index("ix_principal_usage_hourly_hour_team", table_name="principal_usage_hourly")
    op.drop_table("principal_usage_hourly")
