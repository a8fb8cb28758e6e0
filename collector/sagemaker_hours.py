"""SageMaker hourly rows (pure): endpoint lives and Invocations datapoints -> endpoint_hourly rows.

Hours before an endpoint's creation and after its deletion get no row; the first and last
hour of a life are prorated by the second. Instance-hours are priced at the price in force in
the hour; serverless variants per GB-second of their ModelLatency (summed inference duration)
at their memory size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from collector.cloudwatch import Datapoint, MetricSeries
from collector.sagemaker_lives import EndpointLife
from core.pricing import MONEY_QUANTUM, InstancePrice, InstancePriceCatalog, ServerlessPrice
from core.pricing.dated import DatedInstancePrices
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
# ModelLatency is in microseconds; its Sum over an hour is the hour's inference duration
LATENCY_METRIC = "ModelLatency"
MICROSECONDS = Decimal(1_000_000)
SECONDS_QUANTUM = Decimal("0.000001")

# endpoint_hourly.price_source's length
SOURCE_LENGTH = 256

LifeKey = tuple[str, str, str, datetime]
Priced = InstancePrice | ServerlessPrice
Counts = dict[tuple[LifeKey, datetime], int]
# per (life, component name, hour)
ComponentCounts = dict[tuple[LifeKey, str, datetime], int]
# inference seconds per (life, hour, variant name)
Durations = dict[tuple[LifeKey, datetime, str], Decimal]


def is_serverless(variant: dict[str, Any]) -> bool:
    """A variant on serverless capacity (a ServerlessConfig and no instance type)."""
    return bool(variant.get("serverless")) and not variant.get("instance_type")


def metric_series(lives: Iterable[EndpointLife]) -> list[MetricSeries]:
    """Invocations per (EndpointName, VariantName), and per inference component where there are
    any; ModelLatency too for serverless variants (their billed duration)."""
    series: set[MetricSeries] = set()
    for life in lives:
        for variant in life.variants:
            variant_dims = (
                ("EndpointName", life.endpoint_name),
                ("VariantName", str(variant["variant_name"])),
            )
            series.add(MetricSeries(NAMESPACE, "Invocations", variant_dims, "Sum"))
            if is_serverless(variant):
                series.add(MetricSeries(NAMESPACE, LATENCY_METRIC, variant_dims, "Sum"))
        for component in life.inference_components:
            if component.get("name"):
                component_dims = ((COMPONENT_DIMENSION, str(component["name"])),)
                series.add(MetricSeries(COMPONENT_NAMESPACE, "Invocations", component_dims, "Sum"))
    # ModelLatency series go last: the Invocations queries keep their ids (q<n>)
    return sorted(
        series, key=lambda s: (s.metric_name == LATENCY_METRIC, s.namespace, s.dimensions)
    )


def _owner(lives: Sequence[EndpointLife], hour: datetime) -> EndpointLife | None:
    """The life of one name that an hour's metrics belong to: the newest created by the hour's end."""
    owner = None
    for life in lives:  # sorted by creation
        if life.created_at < hour + HOUR:
            owner = life
    return owner


def _by_name(lives: Sequence[EndpointLife]) -> dict[str, list[EndpointLife]]:
    by_name: dict[str, list[EndpointLife]] = defaultdict(list)
    for life in sorted(lives, key=lambda item: item.created_at):
        by_name[life.endpoint_name].append(life)
    return by_name


def durations(lives: Sequence[EndpointLife], datapoints: Iterable[Datapoint]) -> Durations:
    """Inference seconds per (life, hour, variant) from ModelLatency Sum datapoints."""
    by_name = _by_name(lives)
    found: Durations = defaultdict(Decimal)
    for point in datapoints:
        series = point.series
        variant = series.dimension("VariantName")
        if series.metric_name != LATENCY_METRIC or variant is None:
            continue
        hour = floor_hour(point.timestamp)
        owner = _owner(by_name.get(series.dimension("EndpointName") or "", []), hour)
        if owner is not None:
            found[(owner.key, hour, variant)] += Decimal(repr(point.value)) / MICROSECONDS
    return found


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
    by_name = _by_name(lives)
    component_owner = {
        summary.get("name") or "": life.endpoint_name
        for life in sorted(lives, key=lambda item: item.created_at)
        for summary in life.inference_components
    }
    calls: Counts = defaultdict(int)
    components: ComponentCounts = defaultdict(int)
    for point in datapoints:
        hour = floor_hour(point.timestamp)
        series = point.series
        if series.metric_name != "Invocations":
            continue
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
    catalog: InstancePriceCatalog | DatedInstancePrices,
    collected_at: datetime,
) -> list[tuple[LifeKey, dict[str, Any]]]:
    """One row per endpoint-hour of [start, end) in which a life existed, keyed by the life's
    natural key (pure); priced at the prices in force in each hour."""
    prices = catalog if isinstance(catalog, DatedInstancePrices) else DatedInstancePrices(catalog)
    points = list(datapoints)
    calls, components = invocations(lives, points)
    seconds = durations(lives, points)
    return [
        (
            life.key,
            _hour_row(
                life,
                hour,
                fraction,
                (calls[(life.key, hour)], components[(life.key, hour)]),
                _serverless_seconds(life, hour, seconds, calls[(life.key, hour)]),
                prices,
                collected_at,
            ),
        )
        for life in lives
        for hour, fraction in life_hours(life, start, end, snapshot_at)
    ]


def _serverless_seconds(
    life: EndpointLife, hour: datetime, seconds: Durations, calls: int
) -> dict[str, Decimal | None] | None:
    """Inference seconds per serverless variant in an hour (None if the life has none). A variant
    without ModelLatency ran 0 s if the hour had no invocations; otherwise it is unknown (None)."""
    variants = [str(v["variant_name"]) for v in life.variants if is_serverless(v)]
    if not variants:
        return None
    missing = Decimal(0) if calls == 0 else None
    return {name: seconds.get((life.key, hour, name), missing) for name in variants}


def billed_instances(variant: dict[str, Any]) -> list[tuple[str, int | None]]:
    """(instance type, count) of a variant: its one type, or each of its instance pools (count
    None where AWS did not report a pool's instances)."""
    if variant.get("instance_type"):
        return [(variant["instance_type"], variant["instance_count"])]
    return [(p["instance_type"], p["instance_count"]) for p in variant.get("instance_pools") or []]


def _hourly_rate(
    instance_variants: Sequence[dict[str, Any]],
    prices: DatedInstancePrices,
    region: str,
    hour: datetime,
    used: list[Priced],
) -> Decimal | None:
    """The instance variants' summed price per hour; None if any instance type (or pool size) is
    unknown: an instance pool is priced per pool, never as $0."""
    rate = Decimal(0)
    for variant in instance_variants:
        for instance_type, count in billed_instances(variant):
            price = prices.price(instance_type, region, hour)
            if price is None or count is None:
                return None
            used.append(price)
            rate += price.hourly * count
    return rate


def _serverless_usd(
    life: EndpointLife,
    hour: datetime,
    prices: DatedInstancePrices,
    seconds: dict[str, Decimal | None],
    used: list[Priced],
) -> Decimal | None:
    """The serverless variants' compute cost in an hour: seconds x memory GB x rate per
    GB-second; None where the memory or the rate is unknown, or provisioned concurrency (billed
    apart, not priced here) is configured. Data processed is not in CloudWatch: not estimated."""
    usd = Decimal(0)
    for variant in life.variants:
        config = variant.get("serverless") or {}
        if not is_serverless(variant):
            continue
        memory_mb = int(config.get("memory_mb") or 0)
        rate = prices.serverless(memory_mb, life.region, hour) if memory_mb else None
        duration = seconds[str(variant["variant_name"])]
        if rate is None or duration is None or config.get("provisioned_concurrency"):
            return None
        used.append(rate)
        usd += rate.per_gb_second * Decimal(memory_mb) / 1024 * duration
    return usd


def _hour_cost(
    life: EndpointLife,
    hour: datetime,
    instance_variants: Sequence[dict[str, Any]],
    prices: DatedInstancePrices,
    service_hours: Decimal,
    seconds: dict[str, Decimal | None] | None,
    used: list[Priced],
) -> tuple[Decimal | None, bool]:
    """An endpoint-hour's estimated cost (None if unknown) and whether it is wholly priced;
    ``used`` is told each price the estimate was made with."""
    hourly_rate = _hourly_rate(instance_variants, prices, life.region, hour, used)
    if any(not billed_instances(v) and not v.get("serverless") for v in life.variants):
        hourly_rate = None  # a variant whose instances are unknown is unpriced, never $0
    serverless = (
        Decimal(0) if seconds is None else _serverless_usd(life, hour, prices, seconds, used)
    )
    cost = None
    if hourly_rate is not None and (instance_variants or serverless is not None):
        cost = (hourly_rate * service_hours + (serverless or 0)).quantize(MONEY_QUANTUM)
    return cost, hourly_rate is not None and serverless is not None


def _hour_row(
    life: EndpointLife,
    hour: datetime,
    fraction: Decimal,
    counts: tuple[int, int],
    seconds: dict[str, Decimal | None] | None,
    prices: DatedInstancePrices,
    collected_at: datetime,
) -> dict[str, Any]:
    fraction = fraction.quantize(HOURS_QUANTUM)
    billing = life.status in BILLING_STATUSES
    service_hours = fraction if billing else Decimal(0).quantize(HOURS_QUANTUM)
    instance_variants = [v for v in life.variants if billed_instances(v)]
    used: list[Priced] = []
    cost, priced = _hour_cost(life, hour, instance_variants, prices, service_hours, seconds, used)
    types = sorted({t for v in instance_variants for t, _ in billed_instances(v)})
    inference_seconds = None
    if seconds is not None:
        known = (value for value in seconds.values() if value is not None)
        inference_seconds = sum(known, Decimal(0)).quantize(SECONDS_QUANTUM)
    return {
        "hour": hour,
        "status": life.status,
        "instance_type": ",".join(types) or None,
        "instance_count": sum(v["instance_count"] for v in instance_variants),
        "service_hours": service_hours,
        "invocations": counts[0],
        "component_invocations": counts[1],
        "inference_seconds": inference_seconds,
        "estimated_cost_usd": cost,
        "priced": priced,
        **price_fields(used if cost is not None else []),
        "collected_at": collected_at,
    }


def price_fields(used: Sequence[Priced]) -> dict[str, str | None]:
    """price_source (each distinct source, "; "-joined) and price_as_of (the newest date) of the
    prices an estimate was made with; None for an estimate made with none."""
    sources = "; ".join(dict.fromkeys(price.source for price in used))
    return {
        "price_source": sources[:SOURCE_LENGTH] or None,
        "price_as_of": max((price.as_of for price in used), default=None),
    }
