"""CUR 2.0 line items summed per day and dimension (cost_lines) and the export objects loaded.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 16:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(precision=24, scale=10)


def upgrade() -> None:
    op.create_table(
        "cost_lines",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("service", sa.String(length=256), nullable=False),
        sa.Column("usage_type", sa.String(length=256), nullable=False),
        sa.Column("resource_id", sa.String(length=1024), nullable=False),
        sa.Column("principal", sa.String(length=1024), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("line_type", sa.String(length=64), nullable=False),
        sa.Column("billing_period", sa.String(length=7), nullable=False),
        sa.Column("product_code", sa.String(length=64), nullable=True),
        sa.Column("model", sa.String(length=256), nullable=True),
        sa.Column("unblended_usd", MONEY, nullable=False),
        sa.Column("net_usd", MONEY, nullable=True),
        sa.Column("amortized_usd", MONEY, nullable=True),
        sa.Column("list_usd", MONEY, nullable=True),
        sa.Column("usage_quantity", sa.Numeric(precision=28, scale=10), nullable=True),
        sa.Column("pricing_unit", sa.String(length=64), nullable=True),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "day",
            "source",
            "account_id",
            "region",
            "service",
            "usage_type",
            "resource_id",
            "principal",
            "team",
            "line_type",
            name=op.f("pk_cost_lines"),
        ),
    )
    op.create_index(
        "ix_cost_lines_source_billing_period", "cost_lines", ["source", "billing_period"]
    )
    op.create_index("ix_cost_lines_day", "cost_lines", ["day"])
    op.create_table(
        "cur_objects",
        sa.Column("bucket", sa.String(length=255), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("billing_period", sa.String(length=7), nullable=False),
        sa.Column("etag", sa.String(length=128), nullable=False),
        sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.BigInteger(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "key", name=op.f("pk_cur_objects")),
    )
    op.create_index(
        "ix_cur_objects_bucket_billing_period", "cur_objects", ["bucket", "billing_period"]
    )


def downgrade() -> None:
    op.drop_index("ix_cur_objects_bucket_billing_period", table_name="cur_objects")
    op.drop_table("cur_objects")
    op.drop_index("ix_cost_lines_day", table_name="cost_lines")
    op.drop_index("ix_cost_lines_source_billing_period", table_name="cost_lines")
    op.drop_table("cost_lines")
