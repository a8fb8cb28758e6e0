"""Endpoint-hours remember their price's source and date; Bedrock rows the id they were priced as.

``bedrock_usage_hourly.routed_model_id`` is the model id that carries a call's model and routing
scope (an application profile's ``global.X`` / ``us.X`` / ``X``), so ``prices reprice`` prices an
application profile at its routing scope, as the collector did.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 16:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("endpoint_hourly") as batch:
        batch.add_column(sa.Column("price_source", sa.String(length=256), nullable=True))
        batch.add_column(sa.Column("price_as_of", sa.String(length=32), nullable=True))
    with op.batch_alter_table("bedrock_usage_hourly") as batch:
        batch.add_column(sa.Column("routed_model_id", sa.String(length=512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bedrock_usage_hourly") as batch:
        batch.drop_column("routed_model_id")
    with op.batch_alter_table("endpoint_hourly") as batch:
        batch.drop_column("price_as_of")
        batch.drop_column("price_source")
