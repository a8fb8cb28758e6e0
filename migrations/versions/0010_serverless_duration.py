"""Serverless inference duration per endpoint-hour: what its GB-second estimate is made of.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 16:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("endpoint_hourly") as batch:
        batch.add_column(
            sa.Column("inference_seconds", sa.Numeric(precision=16, scale=6), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("endpoint_hourly") as batch:
        batch.drop_column("inference_seconds")
