"""OpenSearch Serverless collections (vector_stores) and their hours (vector_store_hourly) (#13).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WHEN = sa.DateTime(timezone=True)
QUANTITY = sa.Numeric(precision=18, scale=6)


def upgrade() -> None:
    op.create_table(
        "vector_stores",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("collection_id", sa.String(length=64), nullable=False),
        sa.Column("arn", sa.String(length=512), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("collection_type", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("standby_replicas", sa.String(length=16), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("deleted_at", WHEN, nullable=True),
        sa.Column("last_seen_at", WHEN, nullable=False),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("knowledge_bases", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vector_stores")),
        sa.UniqueConstraint(
            "account_id",
            "region",
            "collection_id",
            name=op.f("uq_vector_stores_account_id_region_collection_id"),
        ),
    )
    op.create_table(
        "vector_store_hourly",
        sa.Column("vector_store_id", sa.Integer(), nullable=False),
        sa.Column("hour", WHEN, nullable=False),
        sa.Column("search_requests", sa.BigInteger(), nullable=False),
        sa.Column("ingestion_requests", sa.BigInteger(), nullable=False),
        sa.Column("account_search_ocu_hours", QUANTITY, nullable=False),
        sa.Column("account_indexing_ocu_hours", QUANTITY, nullable=False),
        sa.Column("ocu_share", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column("ocu_hours", QUANTITY, nullable=False),
        sa.Column("estimated_cost_usd", sa.Numeric(precision=18, scale=6), nullable=True),
        sa.Column("priced", sa.Boolean(), nullable=False),
        sa.Column("price_source", sa.String(length=256), nullable=True),
        sa.Column("collected_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["vector_store_id"],
            ["vector_stores.id"],
            name=op.f("fk_vector_store_hourly_vector_store_id_vector_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("vector_store_id", "hour", name=op.f("pk_vector_store_hourly")),
    )
    op.create_index("ix_vector_store_hourly_hour", "vector_store_hourly", ["hour"])


def downgrade() -> None:
    op.drop_index("ix_vector_store_hourly_hour", table_name="vector_store_hourly")
    op.drop_table("vector_store_hourly")
    op.drop_table("vector_stores")
