"""Tables of the embeddings side and of shared SageMaker capacity: OpenSearch Serverless
collections (vector stores) and their hours, and inference components' hours.

Kept apart from core/models.py (which imports this module at its end, so every table is on the
one ``Base.metadata``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base, EndpointJSON

Share = Numeric(9, 6)  # a fraction between 0 and 1
Quantity = Numeric(18, 6)  # OCU-hours


class VectorStore(Base):
    """One OpenSearch Serverless collection and the knowledge bases pointing at it; a deleted
    collection keeps its row (and its hours) with ``deleted_at``."""

    __tablename__ = "vector_stores"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    collection_id: Mapped[str] = mapped_column(String(64))
    arn: Mapped[str] = mapped_column(String(512))
    name: Mapped[str] = mapped_column(String(64))
    collection_type: Mapped[str | None] = mapped_column(String(32))  # VECTORSEARCH, SEARCH, ...
    status: Mapped[str] = mapped_column(String(32))
    standby_replicas: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime]
    team: Mapped[str] = mapped_column(String(64))
    tags: Mapped[dict[str, str]] = mapped_column(EndpointJSON, default=dict)
    # [{"id", "name", "arn", "status"}] of the Bedrock knowledge bases whose storage is this collection
    knowledge_bases: Mapped[list[dict[str, Any]]] = mapped_column(EndpointJSON, default=list)

    __table_args__ = (UniqueConstraint("account_id", "region", "collection_id"),)


class VectorStoreHourly(Base):
    """One collection-hour: its searches and ingestion requests, the account's OCU-hours in its
    region that hour, and the collection's share of their cost."""

    __tablename__ = "vector_store_hourly"

    vector_store_id: Mapped[int] = mapped_column(
        ForeignKey("vector_stores.id", ondelete="CASCADE"), primary_key=True
    )
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    search_requests: Mapped[int] = mapped_column(BigInteger, default=0)
    ingestion_requests: Mapped[int] = mapped_column(BigInteger, default=0)
    # the account's OCU-hours in this region and hour (OCUs are billed per account, not collection)
    account_search_ocu_hours: Mapped[Decimal] = mapped_column(Quantity, default=0)
    account_indexing_ocu_hours: Mapped[Decimal] = mapped_column(Quantity, default=0)
    ocu_share: Mapped[Decimal] = mapped_column(Share, default=0)
    ocu_hours: Mapped[Decimal] = mapped_column(Quantity, default=0)  # the share of the account's
    estimated_cost_usd: Mapped[Decimal | None]
    priced: Mapped[bool] = mapped_column(Boolean)
    price_source: Mapped[str | None] = mapped_column(String(256))
    collected_at: Mapped[datetime]

    __table_args__ = (Index("ix_vector_store_hourly_hour", "hour"),)


class InferenceComponentHourly(Base):
    """One inference component's hour on its endpoint: copies, invocations, and its share of the
    endpoint's instance cost."""

    __tablename__ = "inference_component_hourly"

    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("endpoints.id", ondelete="CASCADE"), primary_key=True
    )
    component_name: Mapped[str] = mapped_column(String(128), primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    copies: Mapped[int] = mapped_column(Integer, default=0)
    invocations: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_share: Mapped[Decimal | None] = mapped_column(Share)
    estimated_cost_usd: Mapped[Decimal | None]
    priced: Mapped[bool] = mapped_column(Boolean)
    collected_at: Mapped[datetime]

    __table_args__ = (Index("ix_inference_component_hourly_hour", "hour"),)
