"""cost_principal_tag_daily: Bedrock spend by IAM principal cost allocation tag (#14).

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-25 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)
MONEY = sa.Numeric(precision=18, scale=6)


def upgrade() -> None:
    op.create_table(
        "cost_principal_tag_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("tag_key", sa.String(length=128), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("amount_usd", MONEY, nullable=False),
        sa.Column("amortized_usd", MONEY, nullable=True),
        sa.Column("estimated", sa.Boolean(), nullable=False),
        sa.Column("collected_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "account_id", "tag_key", "team", name=op.f("pk_cost_principal_tag_daily")
        ),
    )


def downgrade() -> None:
    op.drop_table("cost_principal_tag_daily")
