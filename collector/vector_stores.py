"""Vector stores: OpenSearch Serverless collections, the knowledge bases using them, and their
hours (searches, the account's OCU-hours and each collection's share of their cost).

get (``vector_inventory.read_inventory`` once per target and cycle; GetMetricData per window,
one call per 500 series) -> transform (pure: ``vector_inventory.collection_lives`` /
``reconcile``, ``vector_hours.hourly_rows``) -> load (upsert ``vector_stores`` on its natural
key, then ``vector_store_hourly``).

The inventory is a snapshot of *now*, taken at the first window's ``collected_at``: a stored
collection the listing no longer shows was deleted by then (``deleted_at``) and keeps its rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from collector.cloudwatch import MetricData, datapoints, get_metric_data
from collector.runner import HourlyRegionalSource
from collector.vector_hours import LifeKey, hourly_rows, metric_series
from collector.vector_inventory import CollectionLife, collection_lives, read_inventory, reconcile
from core.aws import ClientFactoryFn, Target
from core.db import upsert
from core.models_vector import VectorStore, VectorStoreHourly
from core.pricing.ocu import OcuPrices
from core.registry import SourceDeps, SourceEntry, sources
from core.settings import MonitorConfig, SourceConfig


@dataclass
class PreparedTarget:
    """One target's state for all its windows: the stored collections and prices, and the
    snapshot once taken."""

    target: Target
    stored: list[CollectionLife]
    prices: OcuPrices
    lives: list[CollectionLife] | None = None
    snapshot_at: datetime | None = None


@dataclass(frozen=True)
class WindowAnswers:
    """One window's AWS/AOSS metrics (the snapshot stays on the prepared target)."""

    metrics: MetricData


@dataclass
class LoadableWindow:
    """One window's collections and hourly rows, ready to load."""

    lives: list[CollectionLife]
    hourly: list[tuple[LifeKey, dict[str, Any]]]


def stored_lives(
    session: Session, target: Target, start: datetime, end: datetime
) -> list[CollectionLife]:
    """The target's stored collections that are live or overlap [start, end)."""
    statement = select(VectorStore).where(
        VectorStore.account_id == target.account_id,
        VectorStore.region == target.region,
        VectorStore.created_at < end,
        or_(VectorStore.deleted_at.is_(None), VectorStore.deleted_at > start),
    )
    return [CollectionLife.from_model(model) for model in session.scalars(statement)]


def active(
    lives: list[CollectionLife], start: datetime, end: datetime, snapshot_at: datetime
) -> list[CollectionLife]:
    """The collections that existed in [start, end) before the snapshot."""
    return [
        life
        for life in lives
        if life.created_at < min(end, snapshot_at)
        and (life.deleted_at is None or life.deleted_at > start)
    ]


class VectorStoresCollector(HourlyRegionalSource):
    """Collects OpenSearch Serverless collections and their hours per target."""

    name = "vector_stores"

    def __init__(self, config: MonitorConfig, clients: ClientFactoryFn) -> None:
        self.config = config
        self.clients = clients

    def prepare(
        self, session: Session, target: Target, start: datetime, end: datetime
    ) -> PreparedTarget:
        """Read the stored collections and the OCU prices once; the snapshot waits for the first
        window's time."""
        return PreparedTarget(
            target, stored_lives(session, target, start, end), OcuPrices.load(session)
        )

    def _snapshot(self, prepared: PreparedTarget, collected_at: datetime) -> list[CollectionLife]:
        if prepared.lives is None or prepared.snapshot_at is None:
            target = prepared.target
            inventory = read_inventory(
                self.clients("opensearchserverless", target),
                self.clients("bedrock-agent", target),
                target,
            )
            listed = collection_lives(
                inventory,
                target=target,
                attribution=self.config.attribution,
                seen_at=collected_at,
            )
            listed = [life for life in listed if life.created_at <= collected_at]
            prepared.lives = reconcile(listed, prepared.stored, collected_at)
            prepared.snapshot_at = collected_at
        return prepared.lives

    def fetch(
        self, prepared: PreparedTarget, start: datetime, end: datetime, collected_at: datetime
    ) -> WindowAnswers:
        """Take the snapshot (once per target), then read the window's metrics."""
        lives = self._snapshot(prepared, collected_at)
        assert prepared.snapshot_at is not None
        alive = active(lives, start, end, prepared.snapshot_at)
        if not alive:
            return WindowAnswers(MetricData((), (), start, end))
        series = metric_series(prepared.target.account_id, alive)
        cloudwatch = self.clients("cloudwatch", prepared.target)
        return WindowAnswers(get_metric_data(cloudwatch, series, start, end))

    def transform(
        self, prepared: PreparedTarget, fetched: WindowAnswers, collected_at: datetime
    ) -> LoadableWindow:
        """The snapshot's collections and the window's collection-hours."""
        lives = prepared.lives or []
        snapshot_at = prepared.snapshot_at or collected_at
        start, end = fetched.metrics.start, fetched.metrics.end
        rows = hourly_rows(
            active(lives, start, end, snapshot_at),
            datapoints(fetched.metrics),
            start=start,
            end=end,
            snapshot_at=snapshot_at,
            prices=prepared.prices,
            collected_at=collected_at,
        )
        return LoadableWindow(lives, rows)

    def load(self, session: Session, window: LoadableWindow) -> int:
        """Upsert the collections, then their hours."""
        if not window.lives:
            return 0
        natural = ["account_id", "region", "collection_id"]
        upsert(session, VectorStore, [life.row() for life in window.lives], key=natural)
        first = window.lives[0]
        ids = {
            (account, region, collection): store_id
            for store_id, account, region, collection in session.execute(
                select(
                    VectorStore.id,
                    VectorStore.account_id,
                    VectorStore.region,
                    VectorStore.collection_id,
                ).where(
                    VectorStore.account_id == first.account_id,
                    VectorStore.region == first.region,
                )
            )
        }
        rows = [{"vector_store_id": ids[key], **row} for key, row in window.hourly]
        upsert(session, VectorStoreHourly, rows)
        return len(window.lives) + len(rows)


def _build(deps: SourceDeps) -> VectorStoresCollector:
    return VectorStoresCollector(deps.config, deps.clients)


# AOSS metrics arrive a few minutes late, like Bedrock's: the hourly job fires at :09
sources.add(
    SourceEntry("vector_stores", SourceConfig, _build, offset=timedelta(minutes=9), order=40)
)
