"""SageMaker hourly rows (pure): endpoint lives and Invocations datapoints -> endpoint_hourly rows.

Hours before an endpoint's creation and after its deletion get no row; the first and last
hour of a life are prorated by the second.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from collector.cloudwatch import Datapoint, MetricSeries
from collector.sagemaker_lives import EndpointLife
from core.pricing import MONEY_QUANTUM, InstancePriceCatalog
from core.timeutil import floor_hour

NAMESPACE = "AWS/SageMaker"
# Inference components' invocations are published in AWS/SageMaker per InferenceComponentName;
# /aws/sagemaker/InferenceComponents holds their utilisation (CPU, memory, GPU), not calls.
COMPONENT_NAMESPACE = NAMESPACE
COMPONENT_DIMENSION = "InferenceComponentName"
# Statuses in which an endpoint's instances are provisioned and billed.
BILLING_STATUSES = frozenset(
    {"InService", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed"}
)
HOUR = timedelta(hours=1)
HOURS_QUANTUM = Decimal("0.000001")

LifeKey = tuple[str, str, str, datetime]
Counts = dict[tuple[LifeKey, datetime], int]
# per (life, component name, hour)
ComponentCounts = dict[tuple[LifeKey, str, datetime], int]


def metric_series(lives: Iterable[EndpointLife]) -> list[MetricSeries]:
    """Invocations per (EndpointName, VariantName), and per inference component where there are any."""
    series: set[MetricSeries] = set()
    for life in lives:
        for variant in life.variants:
            variant_dims = (
                ("EndpointName", life.endpoint_name),
                ("VariantName", str(variant["variant_name"])),
            )
            series.add(MetricSeries(NAMESPACE, "Invocations", variant_dims, "Sum"))
        for component in life.inference_components:
            if component.get("name"):
                component_dims = ((COMPONENT_DIMENSION, str(component["name"])),)
                series.add(MetricSeries(COMPONENT_NAMESPACE, "Invocations", component_dims, "Sum"))
    return sorted(series, key=lambda s: (s.namespace, s.dimensions))


def _owner(lives: Sequence[EndpointLife], hour: datetime) -> EndpointLife | None:
    """The life of one name that an hour's metrics belong to: the newest created by the hour's end."""
    owner = None
    for life in lives:  # sorted by creation
        if life.created_at < hour + HOUR:
            owner = life
    return owner


def invocations(
    lives: Sequence[EndpointLife], datapoints: Iterable[Datapoint]
) -> tuple[Counts, Counts]:
    """Invocations per (life, hour): summed over the variants, and over the inference components."""
    calls, per_component = component_invocations(lives, datapoints)
    components: Counts = defaultdict(int)
    for (key, _name, hour), count in per_component.items():
        components[(key, hour)] += count
    return calls, components


def component_invocations(
    lives: Sequence[EndpointLife], datapoints: Iterable[Datapoint]
) -> tuple[Counts, ComponentCounts]:
    """Invocations per (life, hour) summed over the variants, and per (life, component, hour)."""
    by_name: dict[str, list[EndpointLife]] = defaultdict(list)
    component_owner: dict[str, str] = {}
    for life in sorted(lives, key=lambda item: item.created_at):
        by_name[life.endpoint_name].append(life)
        for summary in life.inference_components:
            component_owner[summary.get("name") or ""] = life.endpoint_name
    calls: Counts = defaultdict(int)
    components: ComponentCounts = defaultdict(int)
    for point in datapoints:
        hour = floor_hour(point.timestamp)
        series = point.series
        if series.namespace == NAMESPACE and series.dimension("VariantName") is not None:
            owner = _owner(by_name.get(series.dimension("EndpointName") or "", []), hour)
            if owner is not None:
                calls[(owner.key, hour)] += int(round(point.value))
            continue
        component = series.dimension(COMPONENT_DIMENSION)
        if component is not None and series.namespace == COMPONENT_NAMESPACE:
            owner = _owner(by_name.get(component_owner.get(component, ""), []), hour)
            if owner is not None:
                components[(owner.key, component, hour)] += int(round(point.value))
    return calls, components


class Life(Protocol):
    """Anything that is created and maybe deleted: an endpoint's life, a collection's."""

    @property
    def created_at(self) -> datetime: ...

    @property
    def deleted_at(self) -> datetime | None: ...


def life_hours(
    life: Life, start: datetime, end: datetime, snapshot_at: datetime
) -> Iterator[tuple[datetime, Decimal]]:
    """Each hour of [start, end) the life existed in before the snapshot, with the part it existed."""
    until = min(filter(None, [life.deleted_at, snapshot_at]))
    hour = max(floor_hour(start), floor_hour(life.created_at))
    while hour < end and hour < until:
        seconds = (min(hour + HOUR, until) - max(hour, life.created_at)).total_seconds()
        if seconds > 0:
            yield hour, Decimal(seconds) / Decimal(3600)
        hour += HOUR


def hourly_rows(
    lives: Sequence[EndpointLife],
    datapoints: Iterable[Datapoint],
    *,
    start: datetime,
    end: datetime,
    snapshot_at: datetime,
    catalog: InstancePriceCatalog,
    collected_at: datetime,
) -> list[tuple[LifeKey, dict[str, Any]]]:
    """One row per endpoint-hour of [start, end) in which a life existed, keyed by the life's natural key (pure)."""
    calls, components = invocations(lives, datapoints)
    return [
        (
            life.key,
            _hour_row(
                life,
                hour,
                fraction,
                calls[(life.key, hour)],
                components[(life.key, hour)],
                catalog,
                collected_at,
            ),
        )
        for life in lives
        for hour, fraction in life_hours(life, start, end, snapshot_at)
    ]


def billed_instances(variant: dict[str, Any]) -> list[tuple[str, int | None]]:
    """(instance type, count) of a variant: its one type, or each of its instance pools (count
    None where AWS did not report a pool's instances)."""
    if variant.get("instance_type"):
        return [(variant["instance_type"], variant["instance_count"])]
    return [(p["instance_type"], p["instance_count"]) for p in variant.get("instance_pools") or []]


def _hourly_rate(
    instance_variants: Sequence[dict[str, Any]], catalog: InstancePriceCatalog, region: str
) -> Decimal | None:
    """The instance variants' summed price per hour; None if any instance type (or pool size) is
    unknown: an instance pool is priced per pool, never as $0."""
    rate = Decimal(0)
    for variant in instance_variants:
        for instance_type, count in billed_instances(variant):
            price = catalog.price(instance_type, region)
            if price is None or count is None:
                return None
            rate += price.hourly * count
    return rate


def _hour_cost(
    life: EndpointLife,
    instance_variants: Sequence[dict[str, Any]],
    catalog: InstancePriceCatalog,
    service_hours: Decimal,
) -> tuple[Decimal | None, bool]:
    """An endpoint-hour's estimated cost (None if unknown) and whether it is wholly priced."""
    hourly_rate = _hourly_rate(instance_variants, catalog, life.region)
    if any(not billed_instances(v) and not v.get("serverless") for v in life.variants):
        hourly_rate = None  # a variant whose instances are unknown is unpriced, never $0
    # serverless capacity bills per use, which instance-hours cannot price
    has_serverless = any(v.get("serverless") and not v.get("instance_type") for v in life.variants)
    cost = None
    if hourly_rate is not None and (instance_variants or not has_serverless):
        cost = (hourly_rate * service_hours).quantize(MONEY_QUANTUM)
    return cost, hourly_rate is not None and not has_serverless


def _hour_row(
    life: EndpointLife,
    hour: datetime,
    fraction: Decimal,
    invocations: int,
    component_invocations: int,
    catalog: InstancePriceCatalog,
    collected_at: datetime,
) -> dict[str, Any]:
    fraction = fraction.quantize(HOURS_QUANTUM)
    billing = life.status in BILLING_STATUSES
    service_hours = fraction if billing else Decimal(0).quantize(HOURS_QUANTUM)
    instance_variants = [v for v in life.variants if billed_instances(v)]
    cost, priced = _hour_cost(life, instance_variants, catalog, service_hours)
    types = sorted({t for v in instance_variants for t, _ in billed_instances(v)})
    return {
        "hour": hour,
        "status": life.status,
        "instance_type": ",".join(types) or None,
        "instance_count": sum(v["instance_count"] for v in instance_variants),
        "service_hours": service_hours,
        "invocations": invocations,
        "component_invocations": component_invocations,
        "estimated_cost_usd": cost,
        "priced": priced,
        "collected_at": collected_at,
    }
