"""Notifications remember unknown delivery outcomes; alerts remember what inhibits them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(
            sa.Column("unknown_outcomes", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("inhibited_by", sa.String(length=512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("inhibited_by")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("unknown_outcomes")
