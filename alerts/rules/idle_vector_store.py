"""Idle vector stores: an OpenSearch Serverless collection nobody searched for longer than `for`
while its account bills OCUs, with the knowledge bases that point at it."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from alerts.rules.base import Finding, hours, money
from alerts.snapshot import Snapshot, VectorStoreState
from core.registry import RuleEntry, rules
from core.settings import Duration, RuleSettings


class IdleVectorStoreRule(RuleSettings):
    """`{kind: idle_vector_store}`: fires for a collection without searches for ``for``."""

    kind: Literal["idle_vector_store"]
    for_: Duration = Field(default=timedelta(days=7), alias="for")


def _idle(store: VectorStoreState, rule: IdleVectorStoreRule, snapshot: Snapshot) -> bool:
    # a collection younger than `for` is never idle, and one whose account bills no OCU costs nothing
    return (
        store.account_ocu_hours > 0
        and snapshot.now - store.created_at >= rule.for_
        and snapshot.now - store.idle_since >= rule.for_
    )


def _message(store: VectorStoreState, snapshot: Snapshot) -> str:
    idle = hours(snapshot.now - store.idle_since)
    where = f"{store.account_id}/{store.region}"
    text = f"vector store {store.name} ({where}) has had no search for {idle}"
    if store.knowledge_bases:
        text += f"; knowledge bases using it: {', '.join(store.knowledge_bases)}"
    return f"{text}; {money(store.idle_cost_usd)} of OCU cost since its last search"


def idle_vector_stores(rule: IdleVectorStoreRule, snapshot: Snapshot) -> list[Finding]:
    """Collections with no search request for at least ``for`` while the account bills OCUs."""
    return [
        Finding(
            rule=rule.rule_name,
            subject=store.subject,
            team=store.team,
            severity=rule.severity,
            message=_message(store, snapshot),
            active_since=store.idle_since,
            hold_for=rule.for_,
            details={
                "collection_id": store.collection_id,
                "collection_arn": store.arn,
                "account_id": store.account_id,
                "region": store.region,
                "knowledge_bases": list(store.knowledge_bases),
                "idle_hours": round((snapshot.now - store.idle_since).total_seconds() / 3600, 1),
                "idle_cost_usd": str(store.idle_cost_usd),
            },
        )
        for store in snapshot.vector_stores or ()
        if _idle(store, rule, snapshot)
    ]


rules.add(
    RuleEntry(
        "idle_vector_store",
        IdleVectorStoreRule,
        idle_vector_stores,
        needs="vector_stores",
        order=15,
    )
)
