"""SageMaker inventory, get side: every endpoint's Describe answers as AWS gave them.

ListEndpoints, then per endpoint DescribeEndpoint, DescribeEndpointConfig, ListTags,
DescribeModel (once per model), ListInferenceComponents (when a variant has no model) with
DescribeInferenceComponent per component (only it gives the copies and the resources each copy
reserves) and,
for async endpoints, application-autoscaling DescribeScalableTargets. ``sagemaker_lives``
turns the answers into rows.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.aws import AwsDenied, AwsFatal, Target, pages, translated_errors
from core.timeutil import as_utc

log = logging.getLogger(__name__)


@dataclass
class Described:
    """What the SageMaker APIs answered for one endpoint (the input of ``endpoint_life``)."""

    endpoint: dict[str, Any]  # DescribeEndpoint
    config: dict[str, Any]  # DescribeEndpointConfig; {} when the endpoint has none or it is gone
    tags: list[dict[str, str]] = field(default_factory=list)  # ListTags' Tags, every page
    # DescribeModel per model name of the config's variants; {} for a model that is gone
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    # DescribeInferenceComponent per listed component (its ListInferenceComponents summary when
    # it was deleted meanwhile)
    components: list[dict[str, Any]] = field(default_factory=list)
    # application-autoscaling DescribeScalableTargets' ScalableTargets for the variants
    scalable_targets: list[dict[str, Any]] = field(default_factory=list)


def _not_found(exc: AwsFatal) -> bool:
    return (
        exc.code in {"ValidationException", "ResourceNotFound"} and "not find" in str(exc).lower()
    )


def _call(client: Any, method: str, **params: Any) -> dict[str, Any]:
    operation = client.meta.method_to_api_mapping.get(method, method)
    with translated_errors("sagemaker", operation):
        answer: dict[str, Any] = getattr(client, method)(**params)
    return answer


def _unless_gone(client: Any, method: str, **params: Any) -> dict[str, Any] | None:
    """A Describe answer, or None when the resource was deleted meanwhile."""
    try:
        return _call(client, method, **params)
    except AwsFatal as exc:
        if not _not_found(exc):
            raise
        return None


def describe_endpoints(
    sagemaker: Any, autoscaling: Any | None, target: Target, collected_at: datetime
) -> list[Described]:
    """List every endpoint of the target and describe it, its config, tags, models and components."""
    models: dict[str, dict[str, Any]] = {}  # DescribeModel answers, shared by the endpoints
    result = []
    for page in pages(sagemaker, "list_endpoints", MaxResults=100):
        for summary in page.get("Endpoints", []):
            name = summary["EndpointName"]
            endpoint = _unless_gone(sagemaker, "describe_endpoint", EndpointName=name)
            if endpoint is None:
                log.info("%s: endpoint %s was deleted while listing", target.label, name)
                continue
            if as_utc(endpoint["CreationTime"]) > collected_at:
                continue  # created after the snapshot time: the next cycle records it
            result.append(_gather(sagemaker, autoscaling, target, endpoint, models))
    return result


def _gather(
    sagemaker: Any,
    autoscaling: Any | None,
    target: Target,
    endpoint: dict[str, Any],
    models: dict[str, dict[str, Any]],
) -> Described:
    name = endpoint["EndpointName"]
    described = Described(endpoint, _config(sagemaker, target, endpoint))
    for tag_page in pages(sagemaker, "list_tags", ResourceArn=endpoint["EndpointArn"]):
        described.tags.extend(tag_page.get("Tags", []))
    variants = described.config.get("ProductionVariants", [])
    for variant in variants:
        model = variant.get("ModelName")
        if model:
            if model not in models:
                models[model] = _model(sagemaker, target, model)
            described.models[model] = models[model]
    if variants and any(not v.get("ModelName") for v in variants):
        # a variant without a model hosts inference components
        for ic_page in pages(sagemaker, "list_inference_components", EndpointNameEquals=name):
            for summary in ic_page.get("InferenceComponents", []):
                detail = _unless_gone(
                    sagemaker,
                    "describe_inference_component",
                    InferenceComponentName=summary["InferenceComponentName"],
                )
                described.components.append(detail or summary)
    if described.config.get("AsyncInferenceConfig") and autoscaling is not None:
        described.scalable_targets = _scalable_targets(autoscaling, target, name, variants)
    return described


def _config(sagemaker: Any, target: Target, endpoint: Mapping[str, Any]) -> dict[str, Any]:
    name = endpoint.get("EndpointConfigName")
    if not name:
        return {}
    config = _unless_gone(sagemaker, "describe_endpoint_config", EndpointConfigName=name)
    if config is None:
        # a config may be deleted while its endpoint runs: instance types are then unknown
        log.warning(
            "%s: endpoint config %s of %s is gone; its instances are unpriced",
            target.label,
            name,
            endpoint["EndpointName"],
        )
    return config or {}


def _model(sagemaker: Any, target: Target, model: str) -> dict[str, Any]:
    described = _unless_gone(sagemaker, "describe_model", ModelName=model)
    if described is None:
        log.info("%s: model %s is gone; assuming it is single-model", target.label, model)
    return described or {}


def scalable_resource_id(endpoint: str, variant: str) -> str:
    """The application-autoscaling resource id of an endpoint variant."""
    return f"endpoint/{endpoint}/variant/{variant}"


def _scalable_targets(
    autoscaling: Any, target: Target, endpoint: str, variants: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    ids = sorted(scalable_resource_id(endpoint, v["VariantName"]) for v in variants)
    found: list[dict[str, Any]] = []
    try:
        for page in pages(
            autoscaling,
            "describe_scalable_targets",
            ServiceNamespace="sagemaker",
            ResourceIds=ids,
            ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        ):
            found.extend(page.get("ScalableTargets", []))
    except AwsDenied as exc:
        log.warning(
            "%s: cannot read the autoscaling of %s (%s); treating it as not scaling to zero",
            target.label,
            endpoint,
            exc,
        )
    return found
