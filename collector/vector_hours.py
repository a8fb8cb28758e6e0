"""Vector store hours (pure): collections and AWS/AOSS datapoints -> vector_store_hourly rows.

The account's OCUs (``SearchOCU``, ``IndexingOCU``, dimension ``ClientId`` = the account id) are
read as the hour's Average: the mean number of OCUs over an hour is that hour's OCU-hours,
whatever the publishing period. Searches and ingestion requests per collection are the hour's
Sum of ``SearchRequestRate`` / ``IngestionRequestRate`` (dimensions ``ClientId``,
``CollectionId``, ``CollectionName``: requests per minute, so their sum is the hour's count).
Each collection carries a share of the account's OCU cost (``core.pricing.ocu.ocu_shares``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from collector.cloudwatch import Datapoint, MetricSeries
from collector.sagemaker_hours import life_hours
from collector.vector_inventory import CollectionLife
from core.pricing.ocu import OcuPrices, ocu_shares, split_ocu_cost
from core.timeutil import floor_hour

NAMESPACE = "AWS/AOSS"
ACCOUNT_METRICS = {"SearchOCU": "search", "IndexingOCU": "indexing"}
COLLECTION_METRICS = {
    "SearchRequestRate": "search_requests",
    "IngestionRequestRate": "ingestion_requests",
}
HOUR = timedelta(hours=1)
OCU_QUANTUM = Decimal("0.000001")

LifeKey = tuple[str, str, str]


def metric_series(account_id: str, lives: Iterable[CollectionLife]) -> list[MetricSeries]:
    """The account's two OCU series and each collection's request series (no ListMetrics needed:
    the inventory names every dimension value)."""
    client = (("ClientId", account_id),)
    series = [MetricSeries(NAMESPACE, metric, client, "Average") for metric in ACCOUNT_METRICS]
    for life in sorted(lives, key=lambda item: item.key):
        dims = tuple(
            sorted(
                [
                    ("ClientId", account_id),
                    ("CollectionId", life.collection_id),
                    ("CollectionName", life.name),
                ]
            )
        )
        series += [MetricSeries(NAMESPACE, metric, dims, "Sum") for metric in COLLECTION_METRICS]
    return series


def _fold(
    points: Iterable[Datapoint], by_id: dict[str, LifeKey]
) -> tuple[dict[datetime, dict[str, Decimal]], dict[tuple[LifeKey, datetime], dict[str, int]]]:
    account: dict[datetime, dict[str, Decimal]] = defaultdict(dict)
    requests: dict[tuple[LifeKey, datetime], dict[str, int]] = defaultdict(dict)
    for point in points:
        hour = floor_hour(point.timestamp)
        metric = point.series.metric_name
        if metric in ACCOUNT_METRICS and point.series.dimension("CollectionId") is None:
            kind = ACCOUNT_METRICS[metric]
            value = Decimal(str(point.value)).quantize(OCU_QUANTUM)
            account[hour][kind] = account[hour].get(kind, Decimal(0)) + value
        elif metric in COLLECTION_METRICS:
            key = by_id.get(point.series.dimension("CollectionId") or "")
            if key is not None:
                column = COLLECTION_METRICS[metric]
                counts = requests[(key, hour)]
                counts[column] = counts.get(column, 0) + int(round(point.value))
    return account, requests


def hourly_rows(
    lives: Sequence[CollectionLife],
    datapoints: Iterable[Datapoint],
    *,
    start: datetime,
    end: datetime,
    snapshot_at: datetime,
    prices: OcuPrices,
    collected_at: datetime,
) -> list[tuple[LifeKey, dict[str, Any]]]:
    """One row per collection-hour of [start, end) in which the collection existed, keyed by the
    collection's natural key."""
    account, requests = _fold(datapoints, {life.collection_id: life.key for life in lives})
    present: dict[datetime, dict[LifeKey, Decimal]] = defaultdict(dict)
    for life in lives:
        # the hours it existed in before the snapshot, each with the part of it it existed
        for hour, fraction in life_hours(life, start, end, snapshot_at):
            present[hour][life.key] = fraction
    rows = []
    for hour in sorted(present):
        ocus = account.get(hour, {})
        search, indexing = ocus.get("search", Decimal(0)), ocus.get("indexing", Decimal(0))
        region = lives[0].region
        both = (prices.price(region, hour, "search"), prices.price(region, hour, "indexing"))
        for key, share in sorted(ocu_shares(present[hour]).items()):
            ocu_hours = ((search + indexing) * share).quantize(OCU_QUANTUM)
            if both[0] is not None and both[1] is not None and both[0].usd == both[1].usd:
                cost, source = split_ocu_cost(ocu_hours, Decimal(0), both)
            else:  # kinds priced apart: each kind's share of the hours at its price
                kinds = (
                    (search * share).quantize(OCU_QUANTUM),
                    (indexing * share).quantize(OCU_QUANTUM),
                )
                cost, source = split_ocu_cost(*kinds, both)
            counts = requests.get((key, hour), {})
            rows.append(
                (
                    key,
                    {
                        "hour": hour,
                        "search_requests": counts.get("search_requests", 0),
                        "ingestion_requests": counts.get("ingestion_requests", 0),
                        "account_search_ocu_hours": search,
                        "account_indexing_ocu_hours": indexing,
                        "ocu_share": share,
                        "ocu_hours": ocu_hours,
                        "estimated_cost_usd": cost,
                        "priced": cost is not None,
                        "price_source": source,
                        "collected_at": collected_at,
                    },
                )
            )
    return rows
