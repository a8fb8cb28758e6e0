"""Inference components' hours on their endpoint: copies, invocations, share of its cost (#13).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25 17:00:01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inference_component_hourly",
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("component_name", sa.String(length=128), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.Column("invocations", sa.BigInteger(), nullable=False),
        sa.Column("cost_share", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("estimated_cost_usd", sa.Numeric(precision=18, scale=6), nullable=True),
        sa.Column("priced", sa.Boolean(), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.id"],
            name=op.f("fk_inference_component_hourly_endpoint_id_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "endpoint_id", "component_name", "hour", name=op.f("pk_inference_component_hourly")
        ),
    )
    op.create_index("ix_inference_component_hourly_hour", "inference_component_hourly", ["hour"])


def downgrade() -> None:
    op.drop_index("ix_inference_component_hourly_hour", table_name="inference_component_hourly")
    op.drop_table("inference_component_hourly")
