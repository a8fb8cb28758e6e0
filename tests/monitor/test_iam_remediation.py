"""The shipped remediation policy allows every AWS call the actions make, on the resources they make
it on, and grants nothing they do not need: delete, restore and scale-to-zero of every kind are
recorded against moto and the Bedrock stand-in."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient

from actions.engine import performer
from actions.types import ActionRequest
from core.aws import ClientFactory
from demo.bedrock_control import BedrockControlState, bedrock_control_plane
from demo.inference_components import create_component_endpoint, inference_components
from tests.actions.world import (
    ACCOUNT,
    ENABLED,
    REGION,
    create_endpoint,
    sagemaker,
    store_endpoint,
    store_provisioned,
)
from tests.monitor.test_iam import iam_action

POLICY = Path(__file__).resolve().parents[2] / "iam" / "remediation-policy.json"
# what AWS checks on the caller's behalf, never called by the monitor itself: tags given to a
# Create call (AddTags, TagResource), the model's execution role (PassRole), and what Application
# Auto Scaling does for a target-tracking policy (the alarms, its service-linked role)
ON_BEHALF = {
    "sagemaker:AddTags",
    "bedrock:TagResource",
    "iam:PassRole",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:PutMetricAlarm",
    "cloudwatch:DeleteAlarms",
    "iam:CreateServiceLinkedRole",
}
# the ARN kind of each SageMaker name parameter
_NAMED = {
    "EndpointName": "endpoint",
    "EndpointConfigName": "endpoint-config",
    "ModelName": "model",
    "InferenceComponentName": "inference-component",
}


def statements() -> list[dict[str, Any]]:
    document = json.loads(POLICY.read_text())
    assert document["Version"] == "2012-10-17"
    return [s for s in document["Statement"] if s["Effect"] == "Allow"]


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def allowed(action: str, resource: str) -> bool:
    """Whether an Allow statement covers the action on the resource (IAM wildcards)."""
    return any(
        any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in _listed(s["Action"]))
        and any(fnmatch.fnmatchcase(resource, p) for p in _listed(s["Resource"]))
        for s in statements()
    )


def resource_of(service: str, params: dict[str, Any]) -> str:
    """The IAM resource of a call: the ARN it names, else ``*``."""
    if service == "sagemaker":
        if "ResourceArn" in params:
            return str(params["ResourceArn"])
        for key, kind in _NAMED.items():
            if key in params:
                return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{kind}/{params[key].lower()}"
    if service == "bedrock":
        return str(params.get("provisionedModelId") or params.get("resourceARN") or "*")
    return "*"


@pytest.fixture
def recorded() -> Iterator[list[tuple[str, str]]]:
    """Every (IAM action, resource) of any botocore call while active."""
    calls: list[tuple[str, str]] = []
    original = BaseClient._make_api_call

    def record(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        service = self.meta.service_model.service_name
        calls.append((iam_action(service, operation), resource_of(service, params)))
        return original(self, operation, params)

    BaseClient._make_api_call = record  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def ask(action: str, arn: str) -> ActionRequest:
    return ActionRequest(action=action, resource_arn=arn, actor="cli:iam", execute=True)  # type: ignore[arg-type]


def test_every_call_of_every_action_is_allowed_by_the_policy_and_every_grant_is_used(
    aws, sessions, recorded
):
    now = datetime.now(UTC)
    state = BedrockControlState()
    pt = state.add_provisioned(
        REGION, "pt", "amazon.titan-text-express-v1", 1, now - timedelta(days=1)
    )
    store_provisioned(sessions, pt, "pt")
    with inference_components(), bedrock_control_plane(state):
        ranker = create_endpoint("ranker")
        store_endpoint(sessions, ranker, "ranker")
        batcher = create_endpoint("batcher", asynchronous=True)
        store_endpoint(sessions, batcher, "batcher", endpoint_type="async")
        create_component_endpoint(
            "shared", "ml.g4dn.xlarge", 1, [{"name": "llama", "copies": 1}], created_at=now
        )
        shared = sagemaker().describe_endpoint(EndpointName="shared")["EndpointArn"]
        store_endpoint(sessions, shared, "shared", endpoint_type="inference-components")
        # restore recreates the config and models too when they are gone
        recorded.clear()
        perform = performer(sessions, ClientFactory(), ENABLED)
        outcomes = [perform(ask("delete", ranker)).outcome]
        sagemaker().delete_endpoint_config(EndpointConfigName="ranker-config")
        sagemaker().delete_model(ModelName="ranker-a")
        outcomes.append(perform(ask("restore", ranker)).outcome)
        for arn in (batcher, shared):
            outcomes += [
                perform(ask("scale-to-zero", arn)).outcome,
                perform(ask("restore", arn)).outcome,
            ]
        outcomes += [perform(ask("delete", pt)).outcome, perform(ask("restore", pt)).outcome]

    assert outcomes == ["succeeded"] * 8
    # the test's own calls (deleting the config and a model) are not the monitor's
    made = {
        (action, resource)
        for action, resource in recorded
        if action not in {"sagemaker:DeleteEndpointConfig", "sagemaker:DeleteModel"}
        # assumed by the monitor's own credentials (README: the trust policy), not this role
        and action != "sts:AssumeRole"
    }
    denied = sorted(
        (action, resource) for action, resource in made if not allowed(action, resource)
    )
    assert not denied, f"the remediation policy does not allow: {denied}"
    actions = {action for action, _resource in made} | ON_BEHALF
    for statement in statements():
        for pattern in _listed(statement["Action"]):
            assert any(fnmatch.fnmatchcase(a.lower(), pattern.lower()) for a in actions), (
                f"{pattern} is granted but never needed"
            )
    # every grant to act is a write the actions make (the reads are what snapshots need)
    assert {
        "sagemaker:DeleteEndpoint",
        "sagemaker:CreateEndpoint",
        "sagemaker:CreateEndpointConfig",
        "sagemaker:CreateModel",
        "sagemaker:UpdateInferenceComponentRuntimeConfig",
        "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:DeregisterScalableTarget",
        "application-autoscaling:PutScalingPolicy",
        "bedrock:DeleteProvisionedModelThroughput",
        "bedrock:CreateProvisionedModelThroughput",
    } <= actions


def test_the_policy_grants_no_write_beyond_the_actions():
    assert allowed("sagemaker:DeleteEndpoint", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/x")
    assert not allowed("sagemaker:DeleteModel", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/x")
    assert not allowed("sagemaker:DeleteEndpointConfig", "*")
    assert not allowed(
        "sagemaker:DeleteEndpoint", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/x"
    )
    assert not allowed("aoss:DeleteCollection", "*")
    assert not allowed("bedrock:DeleteCustomModel", "*")
