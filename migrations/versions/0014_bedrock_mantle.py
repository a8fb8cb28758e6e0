"""bedrock_usage_hourly.endpoint: tokens through bedrock-runtime or bedrock-mantle (#13).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25 17:00:02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bedrock_usage_hourly") as batch:
        batch.add_column(
            sa.Column(
                "endpoint",
                sa.String(length=32),
                server_default="bedrock-runtime",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("bedrock_usage_hourly") as batch:
        batch.drop_column("endpoint")
