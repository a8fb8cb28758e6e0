"""Acting on SageMaker endpoints against moto: delete -> restore recreates the endpoint exactly,
a plan changes nothing, scale-to-zero and back, refusals and idempotency, every attempt audited."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import boto3
import pytest
from moto.core.authorization import enable_iam_authentication
from sqlalchemy import select

from actions.engine import performer
from actions.types import ActionRequest
from core.actions_settings import ActionsConfig
from core.aws import ClientFactory
from core.models import ActionAudit, Snapshot
from demo.inference_components import create_component_endpoint, inference_components
from tests.actions.world import (
    ACCOUNT,
    ENABLED,
    autoscaling,
    create_endpoint,
    sagemaker,
    store_endpoint,
)

# what differs between an original and its re-creation by nature, not by our doing
VOLATILE = {
    "EndpointConfigArn",
    "ModelArn",
    "CreationTime",
    "PolicyARN",
    "Alarms",
    "RoleARN",
    "ScalableTargetARN",
}


def strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in VOLATILE | {"ResponseMetadata"}}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def picture(name: str) -> dict[str, Any]:
    """Everything of an endpoint that restore must bring back, comparable field by field."""
    client = sagemaker()
    endpoint = client.describe_endpoint(EndpointName=name)
    config = client.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    models = {
        variant["ModelName"]: client.describe_model(ModelName=variant["ModelName"])
        for variant in config["ProductionVariants"]
    }
    ids = [f"endpoint/{name}/variant/{v['VariantName']}" for v in config["ProductionVariants"]]
    scaling = autoscaling()
    return {
        "config": strip(config),
        "config_tags": client.list_tags(ResourceArn=config["EndpointConfigArn"])["Tags"],
        "endpoint_tags": client.list_tags(ResourceArn=endpoint["EndpointArn"])["Tags"],
        "models": strip(models),
        "model_tags": {
            model: client.list_tags(ResourceArn=answer["ModelArn"])["Tags"]
            for model, answer in models.items()
        },
        "targets": strip(
            scaling.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=ids)[
                "ScalableTargets"
            ]
        ),
        "policies": strip(
            scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
        ),
    }


def ask(action: str, arn: str, execute: bool = True, **extra: Any) -> ActionRequest:
    return ActionRequest(
        action=action, resource_arn=arn, actor="cli:tester", execute=execute, **extra
    )  # type: ignore[arg-type]


def exists(name: str) -> bool:
    return any(e["EndpointName"] == name for e in sagemaker().list_endpoints()["Endpoints"])


def audits(sessions) -> list[ActionAudit]:
    with sessions() as session:
        return list(session.scalars(select(ActionAudit).order_by(ActionAudit.id)))


def test_delete_then_restore_recreates_the_endpoint_field_by_field(aws, sessions):
    arn = create_endpoint("ranker")
    store_endpoint(sessions, arn, "ranker")
    before = picture("ranker")
    perform = performer(sessions, ClientFactory(), ENABLED)

    deleted = perform(ask("delete", arn))

    assert deleted.outcome == "succeeded", deleted.message
    assert not exists("ranker")
    assert not autoscaling().describe_scalable_targets(ServiceNamespace="sagemaker")[
        "ScalableTargets"
    ]
    with sessions() as session:
        snapshot = session.get(Snapshot, deleted.snapshot_id)
        assert snapshot is not None and snapshot.restored_at is None
        assert snapshot.hourly_usd == Decimal("2.5")  # $1.25 for half an hour in service
        assert snapshot.document["endpoint"]["EndpointName"] == "ranker"
    # someone tidied up the config and the models meanwhile: restore recreates them too
    client = sagemaker()
    client.delete_endpoint_config(EndpointConfigName="ranker-config")
    client.delete_model(ModelName="ranker-a")
    client.delete_model(ModelName="ranker-b")

    restored = perform(ask("restore", arn))

    assert restored.outcome == "succeeded", restored.message
    assert restored.snapshot_id == deleted.snapshot_id
    after = picture("ranker")
    for part in before:
        assert after[part] == before[part], part
    assert before["targets"] and before["policies"] and before["config"]["DataCaptureConfig"]
    rows = audits(sessions)
    assert [(r.action, r.outcome, r.snapshot_id) for r in rows] == [
        ("delete", "succeeded", deleted.snapshot_id),
        ("restore", "succeeded", deleted.snapshot_id),
    ]
    assert rows[0].request_ids and rows[0].request_ids == list(deleted.request_ids)
    assert len(rows[1].request_ids) == 6  # 2 models, the config, the endpoint, a target, a policy
    with sessions() as session:
        assert session.get(Snapshot, deleted.snapshot_id).restored_at is not None


def test_a_plan_makes_no_aws_call_and_changes_nothing(aws, sessions):
    arn = create_endpoint("ranker")
    store_endpoint(sessions, arn, "ranker")
    clients = ClientFactory()

    result = performer(sessions, clients, ENABLED)(ask("delete", arn, execute=False))

    assert result.outcome == "planned"
    assert any("delete endpoint ranker" in step for step in result.plan)
    assert any("$1,825.00 a month" in step for step in result.plan)  # $2.50 x 730 h
    assert clients.counter.total() == 0
    assert exists("ranker")
    with sessions() as session:
        assert session.scalars(select(Snapshot)).first() is None
    assert [(r.outcome, r.snapshot_id) for r in audits(sessions)] == [("planned", None)]


def test_acting_twice_is_skipped_and_restoring_a_running_endpoint_too(aws, sessions):
    arn = create_endpoint("ranker", scaling=False)
    store_endpoint(sessions, arn, "ranker")
    perform = performer(sessions, ClientFactory(), ENABLED)

    first = perform(ask("delete", arn))
    again = perform(ask("delete", arn))
    assert (first.outcome, again.outcome) == ("succeeded", "skipped")
    assert "deleted already" in again.message and again.request_ids == ()
    assert perform(ask("restore", arn)).outcome == "succeeded"
    assert exists("ranker")
    # nothing left to restore from: every snapshot is restored
    assert perform(ask("restore", arn)).outcome == "refused"
    # a snapshot named explicitly, while the endpoint runs: skipped, nothing created
    with sessions() as session:
        snapshot_id = session.scalars(select(Snapshot.id)).one()
    with sessions.begin() as session:
        session.get(Snapshot, snapshot_id).restored_at = None
    skipped = perform(ask("restore", arn, snapshot_id=snapshot_id))
    assert skipped.outcome == "skipped" and "exists already" in skipped.message
    with sessions() as session:
        count = session.scalars(select(Snapshot)).all()
    assert len(count) == 1


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (ActionsConfig(), "actions are disabled"),
        (ActionsConfig(enabled=True), "no remediation role"),
    ],
)
def test_without_permission_to_act_every_action_is_refused(aws, sessions, config, expected):
    arn = create_endpoint("ranker", scaling=False)
    store_endpoint(sessions, arn, "ranker")
    clients = ClientFactory()

    result = performer(sessions, clients, config)(ask("delete", arn))

    assert result.outcome == "refused" and expected in result.message
    assert clients.counter.total() == 0 and exists("ranker")
    assert [r.outcome for r in audits(sessions)] == ["refused"]


def test_unknown_resources_and_unsupported_actions_are_refused(aws, sessions):
    arn = create_endpoint("ranker", scaling=False)
    store_endpoint(sessions, arn, "ranker")
    perform = performer(sessions, ClientFactory(), ENABLED)

    unknown = perform(ask("delete", arn.replace("ranker", "nobody")))
    realtime = perform(ask("scale-to-zero", arn))

    assert unknown.outcome == "refused" and "no resource with the ARN" in unknown.message
    assert realtime.outcome == "refused" and "real-time endpoint" in realtime.message
    assert exists("ranker")
    assert [r.outcome for r in audits(sessions)] == ["refused", "refused"]


def test_an_async_endpoint_scales_to_zero_and_back(aws, sessions):
    arn = create_endpoint("batcher", asynchronous=True)
    store_endpoint(sessions, arn, "batcher", endpoint_type="async")
    perform = performer(sessions, ClientFactory(), ENABLED)

    def floor() -> int:
        (target,) = autoscaling().describe_scalable_targets(
            ServiceNamespace="sagemaker", ResourceIds=["endpoint/batcher/variant/blue"]
        )["ScalableTargets"]
        return int(target["MinCapacity"])

    stopped = perform(ask("scale-to-zero", arn))
    assert stopped.outcome == "succeeded", stopped.message
    assert floor() == 0 and exists("batcher")
    assert perform(ask("scale-to-zero", arn)).outcome == "skipped"
    restored = perform(ask("restore", arn))
    assert restored.outcome == "succeeded" and restored.snapshot_id == stopped.snapshot_id
    assert floor() == 1


def test_an_inference_component_endpoint_scales_to_zero_copies_and_back(aws, sessions):
    with inference_components():
        create_component_endpoint(
            "shared",
            "ml.g4dn.xlarge",
            1,
            [{"name": "llama", "copies": 2}, {"name": "mistral", "copies": 1}],
            created_at=__import__("datetime").datetime.now(__import__("datetime").UTC),
        )
        arn = sagemaker().describe_endpoint(EndpointName="shared")["EndpointArn"]
        store_endpoint(sessions, arn, "shared", endpoint_type="inference-components")
        perform = performer(sessions, ClientFactory(), ENABLED)

        def copies() -> dict[str, int]:
            return {
                name: sagemaker().describe_inference_component(InferenceComponentName=name)[
                    "RuntimeConfig"
                ]["DesiredCopyCount"]
                for name in ("llama", "mistral")
            }

        stopped = perform(ask("scale-to-zero", arn))
        assert stopped.outcome == "succeeded", stopped.message
        assert copies() == {"llama": 0, "mistral": 0}
        assert len(stopped.request_ids) == 2
        assert perform(ask("restore", arn)).outcome == "succeeded"
        assert copies() == {"llama": 2, "mistral": 1}


def remediation_principal(allowed: list[str]) -> ClientFactory:
    """An IAM user that may only assume the remediation role, whose policy allows ``allowed``:
    a client factory on the user's keys (moto checks both while IAM is enforced)."""
    iam = boto3.client("iam", region_name="us-east-1")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/monitor"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName="GenAIMonitorActions", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName="GenAIMonitorActions",
        PolicyName="remediation",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": allowed, "Resource": "*"}],
            }
        ),
    )
    iam.create_user(UserName="monitor")
    iam.put_user_policy(
        UserName="monitor",
        PolicyName="assume",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
            }
        ),
    )
    key = iam.create_access_key(UserName="monitor")["AccessKey"]
    session = boto3.Session(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]
    )
    return ClientFactory(session=session)


def test_a_denied_delete_leaves_the_endpoint_running_and_is_audited_denied(aws, sessions):
    arn = create_endpoint("ranker")
    store_endpoint(sessions, arn, "ranker")
    before = picture("ranker")
    # the role may read (snapshot) but not delete: a remediation policy missing its write lines
    clients = remediation_principal(
        ["sagemaker:Describe*", "sagemaker:List*", "application-autoscaling:Describe*"]
    )

    with enable_iam_authentication():
        result = performer(sessions, clients, ENABLED)(ask("delete", arn))

    assert result.outcome == "denied", result.message
    # (moto answers its denial in XML, which botocore cannot read for a JSON service: a bare 403)
    assert "sagemaker:DeleteEndpoint failed" in result.message
    assert clients.counter.count("sagemaker", "DeleteEndpoint") == 1
    assert clients.counter.count("sts", "AssumeRole") == 1
    assert exists("ranker") and picture("ranker") == before  # its scaling untouched too
    (row,) = audits(sessions)
    assert (row.action, row.outcome, row.request_ids) == ("delete", "denied", [])
    with sessions() as session:
        # nothing was stopped: no snapshot claims a stop (nor savings)
        assert session.scalars(select(Snapshot)).first() is None


def test_an_async_endpoint_without_auto_scaling_is_refused_and_keeps_no_snapshot(aws, sessions):
    arn = create_endpoint("batcher", asynchronous=True, scaling=False)
    store_endpoint(sessions, arn, "batcher", endpoint_type="async")

    result = performer(sessions, ClientFactory(), ENABLED)(ask("scale-to-zero", arn))

    assert result.outcome == "refused" and "no auto-scaling target" in result.message
    assert exists("batcher")
    with sessions() as session:
        assert session.scalars(select(Snapshot)).first() is None
