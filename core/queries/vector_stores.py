"""Vector stores as the idle rule, the Waste page and the exports read them: each live
collection with its last search, what it cost since, and whether its account bills OCUs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.models_vector import VectorStore, VectorStoreHourly
from core.queries.common import usd
from core.timeutil import as_utc

HOUR = timedelta(hours=1)
# the recent cost a monthly figure is projected from
RECENT = timedelta(hours=24)
HOURS_PER_MONTH = Decimal(730)
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class VectorStoreSummary:
    """One live collection with its idle evidence."""

    vector_store_id: int
    account_id: str
    region: str
    collection_id: str
    arn: str
    name: str
    team: str
    created_at: datetime
    knowledge_bases: tuple[str, ...]  # names of the knowledge bases pointing at it
    last_search_at: datetime | None  # the end of the last hour with a search request
    latest_hour: datetime | None  # the newest hour collected
    # the account's OCU-hours (search + indexing) in the region over the last 24 collected hours
    account_ocu_hours: Decimal
    cost_since_last_search_usd: Decimal
    recent_hourly_usd: Decimal | None  # the mean hourly cost over the last 24 collected hours

    @property
    def idle_since(self) -> datetime:
        """The end of the last hour with a search, or the creation if never searched."""
        return self.last_search_at or self.created_at

    @property
    def monthly_usd(self) -> Decimal | None:
        """What a month costs at the recent hourly rate (None when unpriced)."""
        if self.recent_hourly_usd is None:
            return None
        return (self.recent_hourly_usd * HOURS_PER_MONTH).quantize(CENTS)


def _last_searches(session: Session) -> Any:
    hourly = VectorStoreHourly
    return (
        select(hourly.vector_store_id.label("id"), func.max(hourly.hour).label("last"))
        .where(hourly.search_requests > 0)
        .group_by(hourly.vector_store_id)
        .subquery()
    )


def vector_store_summaries(session: Session, now: datetime) -> list[VectorStoreSummary]:
    """Every collection not deleted, with its idle evidence as of ``now``."""
    stores = list(
        session.scalars(
            select(VectorStore)
            .where(VectorStore.deleted_at.is_(None), VectorStore.created_at <= now)
            .order_by(VectorStore.account_id, VectorStore.region, VectorStore.name)
        )
    )
    if not stores:
        return []
    hourly = VectorStoreHourly
    ids = [store.id for store in stores]
    last = _last_searches(session)
    searched: dict[int, Any] = dict(
        session.execute(select(last.c.id, last.c.last).where(last.c.id.in_(ids))).all()
    )
    since = dict(
        session.execute(
            select(hourly.vector_store_id, func.sum(hourly.estimated_cost_usd))
            .outerjoin(last, last.c.id == hourly.vector_store_id)
            .where(
                hourly.vector_store_id.in_(ids),
                hourly.hour < now,
                or_(last.c.last.is_(None), hourly.hour > last.c.last),
            )
            .group_by(hourly.vector_store_id)
        ).all()
    )
    latest = dict(
        session.execute(
            select(hourly.vector_store_id, func.max(hourly.hour))
            .where(hourly.vector_store_id.in_(ids), hourly.hour < now)
            .group_by(hourly.vector_store_id)
        ).all()
    )
    recent = _recent(session, ids, latest)
    return [_summary(store, searched, since, latest, recent) for store in stores]


def _recent(
    session: Session, ids: list[int], latest: dict[int, Any]
) -> dict[int, tuple[Decimal, Decimal | None]]:
    """Per store, over the 24 hours up to its newest: the account's OCU-hours, and the mean
    hourly cost of the hours that have OCU data (the newest hours may have none yet: AWS/AOSS
    publishes late; None if any of them is unpriced)."""
    if not latest:
        return {}
    newest = max(as_utc(hour) for hour in latest.values())
    rows = session.execute(
        select(
            VectorStoreHourly.vector_store_id,
            VectorStoreHourly.hour,
            VectorStoreHourly.account_search_ocu_hours,
            VectorStoreHourly.account_indexing_ocu_hours,
            VectorStoreHourly.estimated_cost_usd,
        ).where(
            VectorStoreHourly.vector_store_id.in_(ids),
            VectorStoreHourly.hour > newest - RECENT,
            VectorStoreHourly.hour <= newest,
        )
    ).all()
    result: dict[int, tuple[Decimal, Decimal | None]] = {}
    for store_id, hour_value in latest.items():
        top = as_utc(hour_value)
        mine = [row for row in rows if row[0] == store_id and as_utc(row[1]) > top - RECENT]
        billed = [row for row in mine if usd(row[2]) + usd(row[3]) > 0]
        ocus = sum((usd(r[2]) + usd(r[3]) for r in billed), Decimal(0))
        costs = [r[4] for r in billed]
        mean = None
        if costs and all(cost is not None for cost in costs):
            mean = (sum((usd(c) for c in costs), Decimal(0)) / len(costs)).quantize(
                Decimal("0.000001")
            )
        result[store_id] = (ocus, mean)
    return result


def _summary(
    store: VectorStore,
    searched: dict[int, Any],
    since: dict[int, Any],
    latest: dict[int, Any],
    recent: dict[int, tuple[Decimal, Decimal | None]],
) -> VectorStoreSummary:
    last = searched.get(store.id)
    newest = latest.get(store.id)
    ocus, mean = recent.get(store.id, (Decimal(0), None))
    return VectorStoreSummary(
        vector_store_id=store.id,
        account_id=store.account_id,
        region=store.region,
        collection_id=store.collection_id,
        arn=store.arn,
        name=store.name,
        team=store.team,
        created_at=store.created_at,
        knowledge_bases=tuple(str(kb.get("name")) for kb in store.knowledge_bases or []),
        last_search_at=None if last is None else as_utc(last) + HOUR,
        latest_hour=None if newest is None else as_utc(newest),
        account_ocu_hours=ocus,
        cost_since_last_search_usd=usd(since.get(store.id)),
        recent_hourly_usd=mean,
    )
