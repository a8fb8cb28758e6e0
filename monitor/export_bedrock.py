"""Export records of Bedrock's billed kinds beyond on-demand tokens: Provisioned Throughput and
batch inference jobs (apart from on-demand, with the saving)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.queries.batch import COLUMNS as BATCH_JOB_COLUMNS_LIST
from core.queries.batch import BatchJobCost
from core.queries.billed import billed_by_resource
from core.queries.custom_models import CustomModelUsage
from core.queries.provisioned import ProvisionedSummary, provisioned_summaries
from core.timeutil import utcnow
from monitor.export import _fields, _when, money

BATCH_JOB_COLUMNS = tuple(BATCH_JOB_COLUMNS_LIST)
PROVISIONED_COLUMNS = (
    "account_id",
    "region",
    "arn",
    "name",
    "team",
    "base_model_id",
    "model_units",
    "commitment",
    "commitment_expires_at",
    "status",
    "created_at",
    "deleted_at",
    "invocations",
    "input_tokens",
    "output_tokens",
    "estimated_cost_usd",
    "idle_since",
    "idle_cost_usd",
    "hourly_usd",
    "monthly_usd",
    # appended: what CUR 2.0 bills the PT's ARN over the same days, and the billing source
    "billed_usd",
    "billed_source",
)
CUSTOM_MODEL_COLUMNS = (
    "account_id",
    "region",
    "arn",
    "kind",
    "name",
    "base_model",
    "status",
    "team",
    "created_at",
    "deleted_at",
    "invocations",
    "input_tokens",
    "output_tokens",
    "estimated_cost_usd",
    "billed_usd",
    "billed_source",
)
_TIMES = (
    "commitment_expires_at",
    "created_at",
    "deleted_at",
    "idle_since",
    "submitted_at",
    "ended_at",
)
_MONEY = (
    "idle_cost_usd",
    "hourly_usd",
    "monthly_usd",
    "batch_cost_usd",
    "on_demand_cost_usd",
    "saving_usd",
    "billed_usd",
)


def _formats() -> dict[str, Any]:
    return {**{name: _when for name in _TIMES}, **{name: money for name in _MONEY}}


def batch_job_record(row: BatchJobCost) -> dict[str, Any]:
    """One batch job as the `export batch-jobs` record."""
    return _fields(row, BATCH_JOB_COLUMNS, _formats())


def custom_model_record(row: CustomModelUsage) -> dict[str, Any]:
    """One custom model, imported model or deployment as the `export custom-models` record."""
    names = [c for c in CUSTOM_MODEL_COLUMNS if c != "estimated_cost_usd"]
    record = _fields(row, names, _formats())
    record["estimated_cost_usd"] = money(row.cost_usd)
    return {column: record[column] for column in CUSTOM_MODEL_COLUMNS}


def provisioned_record(row: ProvisionedSummary) -> dict[str, Any]:
    """One Provisioned Throughput as the `export provisioned-throughput` record."""
    record = _fields(row, [c for c in PROVISIONED_COLUMNS if c != "estimated_cost_usd"], _formats())
    record["estimated_cost_usd"] = money(row.cost_usd)
    return {column: record[column] for column in PROVISIONED_COLUMNS}


def provisioned_rows(
    session: Session,
    start: datetime | None,
    end: datetime | None,
    teams: list[str],
    accounts: list[str],
    regions: list[str],
) -> list[ProvisionedSummary]:
    """Every stored PT as of ``end`` (default: now) that existed after ``start``."""
    now = end or utcnow()
    rows = [
        pt
        for pt in provisioned_summaries(
            session, now, teams=teams or None, accounts=accounts or None, regions=regions or None
        )
        if pt.created_at < now and (start is None or pt.deleted_at is None or pt.deleted_at > start)
    ]
    billed = billed_by_resource(session, start, end, [pt.arn for pt in rows])
    return [
        replace(pt, billed_usd=bill.unblended_usd, billed_source=bill.source)
        if (bill := billed.get(pt.arn.lower()))
        else pt
        for pt in rows
    ]
