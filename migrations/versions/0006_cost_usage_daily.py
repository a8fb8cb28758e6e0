"""Cost Explorer cost and usage quantity per usage type: the effective rates of the bill.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cost_usage_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("service", sa.String(length=256), nullable=False),
        sa.Column("usage_type", sa.String(length=256), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("amount_usd", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.Column("usage_quantity", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "day",
            "account_id",
            "service",
            "usage_type",
            "team",
            name=op.f("pk_cost_usage_daily"),
        ),
    )


def downgrade() -> None:
    op.drop_table("cost_usage_daily")
