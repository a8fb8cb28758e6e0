"""A SageMaker endpoint's capacity as the actions read and write it: the application-autoscaling
targets and policies of its variants, and the copy counts of its inference components."""

from __future__ import annotations

from typing import Any

from actions.handlers import Aws, jsonable
from core.aws import AwsDenied, AwsError

NAMESPACE = "sagemaker"
AUTOSCALING = "application-autoscaling"
# what RegisterScalableTarget / PutScalingPolicy take back from their Describe answers
_TARGET_KEYS = (
    "ServiceNamespace",
    "ResourceId",
    "ScalableDimension",
    "MinCapacity",
    "MaxCapacity",
    "SuspendedState",
)
_POLICY_KEYS = (
    "PolicyName",
    "ServiceNamespace",
    "ResourceId",
    "ScalableDimension",
    "PolicyType",
    "StepScalingPolicyConfiguration",
    "TargetTrackingScalingPolicyConfiguration",
)


def variant_resource_id(endpoint: str, variant: str) -> str:
    """application-autoscaling's resource id of an endpoint variant."""
    return f"endpoint/{endpoint}/variant/{variant}"


def scalable_targets(aws: Aws, endpoint: str, variants: list[str]) -> list[dict[str, Any]]:
    """The scalable targets of the endpoint's variants (none registered: an empty list)."""
    if not variants:
        return []
    ids = [variant_resource_id(endpoint, variant) for variant in variants]
    answer = aws.read(
        AUTOSCALING, "describe_scalable_targets", ServiceNamespace=NAMESPACE, ResourceIds=ids
    )
    return [dict(jsonable(target)) for target in answer.get("ScalableTargets", [])]


def scaling_policies(aws: Aws, targets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The scaling policies on those targets."""
    policies = []
    for target in targets:
        answer = aws.read(
            AUTOSCALING,
            "describe_scaling_policies",
            ServiceNamespace=NAMESPACE,
            ResourceId=target["ResourceId"],
            ScalableDimension=target["ScalableDimension"],
        )
        policies += [dict(jsonable(policy)) for policy in answer.get("ScalingPolicies", [])]
    return policies


def register_targets(aws: Aws, targets: list[dict[str, Any]], floor: int | None = None) -> None:
    """(Re-)register each target as saved, or with its MinCapacity lowered to ``floor``."""
    for target in targets:
        params = {key: target[key] for key in _TARGET_KEYS if target.get(key) is not None}
        if floor is not None:
            params["MinCapacity"] = floor
        aws.write(AUTOSCALING, "register_scalable_target", **params)


def put_policies(aws: Aws, policies: list[dict[str, Any]]) -> None:
    """Put each saved scaling policy back."""
    for policy in policies:
        params = {key: policy[key] for key in _POLICY_KEYS if policy.get(key) is not None}
        aws.write(AUTOSCALING, "put_scaling_policy", **params)


def component_copies(aws: Aws, endpoint: str) -> dict[str, int]:
    """Each inference component of the endpoint -> its desired copy count (none: empty)."""
    try:
        listed = aws.read(NAMESPACE, "list_inference_components", EndpointNameEquals=endpoint)
    except AwsDenied:
        raise
    except AwsError:
        # a stand-in without inference components (moto) answers an error: it has none
        return {}
    copies = {}
    for summary in listed.get("InferenceComponents", []):
        name = summary["InferenceComponentName"]
        described = aws.read(NAMESPACE, "describe_inference_component", InferenceComponentName=name)
        copies[name] = int(described.get("RuntimeConfig", {}).get("DesiredCopyCount", 0))
    return copies


def set_copies(aws: Aws, copies: dict[str, int]) -> None:
    """Set each named inference component's copy count."""
    for name, count in copies.items():
        aws.write(
            NAMESPACE,
            "update_inference_component_runtime_config",
            InferenceComponentName=name,
            DesiredRuntimeConfig={"CopyCount": count},
        )
