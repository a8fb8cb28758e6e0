"""SageMaker endpoints: inventory (List/Describe now) and hourly uptime, invocations and cost.

fetch (ListEndpoints, DescribeEndpoint, DescribeEndpointConfig, ListTags, DescribeModel,
ListInferenceComponents, application-autoscaling DescribeScalableTargets, GetMetricData)
-> transform (pure) -> load (upsert ``endpoints`` on its natural key, then ``endpoint_hourly``).

Endpoint state is a snapshot: the API answers for *now*. The snapshot is taken once per
target and cycle (at the first window's ``collected_at``) and every hour of the cycle's
windows is recorded with it, except hours already observed after they ended, which keep
what was seen then (a closer observation than today's). Hours before an endpoint's creation
and after its deletion get no row; the first and last hour of a life are prorated by the
second.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select, tuple_
from sqlalchemy.orm import Session

from collector.cloudwatch import Datapoint, MetricSeries, get_metric_data
from collector.runner import Window, incremental_range
from core.aws import AwsDenied, AwsFatal, ClientFactoryFn, Target, pages, translated_errors
from core.db import upsert
from core.models import Endpoint, EndpointHourly
from core.pricing import MONEY_QUANTUM, InstancePriceCatalog
from core.registry import SourceDeps, SourceEntry, sources
from core.settings import UNATTRIBUTED, AttributionConfig, MonitorConfig, SourceConfig
from core.timeutil import as_utc, floor_hour

log = logging.getLogger(__name__)

NAMESPACE = "AWS/SageMaker"
# Inference components' invocation counts: AWS/SageMaker per InferenceComponentName, and
# /aws/sagemaker/InferenceComponents on some accounts; both are read and the larger kept.
COMPONENT_NAMESPACES = ("AWS/SageMaker", "/aws/sagemaker/InferenceComponents")
COMPONENT_DIMENSION = "InferenceComponentName"
# Statuses in which an endpoint's instances are provisioned and billed.
BILLING_STATUSES = frozenset(
    {"InService", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed"}
)
HOUR = timedelta(hours=1)
HOURS_QUANTUM = Decimal("0.000001")

REAL_TIME = "real-time"
SERVERLESS = "serverless"
ASYNC = "async"
MULTI_MODEL = "multi-model"
INFERENCE_COMPONENTS = "inference-components"


@dataclass(frozen=True)
class EndpointLife:
    """One endpoint's life as the ``endpoints`` table stores it (without the surrogate id)."""

    account_id: str
    region: str
    endpoint_name: str
    created_at: datetime
    endpoint_arn: str | None
    endpoint_config_name: str | None
    endpoint_type: str
    status: str
    last_modified_at: datetime | None
    deleted_at: datetime | None
    team: str
    tags: dict[str, str]
    variants: list[dict[str, Any]]
    inference_components: list[dict[str, Any]]
    async_inference: dict[str, Any] | None
    multi_model: bool
    scales_to_zero: bool
    last_seen_at: datetime

    @property
    def key(self) -> tuple[str, str, str, datetime]:
        """The natural key: account, region, name, creation time."""
        return (self.account_id, self.region, self.endpoint_name, self.created_at)

    def row(self) -> dict[str, Any]:
        """The ``endpoints`` row."""
        return {name: getattr(self, name) for name in _LIFE_FIELDS}

    @classmethod
    def from_model(cls, model: Endpoint) -> EndpointLife:
        """A stored life."""
        return cls(**{name: getattr(model, name) for name in _LIFE_FIELDS})


_LIFE_FIELDS = tuple(EndpointLife.__dataclass_fields__)


@dataclass
class Described:
    """What the SageMaker APIs answered for one endpoint (the input of ``endpoint_life``)."""

    endpoint: dict[str, Any]
    config: dict[str, Any]
    tags: dict[str, str] = field(default_factory=dict)
    multi_model_models: set[str] = field(default_factory=set)
    components: list[dict[str, Any]] = field(default_factory=list)
    # variant name -> the autoscaling floor (MinCapacity), where a scalable target exists
    min_capacity: dict[str, int] = field(default_factory=dict)


def _serverless(config: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not config:
        return None
    return {
        "memory_mb": config.get("MemorySizeInMB"),
        "max_concurrency": config.get("MaxConcurrency"),
        "provisioned_concurrency": config.get("ProvisionedConcurrency"),
    }


def team_of(
    tags: Mapping[str, str], attribution: AttributionConfig, default_team: str | None
) -> str:
    """The team tag, else the account's default team, else ``unattributed``."""
    value = (tags.get(attribution.tag_key) or "").strip()
    return value or default_team or UNATTRIBUTED


def classify_endpoint(
    variants: Sequence[Mapping[str, Any]],
    async_inference: Any,
    components: Sequence[Any],
    multi_model: bool,
) -> str:
    """The endpoint type: serverless, async, inference-components, multi-model or real-time."""
    if variants and all(v.get("serverless") and not v.get("instance_type") for v in variants):
        return SERVERLESS
    if async_inference:
        return ASYNC
    if components:
        return INFERENCE_COMPONENTS
    if multi_model:
        return MULTI_MODEL
    return REAL_TIME


def endpoint_life(
    described: Described,
    *,
    target: Target,
    attribution: AttributionConfig,
    seen_at: datetime,
) -> EndpointLife:
    """Turn one endpoint's Describe answers into its life row (pure)."""
    endpoint = described.endpoint
    configured = {v["VariantName"]: v for v in described.config.get("ProductionVariants", [])}
    current = {v["VariantName"]: v for v in endpoint.get("ProductionVariants", [])}
    variants = []
    for name in list(current) + [n for n in configured if n not in current]:
        live, planned = current.get(name, {}), configured.get(name, {})
        serverless = _serverless(
            live.get("CurrentServerlessConfig") or planned.get("ServerlessConfig")
        )
        instance_type = planned.get("InstanceType")
        count = live.get("CurrentInstanceCount")
        if count is None:
            count = (
                0 if serverless and not instance_type else planned.get("InitialInstanceCount", 0)
            )
        variants.append(
            {
                "variant_name": name,
                "model_name": planned.get("ModelName"),
                "instance_type": instance_type,
                "instance_count": int(count or 0),
                "desired_instance_count": live.get("DesiredInstanceCount"),
                "serverless": serverless,
                "min_capacity": described.min_capacity.get(name),
            }
        )
    components = [
        {
            "name": c.get("InferenceComponentName"),
            "status": c.get("InferenceComponentStatus"),
            "variant_name": c.get("VariantName"),
            "created_at": _iso(c.get("CreationTime")),
        }
        for c in described.components
    ]
    multi_model = any(
        v["model_name"] in described.multi_model_models for v in variants if v["model_name"]
    )
    async_config = described.config.get("AsyncInferenceConfig") or None
    instance_variants = [v for v in variants if v["instance_type"]]
    scales_to_zero = (
        bool(async_config)
        and bool(instance_variants)
        and all(v["min_capacity"] == 0 for v in instance_variants)
    )
    return EndpointLife(
        account_id=target.account_id,
        region=target.region,
        endpoint_name=endpoint["EndpointName"],
        created_at=as_utc(endpoint["CreationTime"]),
        endpoint_arn=endpoint.get("EndpointArn"),
        endpoint_config_name=endpoint.get("EndpointConfigName"),
        endpoint_type=classify_endpoint(variants, async_config, components, multi_model),
        status=endpoint.get("EndpointStatus", "Unknown"),
        last_modified_at=as_utc(endpoint["LastModifiedTime"])
        if endpoint.get("LastModifiedTime")
        else None,
        deleted_at=None,
        team=team_of(described.tags, attribution, target.default_team),
        tags=dict(sorted(described.tags.items())),
        variants=variants,
        inference_components=components,
        async_inference=_jsonable(async_config) if async_config else None,
        multi_model=multi_model,
        scales_to_zero=scales_to_zero,
        last_seen_at=seen_at,
    )


def _iso(value: Any) -> str | None:
    return as_utc(value).isoformat() if isinstance(value, datetime) else value


def _jsonable(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _jsonable(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_jsonable(v) for v in node]
    return _iso(node) if isinstance(node, datetime) else node


def reconcile(
    listed: Sequence[EndpointLife], stored: Sequence[EndpointLife], snapshot_at: datetime
) -> list[EndpointLife]:
    """Every life to record: the listed ones, plus stored ones, those gone from the listing marked deleted.

    A stored life that is not listed was deleted at the snapshot at the latest, or before a
    newer life of the same name was created, whichever is earlier.
    """
    listed_keys = {life.key for life in listed}
    recreated: dict[tuple[str, str, str], list[datetime]] = defaultdict(list)
    for life in listed:
        recreated[life.key[:3]].append(life.created_at)
    result = list(listed)
    for life in stored:
        if life.key in listed_keys:
            continue
        if life.deleted_at is None:
            later = [
                created for created in recreated.get(life.key[:3], []) if created > life.created_at
            ]
            life = replace(life, deleted_at=min([snapshot_at, *later]))
        result.append(life)
    return sorted(result, key=lambda life: life.key)


def metric_series(lives: Iterable[EndpointLife]) -> list[MetricSeries]:
    """Invocations per (EndpointName, VariantName), and per inference component where there are any."""
    series: set[MetricSeries] = set()
    for life in lives:
        for variant in life.variants:
            dims = (("EndpointName", life.endpoint_name), ("VariantName", variant["variant_name"]))
            series.add(MetricSeries(NAMESPACE, "Invocations", dims, "Sum"))
        for component in life.inference_components:
            if component.get("name"):
                for namespace in COMPONENT_NAMESPACES:
                    series.add(
                        MetricSeries(
                            namespace,
                            "Invocations",
                            ((COMPONENT_DIMENSION, component["name"]),),
                            "Sum",
                        )
                    )
    return sorted(series, key=lambda s: (s.namespace, s.dimensions))


def _owner(lives: Sequence[EndpointLife], hour: datetime) -> EndpointLife | None:
    """The life of one name that an hour's metrics belong to: the newest created by the hour's end."""
    owner = None
    for life in lives:  # sorted by creation
        if life.created_at < hour + HOUR:
            owner = life
    return owner


def hourly_rows(
    lives: Sequence[EndpointLife],
    datapoints: Iterable[Datapoint],
    *,
    start: datetime,
    end: datetime,
    snapshot_at: datetime,
    catalog: InstancePriceCatalog,
    collected_at: datetime,
) -> list[tuple[tuple[str, str, str, datetime], dict[str, Any]]]:
    """One row per endpoint-hour of [start, end) in which a life existed, keyed by the life's natural key (pure)."""
    by_name: dict[str, list[EndpointLife]] = defaultdict(list)
    component_owner: dict[str, str] = {}
    for life in sorted(lives, key=lambda item: item.created_at):
        by_name[life.endpoint_name].append(life)
        for component in life.inference_components:
            component_owner[component.get("name") or ""] = life.endpoint_name
    calls: dict[tuple[Any, datetime], int] = defaultdict(int)
    component_calls: dict[tuple[str, datetime], dict[str, float]] = defaultdict(dict)
    for point in datapoints:
        hour = floor_hour(point.timestamp)
        if (
            point.series.namespace == NAMESPACE
            and point.series.dimension("VariantName") is not None
        ):
            owner = _owner(by_name.get(point.series.dimension("EndpointName") or "", []), hour)
            if owner is not None:
                calls[(owner.key, hour)] += int(round(point.value))
            continue
        component = point.series.dimension(COMPONENT_DIMENSION)
        if component is not None:
            per_namespace = component_calls[(component, hour)]
            per_namespace[point.series.namespace] = (
                per_namespace.get(point.series.namespace, 0.0) + point.value
            )
    components: dict[tuple[Any, datetime], int] = defaultdict(int)
    for (component, hour), per_namespace in component_calls.items():
        owner = _owner(by_name.get(component_owner.get(component, ""), []), hour)
        if owner is not None:
            components[(owner.key, hour)] += int(round(max(per_namespace.values())))

    rows = []
    for life in lives:
        until = min(filter(None, [life.deleted_at, snapshot_at]))
        hour = max(floor_hour(start), floor_hour(life.created_at))
        while hour < end and hour < until:
            seconds = (min(hour + HOUR, until) - max(hour, life.created_at)).total_seconds()
            if seconds > 0:
                rows.append(
                    (
                        life.key,
                        _hour_row(
                            life,
                            hour,
                            Decimal(seconds) / Decimal(3600),
                            calls[(life.key, hour)],
                            components[(life.key, hour)],
                            catalog,
                            collected_at,
                        ),
                    )
                )
            hour += HOUR
    return rows


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
    instance_variants = [v for v in life.variants if v.get("instance_type")]
    hourly_rate: Decimal | None = Decimal(0)
    for variant in instance_variants:
        price = catalog.price(variant["instance_type"], life.region)
        if price is None or hourly_rate is None:
            hourly_rate = None
        else:
            hourly_rate += price.hourly * variant["instance_count"]
    # serverless capacity bills per use, which instance-hours cannot price
    has_serverless = any(v.get("serverless") and not v.get("instance_type") for v in life.variants)
    priced = hourly_rate is not None and not has_serverless
    cost = None
    if hourly_rate is not None and (instance_variants or not has_serverless):
        cost = (hourly_rate * service_hours).quantize(MONEY_QUANTUM)
    types = sorted({v["instance_type"] for v in instance_variants})
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


# --- fetch ---


def _not_found(exc: AwsFatal) -> bool:
    return (
        exc.code in {"ValidationException", "ResourceNotFound"} and "not find" in str(exc).lower()
    )


def _call(client: Any, method: str, **params: Any) -> dict[str, Any]:
    operation = client.meta.method_to_api_mapping.get(method, method)
    with translated_errors("sagemaker", operation):
        answer: dict[str, Any] = getattr(client, method)(**params)
    return answer


def describe_endpoints(
    sagemaker: Any, autoscaling: Any | None, target: Target, collected_at: datetime
) -> list[Described]:
    """List every endpoint of the target and describe it, its config, tags, models and components."""
    model_modes: dict[str, bool] = {}
    result = []
    for page in pages(sagemaker, "list_endpoints", MaxResults=100):
        for summary in page.get("Endpoints", []):
            name = summary["EndpointName"]
            try:
                endpoint = _call(sagemaker, "describe_endpoint", EndpointName=name)
            except AwsFatal as exc:
                if _not_found(exc):
                    log.info("%s: endpoint %s was deleted while listing", target.label, name)
                    continue
                raise
            if as_utc(endpoint["CreationTime"]) > collected_at:
                continue  # created after the snapshot time: the next cycle records it
            described = Described(endpoint, _config(sagemaker, target, endpoint))
            for tag_page in pages(sagemaker, "list_tags", ResourceArn=endpoint["EndpointArn"]):
                described.tags.update({t["Key"]: t["Value"] for t in tag_page.get("Tags", [])})
            variants = described.config.get("ProductionVariants", [])
            for variant in variants:
                model = variant.get("ModelName")
                if model and _multi_model(sagemaker, target, model, model_modes):
                    described.multi_model_models.add(model)
            if variants and any(not v.get("ModelName") for v in variants):
                # a variant without a model hosts inference components
                for ic_page in pages(
                    sagemaker, "list_inference_components", EndpointNameEquals=name
                ):
                    described.components.extend(ic_page.get("InferenceComponents", []))
            if described.config.get("AsyncInferenceConfig") and autoscaling is not None:
                described.min_capacity = _min_capacities(autoscaling, target, name, variants)
            result.append(described)
    return result


def _config(sagemaker: Any, target: Target, endpoint: Mapping[str, Any]) -> dict[str, Any]:
    name = endpoint.get("EndpointConfigName")
    if not name:
        return {}
    try:
        return _call(sagemaker, "describe_endpoint_config", EndpointConfigName=name)
    except AwsFatal as exc:
        if not _not_found(exc):
            raise
        # a config may be deleted while its endpoint runs: instance types are then unknown
        log.warning(
            "%s: endpoint config %s of %s is gone; its instances are unpriced",
            target.label,
            name,
            endpoint["EndpointName"],
        )
        return {}


def _multi_model(sagemaker: Any, target: Target, model: str, cache: dict[str, bool]) -> bool:
    if model not in cache:
        try:
            described = _call(sagemaker, "describe_model", ModelName=model)
        except AwsFatal as exc:
            if not _not_found(exc):
                raise
            log.info("%s: model %s is gone; assuming it is single-model", target.label, model)
            described = {}
        containers = [described.get("PrimaryContainer") or {}, *(described.get("Containers") or [])]
        cache[model] = any(c.get("Mode") == "MultiModel" for c in containers)
    return cache[model]


def _min_capacities(
    autoscaling: Any, target: Target, endpoint: str, variants: Sequence[Mapping[str, Any]]
) -> dict[str, int]:
    ids = {f"endpoint/{endpoint}/variant/{v['VariantName']}": v["VariantName"] for v in variants}
    found: dict[str, int] = {}
    try:
        for page in pages(
            autoscaling,
            "describe_scalable_targets",
            ServiceNamespace="sagemaker",
            ResourceIds=sorted(ids),
            ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        ):
            for scalable in page.get("ScalableTargets", []):
                if scalable["ResourceId"] in ids:
                    found[ids[scalable["ResourceId"]]] = int(scalable["MinCapacity"])
    except AwsDenied as exc:
        log.warning(
            "%s: cannot read the autoscaling of %s (%s); treating it as not scaling to zero",
            target.label,
            endpoint,
            exc,
        )
    return found


@dataclass
class PreparedTarget:
    """One target's state for all its windows: stored lives now, the snapshot once taken."""

    target: Target
    stored: list[EndpointLife]
    lives: list[EndpointLife] | None = None
    snapshot_at: datetime | None = None


@dataclass
class FetchedWindow:
    """One window's lives and hourly rows, ready to load."""

    lives: list[EndpointLife]
    hourly: list[tuple[tuple[str, str, str, datetime], dict[str, Any]]]
    start: datetime
    end: datetime


def stored_lives(
    session: Session, target: Target, start: datetime, end: datetime
) -> list[EndpointLife]:
    """The target's stored lives that are live or overlap [start, end)."""
    statement = select(Endpoint).where(
        Endpoint.account_id == target.account_id,
        Endpoint.region == target.region,
        Endpoint.created_at < end,
        or_(Endpoint.deleted_at.is_(None), Endpoint.deleted_at > start),
    )
    return [EndpointLife.from_model(model) for model in session.scalars(statement)]


class SageMakerCollector:
    """Collects SageMaker endpoint inventory and hourly uptime, invocations and cost per target."""

    name = "sagemaker"

    def __init__(
        self,
        config: MonitorConfig,
        clients: ClientFactoryFn,
        catalog: InstancePriceCatalog | None = None,
    ) -> None:
        self.config = config
        self.clients = clients
        self.catalog = catalog or InstancePriceCatalog.load()

    @property
    def settings(self) -> SourceConfig:
        """This source's collection settings."""
        return self.config.collection.source(self.name)

    def targets(self, configured: Sequence[Target]) -> list[Target]:
        """SageMaker is regional: every configured (account, region)."""
        return list(configured)

    def incremental_range(self, last_end: datetime | None, now: datetime) -> Window:
        """From the watermark less the lookback (metrics arrive late) to this hour's end."""
        return incremental_range(last_end, now, self.settings)

    def prepare(
        self, session: Session, target: Target, start: datetime, end: datetime
    ) -> PreparedTarget:
        """Read the target's stored lives; the AWS snapshot waits for the first window's time."""
        return PreparedTarget(target, stored_lives(session, target, start, end))

    def _snapshot(self, prepared: PreparedTarget, collected_at: datetime) -> list[EndpointLife]:
        if prepared.lives is None:
            target = prepared.target
            described = describe_endpoints(
                self.clients("sagemaker", target), self._autoscaling(target), target, collected_at
            )
            listed = [
                endpoint_life(
                    d, target=target, attribution=self.config.attribution, seen_at=collected_at
                )
                for d in described
            ]
            prepared.lives = reconcile(listed, prepared.stored, collected_at)
            prepared.snapshot_at = collected_at
        return prepared.lives

    def _autoscaling(self, target: Target) -> Any | None:
        return self.clients("application-autoscaling", target)

    def fetch(
        self, prepared: PreparedTarget, start: datetime, end: datetime, collected_at: datetime
    ) -> FetchedWindow:
        """Take the snapshot (once), read the window's invocations and build its rows."""
        lives = self._snapshot(prepared, collected_at)
        assert prepared.snapshot_at is not None
        snapshot_at = prepared.snapshot_at
        active = [
            life
            for life in lives
            if life.created_at < min(end, snapshot_at)
            and (life.deleted_at is None or life.deleted_at > start)
        ]
        series = metric_series(active)
        datapoints: list[Datapoint] = []
        if series:
            datapoints = list(
                get_metric_data(self.clients("cloudwatch", prepared.target), series, start, end)
            )
        rows = hourly_rows(
            active,
            datapoints,
            start=start,
            end=end,
            snapshot_at=snapshot_at,
            catalog=self.catalog,
            collected_at=collected_at,
        )
        return FetchedWindow(lives, rows, start, end)

    def load(self, session: Session, fetched: FetchedWindow) -> int:
        """Upsert the lives, then their hours; hours already observed after they ended keep that observation."""
        if not fetched.lives:
            return 0
        natural = ["account_id", "region", "endpoint_name", "created_at"]
        upsert(session, Endpoint, [life.row() for life in fetched.lives], key=natural)
        keys = [life.key for life in fetched.lives]
        ids = {
            (account, region, name, as_utc(created)): endpoint_id
            for endpoint_id, account, region, name, created in session.execute(
                select(
                    Endpoint.id,
                    Endpoint.account_id,
                    Endpoint.region,
                    Endpoint.endpoint_name,
                    Endpoint.created_at,
                ).where(
                    tuple_(Endpoint.account_id, Endpoint.region, Endpoint.endpoint_name).in_(
                        {key[:3] for key in keys}
                    )
                )
            )
        }
        rows = [{"endpoint_id": ids[key], **row} for key, row in fetched.hourly]
        rows = _keep_earlier_observations(session, rows, fetched.start, fetched.end)
        upsert(session, EndpointHourly, rows)
        return len(fetched.lives) + len(rows)


# Capacity columns of an hour, kept from the first observation made after the hour ended.
_OBSERVED = (
    "status",
    "instance_type",
    "instance_count",
    "service_hours",
    "estimated_cost_usd",
    "priced",
    "collected_at",
)


def _keep_earlier_observations(
    session: Session, rows: list[dict[str, Any]], start: datetime, end: datetime
) -> list[dict[str, Any]]:
    if not rows:
        return rows
    existing = {
        (row.endpoint_id, row.hour): row
        for row in session.scalars(
            select(EndpointHourly).where(
                EndpointHourly.endpoint_id.in_({row["endpoint_id"] for row in rows}),
                EndpointHourly.hour >= start,
                EndpointHourly.hour < end,
            )
        )
    }
    merged = []
    for row in rows:
        before = existing.get((row["endpoint_id"], row["hour"]))
        if before is not None and before.collected_at >= before.hour + HOUR:
            row = {**row, **{name: getattr(before, name) for name in _OBSERVED}}
        merged.append(row)
    return merged


def _build(deps: SourceDeps) -> SageMakerCollector:
    return SageMakerCollector(deps.config, deps.clients)


sources.add(SourceEntry("sagemaker", SourceConfig, _build, offset=timedelta(minutes=7), order=20))
