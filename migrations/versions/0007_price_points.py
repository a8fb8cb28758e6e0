"""Dated price points from the AWS Price List; usage rows remember their price's source and date.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "price_points",
        sa.Column("item_kind", sa.String(length=16), nullable=False),
        sa.Column("item_key", sa.String(length=256), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("dimension", sa.String(length=32), nullable=False),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("price_usd", sa.Numeric(precision=20, scale=10), nullable=False),
        sa.Column("source", sa.String(length=256), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "item_kind",
            "item_key",
            "region",
            "dimension",
            "effective_from",
            name=op.f("pk_price_points"),
        ),
    )
    with op.batch_alter_table("bedrock_usage_hourly") as batch:
        batch.add_column(sa.Column("price_source", sa.String(length=256), nullable=True))
        batch.add_column(sa.Column("price_as_of", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bedrock_usage_hourly") as batch:
        batch.drop_column("price_as_of")
        batch.drop_column("price_source")
    op.drop_table("price_points")
