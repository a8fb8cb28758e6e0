"""The Bedrock page's batch inference part: jobs apart from on-demand, each with what the same
tokens would have cost on demand, so the saving shows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from sqlalchemy.orm import Session

from core.queries.batch import BatchJobCost, batch_jobs
from dashboard.context import cents
from dashboard.filters import Filters

BATCH_COLUMNS = [
    "submitted_at",
    "name",
    "team",
    "model_id",
    "status",
    "success_records",
    "input_tokens",
    "output_tokens",
    "batch_cost_usd",
    "on_demand_cost_usd",
    "saving_usd",
]


@dataclass(frozen=True)
class BatchSummary:
    """The window's batch jobs, their cost at the batch rate, and the saving against on-demand
    (both sums over the jobs priced at both rates; ``unpriced`` counts the others)."""

    jobs: pd.DataFrame
    batch_usd: Decimal
    on_demand_usd: Decimal
    unpriced: int

    @property
    def saving_usd(self) -> Decimal:
        """What the priced jobs saved by running as batch."""
        return self.on_demand_usd - self.batch_usd


def _row(job: BatchJobCost) -> list[object]:
    return [
        job.submitted_at,
        job.name,
        job.team,
        job.model_id,
        job.status,
        job.success_records,
        job.input_tokens,
        job.output_tokens,
        cents(job.batch_cost_usd),
        cents(job.on_demand_cost_usd),
        cents(job.saving_usd),
    ]


def batch_summary(session: Session, filters: Filters) -> BatchSummary:
    """The batch jobs submitted in the filters' window, of their teams, accounts and regions."""
    start, end = filters.window
    jobs = batch_jobs(
        session, start, end, filters.team_list(), filters.account_list(), filters.region_list()
    )
    priced = [job for job in jobs if job.saving_usd is not None]
    return BatchSummary(
        jobs=pd.DataFrame([_row(job) for job in jobs], columns=BATCH_COLUMNS),
        batch_usd=sum((job.batch_cost_usd or Decimal(0) for job in priced), Decimal(0)),
        on_demand_usd=sum((job.on_demand_cost_usd or Decimal(0) for job in priced), Decimal(0)),
        unpriced=len(jobs) - len(priced),
    )
