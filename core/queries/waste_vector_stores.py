"""Idle vector stores as rows of the waste export (DESIGN.md §3 `waste` columns).

A collection is idle waste when it has had no search request for at least ``idle_for``, is
at least that old, and its account bills OCUs in its region (OCU-hours in the last 24 collected
hours). Vector stores are never acted on by `act`: the action says what a person does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from core.queries.vector_stores import CENTS, VectorStoreSummary, vector_store_summaries
from core.queries.waste_row import WasteScope

KIND = "vector_store"
DEFAULT_IDLE_FOR = timedelta(days=7)


def is_idle(summary: VectorStoreSummary, now: datetime, idle_for: timedelta) -> bool:
    """No search for ``idle_for``, at least that old, while the account bills OCUs."""
    return (
        now - summary.idle_since >= idle_for
        and now - summary.created_at >= idle_for
        and summary.account_ocu_hours > 0
    )


def action(summary: VectorStoreSummary) -> str:
    """What stops the spend (the monitor never deletes a collection itself)."""
    if summary.knowledge_bases:
        names = ", ".join(summary.knowledge_bases)
        return f"report only: delete knowledge base {names} and collection {summary.name} by hand"
    return f"report only: delete collection {summary.name} by hand"


def waste_row(summary: VectorStoreSummary, now: datetime) -> dict[str, Any]:
    """One waste record (money as Decimal, times as aware datetimes; the caller formats)."""
    idle = now - summary.idle_since
    return {
        "kind": KIND,
        "resource": summary.arn,
        "name": summary.name,
        "account_id": summary.account_id,
        "region": summary.region,
        "team": summary.team,
        "idle_since": summary.idle_since,
        "idle_hours": Decimal(str(idle.total_seconds() / 3600)).quantize(Decimal("0.1")),
        "burnt_usd": summary.cost_since_last_search_usd.quantize(CENTS),
        "monthly_usd": summary.monthly_usd,
        "action": action(summary),
    }


def idle_vector_stores(
    session: Session, now: datetime, idle_for: timedelta = DEFAULT_IDLE_FOR
) -> list[dict[str, Any]]:
    """One waste record per idle vector store, the costliest first."""
    rows = [
        waste_row(summary, now)
        for summary in vector_store_summaries(session, now)
        if is_idle(summary, now, idle_for)
    ]
    return sorted(rows, key=lambda row: (-(row["burnt_usd"] or 0), row["resource"]))


def idle_vector_store_waste(session: Session, scope: WasteScope) -> list[dict[str, Any]]:
    """The Waste page's provider: idle vector stores in the scope's accounts and regions."""
    rows = idle_vector_stores(session, scope.at, scope.threshold(KIND, DEFAULT_IDLE_FOR))
    return [
        row
        for row in rows
        if (scope.accounts is None or row["account_id"] in scope.accounts)
        and (scope.regions is None or row["region"] in scope.regions)
    ]
