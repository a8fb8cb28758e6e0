"""Provisioned Throughput, transform side (pure): List answers -> lives, hours -> hourly rows.

A PT bills per model unit for every hour it exists, called or not; the first and last hours of
its life are prorated by the second. Hours after a commitment has expired are priced at the
no-commitment rate (AWS keeps the PT running, billed by the hour, until it is deleted).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from collector.cloudwatch import Datapoint, MetricSeries
from collector.sagemaker_lives import team_of
from core.aws import Target
from core.models import ProvisionedThroughput
from core.pricing import foundation_model_id
from core.pricing.provisioned import ProvisionedPrices, model_unit_cost
from core.settings import AttributionConfig
from core.timeutil import as_utc, floor_hour

NAMESPACE = "AWS/Bedrock"
DIMENSION = "ModelId"
# CloudWatch metric -> hourly column (all Sum)
METRICS = {
    "Invocations": "invocations",
    "InputTokenCount": "input_tokens",
    "OutputTokenCount": "output_tokens",
}
HOUR = timedelta(hours=1)
HOURS_QUANTUM = Decimal("0.000001")
NOT_BILLED = frozenset({"Failed"})

Page = Mapping[str, Any]


@dataclass(frozen=True)
class PtLife:
    """One Provisioned Throughput as the ``provisioned_throughputs`` table stores it (no id)."""

    account_id: str
    region: str
    arn: str
    name: str
    model_arn: str
    base_model_id: str
    model_units: int
    commitment: str | None
    commitment_expires_at: datetime | None
    status: str
    created_at: datetime
    last_modified_at: datetime | None
    deleted_at: datetime | None
    team: str
    tags: dict[str, str]
    last_seen_at: datetime

    @property
    def key(self) -> tuple[str, str, str]:
        """The natural key: account, region, ARN."""
        return (self.account_id, self.region, self.arn)

    def row(self) -> dict[str, Any]:
        """The ``provisioned_throughputs`` row."""
        return {name: getattr(self, name) for name in _FIELDS}

    @classmethod
    def from_model(cls, model: ProvisionedThroughput) -> PtLife:
        """A stored life."""
        return cls(**{name: getattr(model, name) for name in _FIELDS})


_FIELDS = tuple(PtLife.__dataclass_fields__)


def aws_time(value: Any) -> datetime | None:
    """A timestamp of an AWS answer (datetime, or ISO text in recorded answers) as UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    return as_utc(value)


def pt_life(
    summary: Page,
    tags: Sequence[Page],
    *,
    target: Target,
    attribution: AttributionConfig,
    seen_at: datetime,
) -> PtLife:
    """One ``provisionedModelSummaries`` entry and its tag pages -> its life (pure)."""
    tag_map = {tag["key"]: tag["value"] for page in tags for tag in page.get("tags", [])}
    created = aws_time(summary["creationTime"])
    assert created is not None
    return PtLife(
        account_id=target.account_id,
        region=target.region,
        arn=summary["provisionedModelArn"],
        name=summary["provisionedModelName"],
        model_arn=summary["modelArn"],
        base_model_id=foundation_model_id(summary.get("foundationModelArn") or summary["modelArn"]),
        model_units=int(summary["modelUnits"]),
        commitment=summary.get("commitmentDuration") or None,
        commitment_expires_at=aws_time(summary.get("commitmentExpirationTime")),
        status=summary.get("status", "Unknown"),
        created_at=created,
        last_modified_at=aws_time(summary.get("lastModifiedTime")),
        deleted_at=None,
        team=team_of(tag_map, attribution, target.default_team),
        tags=dict(sorted(tag_map.items())),
        last_seen_at=seen_at,
    )


def reconcile(
    listed: Sequence[PtLife], stored: Sequence[PtLife], snapshot_at: datetime
) -> list[PtLife]:
    """The listed lives, plus stored ones; a stored one no longer listed was deleted by the snapshot."""
    keys = {life.key for life in listed}
    result = list(listed)
    for life in stored:
        if life.key in keys:
            continue
        if life.deleted_at is None:
            life = replace(life, deleted_at=snapshot_at)
        result.append(life)
    return sorted(result, key=lambda life: life.key)


def metric_series(lives: Iterable[PtLife]) -> list[MetricSeries]:
    """Invocations and token counts per provisioned model ARN (its ``ModelId`` in AWS/Bedrock)."""
    return [
        MetricSeries(NAMESPACE, metric, ((DIMENSION, life.arn),), "Sum")
        for life in sorted(lives, key=lambda life: life.arn)
        for metric in METRICS
    ]


def active(lives: Iterable[PtLife], start: datetime, end: datetime) -> list[PtLife]:
    """The lives that existed at some moment of [start, end)."""
    return [
        life
        for life in lives
        if life.created_at < end and (life.deleted_at is None or life.deleted_at > start)
    ]


def billed_hours(life: PtLife, hour: datetime) -> Decimal:
    """The fraction of ``hour`` the PT existed (and was not failed)."""
    if life.status in NOT_BILLED:
        return Decimal(0)
    low = max(hour, life.created_at)
    high = min(hour + HOUR, life.deleted_at or hour + HOUR)
    seconds = max((high - low).total_seconds(), 0)
    return (Decimal(str(seconds)) / Decimal(3600)).quantize(HOURS_QUANTUM)


def hourly_rows(
    lives: Sequence[PtLife],
    points: Iterable[Datapoint],
    *,
    start: datetime,
    end: datetime,
    snapshot_at: datetime,
    prices: ProvisionedPrices,
    collected_at: datetime,
) -> list[tuple[tuple[str, str, str], dict[str, Any]]]:
    """One row per (PT, hour) of [start, end) up to the snapshot's hour: billed hours, traffic, cost."""
    counts: dict[tuple[str, datetime], dict[str, int]] = defaultdict(dict)
    for point in points:
        arn = point.series.dimension(DIMENSION)
        column = METRICS.get(point.series.metric_name)
        if arn is not None and column is not None:
            slot = counts[(arn, floor_hour(point.timestamp))]
            slot[column] = slot.get(column, 0) + int(round(point.value))
    rows = []
    last = min(end, floor_hour(snapshot_at) + HOUR)
    for life in active(lives, start, last):
        hour = max(floor_hour(life.created_at), start)
        while hour < last and (life.deleted_at is None or hour < life.deleted_at):
            rows.append(
                (
                    life.key,
                    _hour_row(life, hour, counts.get((life.arn, hour), {}), prices, collected_at),
                )
            )
            hour += HOUR
    return rows


def _hour_row(
    life: PtLife,
    hour: datetime,
    traffic: Mapping[str, int],
    prices: ProvisionedPrices,
    collected_at: datetime,
) -> dict[str, Any]:
    expired = life.commitment_expires_at is not None and hour >= life.commitment_expires_at
    commitment = None if expired else life.commitment
    billed = billed_hours(life, hour)
    price = prices.price(life.base_model_id, life.region, commitment, hour)
    cost = model_unit_cost(price, life.model_units, billed)
    return {
        "hour": hour,
        "model_units": life.model_units,
        "commitment": commitment,
        "billed_hours": billed,
        **{column: int(traffic.get(column, 0)) for column in METRICS.values()},
        "estimated_cost_usd": cost,
        "priced": cost is not None,
        "price_source": price.source if price is not None else None,
        "collected_at": collected_at,
    }
