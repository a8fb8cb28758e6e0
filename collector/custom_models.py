"""Bedrock custom and imported models and custom model deployments: inventory -> custom_models.

get (ListCustomModels, ListImportedModels, ListCustomModelDeployments where the API has them,
and ListTagsForResource per resource, once per target and cycle: the Lists return every stored
field) -> transform (pure: ``model_rows``) -> load (upsert; a model no longer listed keeps its
row and gets ``deleted_at``).

Their on-demand traffic is in AWS/Bedrock under ``ModelId`` = the model's (or deployment's)
ARN, which the ``bedrock`` source already stores in bedrock_usage_hourly: it is read from there
(core.queries.custom_models), never collected twice. What bills: a custom model's storage (a
monthly fee per model) and its inference, which is either a Provisioned Throughput (the
``provisioned_throughput`` source prices its hours, idle or not) or an on-demand deployment
billed per token at the base model's rates; an imported model bills Custom Model Units per
minute only while copies serve calls (it scales to zero after 5 idle minutes). So no deployment
bills while idle: only Provisioned Throughput has an idle rule.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.bedrock_control import Page, list_pages, tag_pages
from collector.provisioned_lives import aws_time
from collector.runner import HourlyRegionalSource
from collector.sagemaker_lives import team_of
from core.aws import ClientFactoryFn, Target
from core.db import upsert
from core.models import CustomModel
from core.pricing import foundation_model_id
from core.registry import SourceDeps, SourceEntry, sources
from core.settings import AttributionConfig, MonitorConfig, SourceConfig

log = logging.getLogger(__name__)

SOURCE = "custom_models"
# kind -> (List method, the answer's list key, the ARN field)
KINDS = {
    "custom": ("list_custom_models", "modelSummaries", "modelArn"),
    "imported": ("list_imported_models", "modelSummaries", "modelArn"),
    "deployment": (
        "list_custom_model_deployments",
        "modelDeploymentSummaries",
        "customModelDeploymentArn",
    ),
}
NATURAL_KEY = ["account_id", "region", "arn"]


@dataclass(frozen=True)
class Inventory:
    """Each kind's List pages and every resource's tag pages, as AWS answered."""

    pages: dict[str, list[Page]]
    tags: dict[str, list[Page]]
    at: datetime


def list_models(client: Any, at: datetime) -> Inventory:
    """List every kind the client's API has, and each resource's tags."""
    answers: dict[str, list[Page]] = {}
    tags: dict[str, list[Page]] = {}
    for kind, (method, key, arn_field) in KINDS.items():
        if not hasattr(client, method):
            log.info("this botocore has no bedrock %s: %s models are not listed", method, kind)
            continue
        answers[kind] = list_pages(client, method)
        for page in answers[kind]:
            for summary in page.get(key, []):
                tags[summary[arn_field]] = tag_pages(client, summary[arn_field])
    return Inventory(answers, tags, at)


def _fields(kind: str, summary: Page) -> dict[str, Any]:
    if kind == "custom":
        return {
            "name": summary["modelName"],
            "base_model": foundation_model_id(summary["baseModelArn"]),
            "status": summary.get("modelStatus") or "Active",
            "customization_type": summary.get("customizationType"),
            "created_at": aws_time(summary["creationTime"]),
        }
    if kind == "imported":
        return {
            "name": summary["modelName"],
            "base_model": None,
            "status": "Active",
            "customization_type": "IMPORTED",
            "created_at": aws_time(summary["creationTime"]),
        }
    return {
        "name": summary["customModelDeploymentName"],
        "base_model": summary["modelArn"],
        "status": summary.get("status"),
        "customization_type": None,
        "created_at": aws_time(summary["createdAt"]),
    }


def model_rows(
    inventory: Inventory,
    stored: list[dict[str, Any]],
    *,
    target: Target,
    attribution: AttributionConfig,
    seen_at: datetime,
) -> list[dict[str, Any]]:
    """The listed resources as custom_models rows, plus stored ones no longer listed, marked deleted."""
    rows = []
    for kind, (_method, key, arn_field) in KINDS.items():
        for page in inventory.pages.get(kind, []):
            for summary in page.get(key, []):
                arn = summary[arn_field]
                tags = {
                    t["key"]: t["value"]
                    for p in inventory.tags.get(arn, [])
                    for t in p.get("tags", [])
                }
                rows.append(
                    {
                        "account_id": target.account_id,
                        "region": target.region,
                        "arn": arn,
                        "kind": kind,
                        **_fields(kind, summary),
                        "deleted_at": None,
                        "team": team_of(tags, attribution, target.default_team),
                        "tags": dict(sorted(tags.items())),
                        "last_seen_at": seen_at,
                    }
                )
    listed = {row["arn"] for row in rows}
    listed_kinds = set(inventory.pages)
    for row in stored:
        # a kind the API could not list says nothing about its stored resources
        if row["arn"] in listed or row["kind"] not in listed_kinds:
            continue
        rows.append({**row, "deleted_at": row["deleted_at"] or seen_at})
    return sorted(rows, key=lambda row: row["arn"])


def stored_models(session: Session, target: Target) -> list[dict[str, Any]]:
    """The target's stored resources not yet known deleted."""
    columns = [c.name for c in CustomModel.__table__.columns]
    statement = select(CustomModel).where(
        CustomModel.account_id == target.account_id,
        CustomModel.region == target.region,
        CustomModel.deleted_at.is_(None),
    )
    return [{c: getattr(model, c) for c in columns} for model in session.scalars(statement)]


@dataclass
class PreparedTarget:
    """One target's stored resources, and whether its listing was taken this cycle."""

    target: Target
    stored: list[dict[str, Any]]
    listed: bool = False


class CustomModelsCollector(HourlyRegionalSource):
    """Collects the custom model inventory of each target, once per cycle (its first window)."""

    name = SOURCE

    def __init__(self, config: MonitorConfig, clients: ClientFactoryFn) -> None:
        self.config = config
        self.clients = clients

    def prepare(
        self, session: Session, target: Target, start: datetime, end: datetime
    ) -> PreparedTarget:
        """Read the stored inventory."""
        return PreparedTarget(target, stored_models(session, target))

    def fetch(
        self, prepared: PreparedTarget, start: datetime, end: datetime, collected_at: datetime
    ) -> Inventory | None:
        """List the inventory in the first window; the others have nothing to read."""
        if prepared.listed:
            return None
        prepared.listed = True
        return list_models(self.clients("bedrock", prepared.target), collected_at)

    def transform(
        self, prepared: PreparedTarget, fetched: Inventory | None, collected_at: datetime
    ) -> list[dict[str, Any]]:
        """The inventory's rows."""
        if fetched is None:
            return []
        return model_rows(
            fetched,
            prepared.stored,
            target=prepared.target,
            attribution=self.config.attribution,
            seen_at=fetched.at,
        )

    def load(self, session: Session, rows: list[dict[str, Any]]) -> int:
        """Upsert the inventory."""
        return upsert(session, CustomModel, rows, key=NATURAL_KEY) if rows else 0


def _build(deps: SourceDeps) -> CustomModelsCollector:
    return CustomModelsCollector(deps.config, deps.clients)


sources.add(SourceEntry(SOURCE, SourceConfig, _build, offset=timedelta(minutes=11), order=41))
