"""SageMaker inventory, transform side (pure): Describe answers -> endpoint lives, reconciled."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from collector.sagemaker_inventory import Described, scalable_resource_id
from core.aws import Target
from core.models import Endpoint
from core.settings import UNATTRIBUTED, AttributionConfig
from core.timeutil import as_utc

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


def min_capacities(described: Described) -> dict[str, int]:
    """Variant name -> its autoscaling floor (MinCapacity), where a scalable target exists."""
    name = described.endpoint["EndpointName"]
    variants = described.config.get("ProductionVariants", [])
    ids = {scalable_resource_id(name, v["VariantName"]): v["VariantName"] for v in variants}
    return {
        ids[scalable["ResourceId"]]: int(scalable["MinCapacity"])
        for scalable in described.scalable_targets
        if scalable["ResourceId"] in ids
    }


def multi_model_names(described: Described) -> set[str]:
    """The endpoint's models whose containers run in MultiModel mode."""
    return {
        name
        for name, model in described.models.items()
        if any(
            container.get("Mode") == "MultiModel"
            for container in [model.get("PrimaryContainer") or {}, *(model.get("Containers") or [])]
        )
    }


def variants_of(described: Described) -> list[dict[str, Any]]:
    """The variants, live (DescribeEndpoint) first, then those only configured."""
    configured = {v["VariantName"]: v for v in described.config.get("ProductionVariants", [])}
    current = {v["VariantName"]: v for v in described.endpoint.get("ProductionVariants", [])}
    floors = min_capacities(described)
    return [
        _variant(name, current.get(name, {}), configured.get(name, {}), floors.get(name))
        for name in list(current) + [n for n in configured if n not in current]
    ]


def _variant(
    name: str, live: Mapping[str, Any], planned: Mapping[str, Any], min_capacity: int | None
) -> dict[str, Any]:
    serverless = _serverless(live.get("CurrentServerlessConfig") or planned.get("ServerlessConfig"))
    instance_type = planned.get("InstanceType")
    count = live.get("CurrentInstanceCount")
    if count is None:
        count = 0 if serverless and not instance_type else planned.get("InitialInstanceCount", 0)
    pools = _pools(live.get("InstancePools") or [], planned.get("InstancePools") or [])
    variant = {
        "variant_name": name,
        "model_name": planned.get("ModelName"),
        "instance_type": instance_type,
        "instance_count": int(count or 0),
        "desired_instance_count": live.get("DesiredInstanceCount"),
        "serverless": serverless,
        "min_capacity": min_capacity,
    }
    if pools:
        variant["instance_pools"] = pools
    return variant


def _pools(
    live: Sequence[Mapping[str, Any]], planned: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """A variant's instance pools: each type with its current count (None where AWS did not say)."""
    counts = {
        p["InstanceType"]: p.get("CurrentInstanceCount") for p in live if p.get("InstanceType")
    }
    types = [p["InstanceType"] for p in planned if p.get("InstanceType")]
    types += [t for t in counts if t not in types]
    return [{"instance_type": t, "instance_count": counts.get(t)} for t in types]


def _component(answer: Mapping[str, Any]) -> dict[str, Any]:
    """An inference component: from DescribeInferenceComponent, its copies and what each copy
    reserves (None where AWS did not say, e.g. only the List summary was had)."""
    runtime = answer.get("RuntimeConfig") or {}
    needs = (answer.get("Specification") or {}).get("ComputeResourceRequirements") or {}
    return {
        "name": answer.get("InferenceComponentName"),
        "status": answer.get("InferenceComponentStatus"),
        "variant_name": answer.get("VariantName"),
        "created_at": _iso(answer.get("CreationTime")),
        "copies": runtime.get("CurrentCopyCount"),
        "accelerators": needs.get("NumberOfAcceleratorDevicesRequired"),
        "cpu_cores": needs.get("NumberOfCpuCoresRequired"),
        "memory_mb": needs.get("MinMemoryRequiredInMb"),
    }


def _scales_to_zero(async_config: Any, variants: Sequence[Mapping[str, Any]]) -> bool:
    """An async endpoint whose every instance variant may scale down to no instance."""
    instance_variants = [v for v in variants if v["instance_type"]]
    return (
        bool(async_config)
        and bool(instance_variants)
        and all(v["min_capacity"] == 0 for v in instance_variants)
    )


def endpoint_life(
    described: Described,
    *,
    target: Target,
    attribution: AttributionConfig,
    seen_at: datetime,
) -> EndpointLife:
    """Turn one endpoint's Describe answers into its life row (pure)."""
    endpoint = described.endpoint
    variants = variants_of(described)
    components = [_component(c) for c in described.components]
    multi_models = multi_model_names(described)
    multi_model = any(v["model_name"] in multi_models for v in variants if v["model_name"])
    async_config = described.config.get("AsyncInferenceConfig") or None
    tags = {tag["Key"]: tag["Value"] for tag in described.tags}
    modified = endpoint.get("LastModifiedTime")
    return EndpointLife(
        account_id=target.account_id,
        region=target.region,
        endpoint_name=endpoint["EndpointName"],
        created_at=as_utc(endpoint["CreationTime"]),
        endpoint_arn=endpoint.get("EndpointArn"),
        endpoint_config_name=endpoint.get("EndpointConfigName"),
        endpoint_type=classify_endpoint(variants, async_config, components, multi_model),
        status=endpoint.get("EndpointStatus", "Unknown"),
        last_modified_at=as_utc(modified) if modified else None,
        deleted_at=None,
        team=team_of(tags, attribution, target.default_team),
        tags=dict(sorted(tags.items())),
        variants=variants,
        inference_components=components,
        async_inference=_jsonable(async_config) if async_config else None,
        multi_model=multi_model,
        scales_to_zero=_scales_to_zero(async_config, variants),
        last_seen_at=seen_at,
    )


def _iso(value: Any) -> Any:
    return as_utc(value).isoformat() if isinstance(value, datetime) else value


def _jsonable(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _jsonable(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_jsonable(v) for v in node]
    return _iso(node)


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


def snapshot_lives(
    described: Sequence[Described],
    stored: Sequence[EndpointLife],
    *,
    target: Target,
    attribution: AttributionConfig,
    snapshot_at: datetime,
) -> list[EndpointLife]:
    """The target's lives at the snapshot: the described ones reconciled with the stored ones."""
    listed = [
        endpoint_life(d, target=target, attribution=attribution, seen_at=snapshot_at)
        for d in described
    ]
    return reconcile(listed, stored, snapshot_at)


def active_lives(
    lives: Sequence[EndpointLife], start: datetime, end: datetime, snapshot_at: datetime
) -> list[EndpointLife]:
    """The lives that existed in [start, end) before the snapshot."""
    return [
        life
        for life in lives
        if life.created_at < min(end, snapshot_at)
        and (life.deleted_at is None or life.deleted_at > start)
    ]
