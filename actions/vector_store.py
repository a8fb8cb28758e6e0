"""Vector stores (OpenSearch Serverless collections) are known to ``act`` so that it can say why it
will not act on one: deleting a collection deletes its indexes, which no snapshot of ours restores.
They are reported only (the ``waste`` list and the idle_vector_store alert)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.handlers import Resource
from core import registry
from core.models_vector import VectorStore
from core.registry import ActionEntry

KIND = "vector_store"


class VectorStoreHandler:
    """Finds a stored collection by ARN; performs nothing (no actions are registered for it)."""

    kind = KIND

    def resolve(self, session: Session, arn: str) -> Resource | None:
        """The stored collection of that ARN."""
        statement = select(VectorStore).where(VectorStore.arn == arn).limit(1)
        store = session.scalars(statement).first()
        if store is None:
            return None
        return Resource(KIND, store.arn, store.name, store.account_id, store.region, store.team)

    def hourly_usd(self, session: Session, resource: Resource) -> Decimal | None:
        """Never asked: nothing is stopped."""
        return None

    def refusal(self, resource: Resource, action: str) -> str | None:
        """Always: its data would go with it."""
        return f"{resource.name} is a vector store: deleting it deletes its indexes, so the monitor reports it only"

    def plan(self, resource: Resource, action: str, document: dict[str, Any] | None) -> list[str]:
        """No steps."""
        return []


registry.actions.add(ActionEntry(KIND, (), VectorStoreHandler(), order=90))
