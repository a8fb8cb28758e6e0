"""SageMaker endpoints: delete (and restore under the same name), scale-to-zero (async endpoints:
their auto-scaling floor to 0; inference-component endpoints: every component to 0 copies).

Delete removes the endpoint only, the part that bills: its endpoint config and models cost nothing
and may be shared by other endpoints, so they stay; the snapshot holds them all the same, and
restore recreates whichever is gone (same names, containers, role, VPC, tags) before the endpoint,
then its auto-scaling targets and policies.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from botocore.exceptions import WaiterError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from actions.handlers import Aws, Refused, Resource, arn_parts, jsonable
from actions.sagemaker_scaling import (
    component_copies,
    put_policies,
    register_targets,
    scalable_targets,
    scaling_policies,
    set_copies,
)
from core import registry
from core.aws import AwsError, AwsFatal
from core.models import Endpoint
from core.queries.waste_endpoints import endpoint_arn, hourly_rates
from core.registry import ActionEntry
from core.timeutil import utcnow

KIND = "sagemaker_endpoint"
ASYNC = "async"
COMPONENTS = "inference-components"
_SM = "sagemaker"
# what CreateModel / CreateEndpointConfig take back from their Describe answers
_MODEL_KEYS = (
    "ModelName",
    "PrimaryContainer",
    "Containers",
    "InferenceExecutionConfig",
    "ExecutionRoleArn",
    "VpcConfig",
    "EnableNetworkIsolation",
)
_CONFIG_KEYS = (
    "EndpointConfigName",
    "ProductionVariants",
    "DataCaptureConfig",
    "KmsKeyId",
    "AsyncInferenceConfig",
    "ExplainerConfig",
    "ShadowProductionVariants",
    "ExecutionRoleArn",
    "VpcConfig",
    "EnableNetworkIsolation",
)


def missing(exc: AwsError) -> bool:
    """SageMaker's answer for a resource that does not exist (a ValidationException)."""
    return isinstance(exc, AwsFatal) and "could not find" in str(exc).lower()


def _present(aws: Aws, method: str, **params: Any) -> dict[str, Any] | None:
    """A Describe answer, None when the resource does not exist."""
    try:
        return aws.read(_SM, method, **params)
    except AwsError as exc:
        if missing(exc):
            return None
        raise


def _tags(aws: Aws, arn: str) -> list[dict[str, str]]:
    """A resource's tags, without AWS's own (``aws:`` keys cannot be set)."""
    tags: list[dict[str, str]] = aws.read(_SM, "list_tags", ResourceArn=arn).get("Tags", [])
    return [tag for tag in tags if not tag["Key"].startswith("aws:")]


def _kept(answer: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """The create call's parameters from a Describe answer (empty values left out)."""
    return {key: answer[key] for key in keys if answer.get(key) not in (None, {}, [])}


class SageMakerEndpoint:
    """The handler of SageMaker endpoints."""

    kind = KIND

    def resolve(self, session: Session, arn: str) -> Resource | None:
        """The newest stored life of the endpoint ``arn`` names (a deleted one too: AWS decides)."""
        service, region, account, rest = arn_parts(arn)
        kind, _, name = rest.partition("/")
        if service != _SM or kind != "endpoint" or not name:
            return None
        statement = (
            select(Endpoint)
            .where(
                or_(
                    Endpoint.endpoint_arn == arn,
                    (Endpoint.account_id == account)
                    & (Endpoint.region == region)
                    & (func.lower(Endpoint.endpoint_name) == name.lower()),
                )
            )
            .order_by(Endpoint.deleted_at.is_(None).desc(), Endpoint.created_at.desc())
            .limit(1)
        )
        row = session.scalars(statement).first()
        if row is None:
            return None
        rate = hourly_rates(session, [row.id], utcnow()).get(row.id)
        return Resource(
            kind=KIND,
            arn=row.endpoint_arn or endpoint_arn(row.account_id, row.region, row.endpoint_name),
            name=row.endpoint_name,
            account_id=row.account_id,
            region=row.region,
            team=row.team,
            facts={
                "endpoint_id": row.id,
                "endpoint_type": row.endpoint_type,
                "config": row.endpoint_config_name,
                "variants": [
                    v.get("variant_name") or v.get("VariantName") or v.get("name")
                    for v in row.variants or []
                ],
                "components": [c.get("name") for c in row.inference_components or []],
                "hourly_usd": str(rate) if rate is not None else None,
            },
        )

    def hourly_usd(self, session: Session, resource: Resource) -> Decimal | None:
        """The endpoint's cost per in-service hour at its newest priced hour."""
        endpoint_id = resource.facts.get("endpoint_id")
        if endpoint_id is None:
            return None
        return hourly_rates(session, [int(endpoint_id)], utcnow()).get(int(endpoint_id))

    def refusal(self, resource: Resource, action: str) -> str | None:
        """scale-to-zero exists for async and inference-component endpoints only."""
        kind = resource.facts.get("endpoint_type")
        if action == "scale-to-zero" and kind is not None and kind not in (ASYNC, COMPONENTS):
            return (
                f"{resource.name} is a {kind} endpoint: scale-to-zero needs an asynchronous or "
                "inference-component endpoint; `act delete` stops it (with a snapshot to restore)"
            )
        return None

    def plan(self, resource: Resource, action: str, document: dict[str, Any] | None) -> list[str]:
        """The steps, for people."""
        name = resource.name
        rate = resource.facts.get("hourly_usd")
        saves = [f"stops about ${Decimal(rate) * 730:,.2f} a month"] if rate else []
        if action == "delete":
            return [
                f"snapshot endpoint {name}: its config, variants, models, tags, data capture and auto-scaling",
                f"delete endpoint {name} (its endpoint config and models stay: they cost nothing)",
                f"deregister the auto-scaling targets of its variants {', '.join(resource.facts.get('variants') or []) or ''}".rstrip(),
                *saves,
                f"undo: genai-monitor act restore {resource.arn}",
            ]
        if action == "scale-to-zero":
            if resource.facts.get("endpoint_type") == COMPONENTS:
                step = f"set every inference component of {name} to 0 copies"
            else:
                step = f"set the auto-scaling floor (MinCapacity) of {name}'s variants to 0"
            return [f"snapshot endpoint {name} and its scaling", step, *saves]
        return _restore_plan(resource, document or {})

    def done(self, aws: Aws, resource: Resource, action: str) -> str | None:
        """Deleted already, or at zero already."""
        endpoint = _present(aws, "describe_endpoint", EndpointName=resource.name)
        if endpoint is None:
            return f"endpoint {resource.name} does not exist (deleted already): nothing to do"
        if action == "scale-to-zero":
            return _at_zero(aws, resource, endpoint)
        return None

    def snapshot(self, aws: Aws, resource: Resource, action: str) -> dict[str, Any]:
        """DescribeEndpoint, its config, its models, their tags, scaling and inference components."""
        endpoint = aws.read(_SM, "describe_endpoint", EndpointName=resource.name)
        config = aws.read(
            _SM, "describe_endpoint_config", EndpointConfigName=endpoint["EndpointConfigName"]
        )
        variants = [v["VariantName"] for v in config.get("ProductionVariants", [])]
        models = {}
        for name in sorted(
            {v["ModelName"] for v in config["ProductionVariants"] if v.get("ModelName")}
        ):
            model = aws.read(_SM, "describe_model", ModelName=name)
            models[name] = {"model": model, "tags": _tags(aws, model["ModelArn"])}
        targets = scalable_targets(aws, resource.name, variants)
        document = {
            "action": action,
            "endpoint": endpoint,
            "endpoint_tags": _tags(aws, endpoint["EndpointArn"]),
            "config": config,
            "config_tags": _tags(aws, config["EndpointConfigArn"]),
            "models": models,
            "scalable_targets": targets,
            "scaling_policies": scaling_policies(aws, targets),
            "components": component_copies(aws, resource.name),
        }
        if action == "scale-to-zero" and not document["components"] and not targets:
            raise Refused(
                f"{resource.name} has no auto-scaling target: scale-to-zero needs one (a policy on "
                "its backlog) to scale in; `act delete` stops it instead"
            )
        return dict(jsonable(document))

    def act(self, aws: Aws, resource: Resource, action: str, document: dict[str, Any]) -> str:
        """Delete the endpoint, then its scaling; or lower its floor / copies to zero."""
        if action == "scale-to-zero":
            if document["components"]:
                set_copies(aws, {name: 0 for name in document["components"]})
                return f"{resource.name}: {len(document['components'])} inference component(s) set to 0 copies"
            register_targets(aws, document["scalable_targets"], floor=0)
            return f"{resource.name}: auto-scaling floor set to 0"
        # the endpoint first: if that is denied, nothing has changed (its scaling still holds)
        aws.write(_SM, "delete_endpoint", EndpointName=resource.name)
        for target in document["scalable_targets"]:
            aws.write(
                "application-autoscaling",
                "deregister_scalable_target",
                ServiceNamespace=target["ServiceNamespace"],
                ResourceId=target["ResourceId"],
                ScalableDimension=target["ScalableDimension"],
            )
        return f"deleted endpoint {resource.name} (snapshot kept for `act restore`)"

    def restored(self, aws: Aws, resource: Resource, document: dict[str, Any]) -> str | None:
        """The endpoint exists again (a deleted one), or is back at its capacity (scaled one)."""
        endpoint = _present(aws, "describe_endpoint", EndpointName=resource.name)
        if document["action"] == "delete":
            if endpoint is not None:
                return f"endpoint {resource.name} exists already: nothing to restore"
            return None
        if endpoint is None:
            raise Refused(
                f"endpoint {resource.name} no longer exists: its scaling cannot be restored"
            )
        wanted = {t["ResourceId"]: int(t["MinCapacity"]) for t in document["scalable_targets"]}
        now = {
            t["ResourceId"]: int(t["MinCapacity"])
            for t in scalable_targets(aws, resource.name, list(_variants(document)))
        }
        copies = component_copies(aws, resource.name)
        if now == wanted and copies == document["components"]:
            return f"{resource.name} is at its snapshot's capacity already: nothing to restore"
        return None

    def restore(self, aws: Aws, resource: Resource, document: dict[str, Any]) -> str:
        """Recreate what is gone (models, config, endpoint with its tags), then its scaling."""
        if document["action"] == "scale-to-zero":
            set_copies(aws, document["components"])
            register_targets(aws, document["scalable_targets"])
            return f"{resource.name}: capacity restored from the snapshot"
        made = []
        for name, saved in document["models"].items():
            if _present(aws, "describe_model", ModelName=name) is None:
                aws.write(
                    _SM,
                    "create_model",
                    **_kept(saved["model"], _MODEL_KEYS),
                    **_tag_param(saved["tags"]),
                )
                made.append(f"model {name}")
        config = document["config"]
        if (
            _present(
                aws, "describe_endpoint_config", EndpointConfigName=config["EndpointConfigName"]
            )
            is None
        ):
            aws.write(
                _SM,
                "create_endpoint_config",
                **_kept(config, _CONFIG_KEYS),
                **_tag_param(document["config_tags"]),
            )
            made.append(f"endpoint config {config['EndpointConfigName']}")
        aws.write(
            _SM,
            "create_endpoint",
            EndpointName=resource.name,
            EndpointConfigName=config["EndpointConfigName"],
            **_tag_param(document["endpoint_tags"]),
        )
        made.append(f"endpoint {resource.name}")
        if document["scalable_targets"]:
            _wait_in_service(aws, resource.name)
            register_targets(aws, document["scalable_targets"])
            put_policies(aws, document["scaling_policies"])
            made.append(f"{len(document['scalable_targets'])} auto-scaling target(s)")
        return "recreated " + ", ".join(made)


def _tag_param(tags: list[dict[str, str]]) -> dict[str, Any]:
    return {"Tags": tags} if tags else {}


def _variants(document: dict[str, Any]) -> list[str]:
    return [v["VariantName"] for v in document["config"].get("ProductionVariants", [])]


def _at_zero(aws: Aws, resource: Resource, endpoint: dict[str, Any]) -> str | None:
    """Why an endpoint needs no scale-to-zero: every component at 0 copies, or every floor at 0."""
    copies = component_copies(aws, resource.name)
    if copies:
        if all(count == 0 for count in copies.values()):
            return f"every inference component of {resource.name} has 0 copies already"
        return None
    variants = [v["VariantName"] for v in endpoint.get("ProductionVariants", [])]
    targets = scalable_targets(aws, resource.name, variants)
    if targets and all(int(t["MinCapacity"]) == 0 for t in targets):
        return f"the auto-scaling floor of {resource.name} is 0 already"
    return None


def _wait_in_service(aws: Aws, name: str) -> None:
    """Scaling can be registered once the endpoint is in service (minutes on AWS)."""
    try:
        aws.client(_SM).get_waiter("endpoint_in_service").wait(
            EndpointName=name, WaiterConfig={"Delay": 15, "MaxAttempts": 120}
        )
    except WaiterError as exc:
        raise AwsFatal("fatal", _SM, "DescribeEndpoint", "NotInService", str(exc)) from exc


def _restore_plan(resource: Resource, document: dict[str, Any]) -> list[str]:
    name = resource.name
    if document.get("action") == "scale-to-zero":
        return [
            f"restore the auto-scaling floor and inference-component copies of {name} from the snapshot"
        ]
    config = document.get("config", {})
    return [
        f"recreate the models {', '.join(document.get('models', {}))} if they are gone",
        f"recreate endpoint config {config.get('EndpointConfigName')} if it is gone",
        f"create endpoint {name} with its tags",
        f"register {len(document.get('scalable_targets', []))} auto-scaling target(s) and "
        f"{len(document.get('scaling_policies', []))} policy(ies)",
    ]


registry.actions.add(
    ActionEntry(KIND, ("delete", "scale-to-zero", "restore"), SageMakerEndpoint(), order=10)
)
