"""snapshots, actions_audit and action_notices: acting on waste with undo (#18).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-25 19:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WHEN = sa.DateTime(timezone=True)
MONEY = sa.Numeric(precision=18, scale=6)


def upgrade() -> None:
    op.create_table(
        "snapshots",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("resource_arn", sa.String(length=512), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("taken_at", WHEN, nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.Column("hourly_usd", MONEY, nullable=True),
        sa.Column("restored_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshots")),
    )
    op.create_index("ix_snapshots_resource_arn", "snapshots", ["resource_arn"])
    op.create_table(
        "actions_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("actor", sa.String(length=256), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("resource_arn", sa.String(length=512), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("snapshot_id", sa.String(length=36), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("request_ids", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actions_audit")),
    )
    op.create_index("ix_actions_audit_resource_arn_at", "actions_audit", ["resource_arn", "at"])
    op.create_index("ix_actions_audit_at", "actions_audit", ["at"])
    op.create_table(
        "action_notices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("policy", sa.String(length=64), nullable=False),
        sa.Column("resource_arn", sa.String(length=512), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("announced_at", WHEN, nullable=False),
        sa.Column("act_after", WHEN, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("closed_at", WHEN, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_notices")),
        sa.UniqueConstraint(
            "policy",
            "resource_arn",
            "announced_at",
            name=op.f("uq_action_notices_policy_resource_arn_announced_at"),
        ),
    )


def downgrade() -> None:
    op.drop_table("action_notices")
    op.drop_index("ix_actions_audit_at", table_name="actions_audit")
    op.drop_index("ix_actions_audit_resource_arn_at", table_name="actions_audit")
    op.drop_table("actions_audit")
    op.drop_index("ix_snapshots_resource_arn", table_name="snapshots")
    op.drop_table("snapshots")
