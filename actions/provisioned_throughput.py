"""Bedrock Provisioned Throughput without a commitment term: delete (after a snapshot of its name,
model, model units and tags) and restore (a new PT of the same name, model, units and tags: AWS
gives it a new ARN). A committed PT bills until its term ends whatever is done: report only."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.handlers import Aws, Refused, Resource, jsonable
from core import registry
from core.aws import AwsError, AwsFatal
from core.models import ProvisionedThroughput, ProvisionedThroughputHourly
from core.registry import ActionEntry

KIND = "provisioned_throughput"
_BEDROCK = "bedrock"
_MICRO = Decimal("0.000001")


def _gone(exc: AwsError) -> bool:
    return isinstance(exc, AwsFatal) and exc.code == "ResourceNotFoundException"


def latest_hourly_usd(session: Session, provisioned_id: int) -> Decimal | None:
    """The cost of one billed hour at the PT's newest priced hour."""
    row = ProvisionedThroughputHourly
    statement = (
        select(row.estimated_cost_usd, row.billed_hours)
        .where(
            row.provisioned_id == provisioned_id,
            row.billed_hours > 0,
            row.estimated_cost_usd.is_not(None),
        )
        .order_by(row.hour.desc())
        .limit(1)
    )
    found = session.execute(statement).first()
    if found is None:
        return None
    cost, hours = found
    return (Decimal(str(cost)) / Decimal(str(hours))).quantize(_MICRO)


class ProvisionedThroughputHandler:
    """The handler of Bedrock Provisioned Throughput."""

    kind = KIND

    def resolve(self, session: Session, arn: str) -> Resource | None:
        """The stored PT of that ARN (the newest record of it)."""
        statement = (
            select(ProvisionedThroughput)
            .where(ProvisionedThroughput.arn == arn)
            .order_by(ProvisionedThroughput.last_seen_at.desc())
            .limit(1)
        )
        pt = session.scalars(statement).first()
        if pt is None:
            return None
        rate = latest_hourly_usd(session, pt.id)
        return Resource(
            kind=KIND,
            arn=pt.arn,
            name=pt.name,
            account_id=pt.account_id,
            region=pt.region,
            team=pt.team,
            facts={
                "provisioned_id": pt.id,
                "commitment": pt.commitment,
                "model_units": pt.model_units,
                "model_arn": pt.model_arn,
                "hourly_usd": str(rate) if rate is not None else None,
            },
        )

    def hourly_usd(self, session: Session, resource: Resource) -> Decimal | None:
        """What the PT cost a billed hour, at its newest priced hour."""
        provisioned_id = resource.facts.get("provisioned_id")
        return None if provisioned_id is None else latest_hourly_usd(session, int(provisioned_id))

    def refusal(self, resource: Resource, action: str) -> str | None:
        """A committed PT is never acted on."""
        commitment = resource.facts.get("commitment")
        if commitment:
            return (
                f"{resource.name} has a {commitment} commitment: it bills until its term ends "
                "whatever is done, so the monitor reports it only"
            )
        return None

    def plan(self, resource: Resource, action: str, document: dict[str, Any] | None) -> list[str]:
        """The steps, for people."""
        if action == "restore":
            saved = (document or {}).get("throughput", {})
            return [
                f"create Provisioned Throughput {resource.name}: model {saved.get('modelArn')}, "
                f"{saved.get('modelUnits')} model unit(s), no commitment, with its tags (a new ARN)"
            ]
        rate = resource.facts.get("hourly_usd")
        saves = [f"stops about ${Decimal(rate) * 730:,.2f} a month"] if rate else []
        return [
            f"snapshot Provisioned Throughput {resource.name}: model, model units, tags",
            f"delete Provisioned Throughput {resource.name} ({resource.facts.get('model_units')} model unit(s))",
            *saves,
            f"undo: genai-monitor act restore {resource.arn}",
        ]

    def done(self, aws: Aws, resource: Resource, action: str) -> str | None:
        """Deleted already."""
        try:
            aws.read(_BEDROCK, "get_provisioned_model_throughput", provisionedModelId=resource.arn)
        except AwsError as exc:
            if _gone(exc):
                return f"Provisioned Throughput {resource.name} does not exist (deleted already): nothing to do"
            raise
        return None

    def snapshot(self, aws: Aws, resource: Resource, action: str) -> dict[str, Any]:
        """GetProvisionedModelThroughput and its tags."""
        throughput = aws.read(
            _BEDROCK, "get_provisioned_model_throughput", provisionedModelId=resource.arn
        )
        if throughput.get("commitmentDuration"):
            raise Refused(
                f"{resource.name} has a {throughput['commitmentDuration']} commitment: report only"
            )
        tags = aws.read(_BEDROCK, "list_tags_for_resource", resourceARN=resource.arn).get(
            "tags", []
        )
        return dict(jsonable({"action": action, "throughput": throughput, "tags": tags}))

    def act(self, aws: Aws, resource: Resource, action: str, document: dict[str, Any]) -> str:
        """DeleteProvisionedModelThroughput."""
        aws.write(_BEDROCK, "delete_provisioned_model_throughput", provisionedModelId=resource.arn)
        return f"deleted Provisioned Throughput {resource.name} (snapshot kept for `act restore`)"

    def restored(self, aws: Aws, resource: Resource, document: dict[str, Any]) -> str | None:
        """A PT of that name exists already."""
        answer = aws.read(
            _BEDROCK, "list_provisioned_model_throughputs", nameContains=resource.name
        )
        for summary in answer.get("provisionedModelSummaries", []):
            if summary.get("provisionedModelName") == resource.name:
                return f"Provisioned Throughput {resource.name} exists already ({summary['provisionedModelArn']}): nothing to restore"
        return None

    def restore(self, aws: Aws, resource: Resource, document: dict[str, Any]) -> str:
        """CreateProvisionedModelThroughput of the same name, model, units and tags."""
        saved = document["throughput"]
        params: dict[str, Any] = {
            "provisionedModelName": saved["provisionedModelName"],
            "modelId": saved["modelArn"],
            "modelUnits": int(saved["modelUnits"]),
        }
        if document.get("tags"):
            params["tags"] = document["tags"]
        answer = aws.write(_BEDROCK, "create_provisioned_model_throughput", **params)
        return f"created Provisioned Throughput {resource.name} again: {answer.get('provisionedModelArn')}"


registry.actions.add(
    ActionEntry(KIND, ("delete", "restore"), ProvisionedThroughputHandler(), order=20)
)
