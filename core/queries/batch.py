"""Bedrock batch inference, apart from on-demand: each job's tokens at the batch rate and what
the same tokens would have cost on demand (the saving)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import BatchJob
from core.queries.common import between, chosen

# the `export batch-jobs` columns
COLUMNS = (
    "submitted_at, ended_at, account_id, region, job_arn, name, model_id, team, status, "
    "total_records, success_records, error_records, input_tokens, output_tokens, "
    "batch_cost_usd, on_demand_cost_usd, saving_usd, priced"
).split(", ")


@dataclass(frozen=True)
class BatchJobCost:
    """One batch job: records, tokens, and its cost at the batch and the on-demand rate."""

    submitted_at: datetime
    ended_at: datetime | None
    account_id: str
    region: str
    job_arn: str
    name: str
    model_id: str
    team: str
    status: str | None
    total_records: int | None
    success_records: int | None
    error_records: int | None
    input_tokens: int | None
    output_tokens: int | None
    batch_cost_usd: Decimal | None
    on_demand_cost_usd: Decimal | None
    priced: bool

    @property
    def saving_usd(self) -> Decimal | None:
        """On-demand price minus batch price of the job's tokens (None when either is unknown)."""
        if self.batch_cost_usd is None or self.on_demand_cost_usd is None:
            return None
        return self.on_demand_cost_usd - self.batch_cost_usd


def batch_jobs(
    session: Session,
    start: datetime | None = None,
    end: datetime | None = None,
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
) -> list[BatchJobCost]:
    """The batch jobs submitted in [start, end), oldest first."""
    statement = (
        select(BatchJob)
        .where(
            *between(BatchJob.submitted_at, start, end),
            *chosen(
                (BatchJob.team, teams), (BatchJob.account_id, accounts), (BatchJob.region, regions)
            ),
        )
        .order_by(BatchJob.submitted_at, BatchJob.arn)
    )
    return [
        BatchJobCost(
            submitted_at=job.submitted_at,
            ended_at=job.ended_at,
            account_id=job.account_id,
            region=job.region,
            job_arn=job.arn,
            name=job.name,
            model_id=job.model_id,
            team=job.team,
            status=job.status,
            total_records=job.total_records,
            success_records=job.success_records,
            error_records=job.error_records,
            input_tokens=job.input_tokens,
            output_tokens=job.output_tokens,
            batch_cost_usd=job.estimated_cost_usd,
            on_demand_cost_usd=job.on_demand_cost_usd,
            priced=job.priced,
        )
        for job in session.scalars(statement)
    ]
