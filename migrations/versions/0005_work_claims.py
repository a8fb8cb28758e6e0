"""Work claims: one row per (source, target, cycle), so `run` replicas split a cycle.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "work_claims",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("cycle_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_claims")),
        sa.UniqueConstraint(
            "source",
            "account_id",
            "region",
            "cycle_start",
            name=op.f("uq_work_claims_source_account_id_region_cycle_start"),
        ),
    )
    op.create_index(
        "ix_work_claims_source_cycle_start",
        "work_claims",
        ["source", "cycle_start"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_work_claims_source_cycle_start", table_name="work_claims")
    op.drop_table("work_claims")
