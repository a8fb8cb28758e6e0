"""Batch inference apart from on-demand, on SQLite and Postgres: the jobs of a window and scope,
their batch and on-demand cost, and the saving the Bedrock page shows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from core.db import upsert
from core.models import BatchJob
from core.queries.batch import batch_jobs
from dashboard.filters import Filters
from dashboard.views.bedrock_batch import BATCH_COLUMNS, batch_summary

DAY = datetime(2026, 3, 10, tzinfo=UTC)
ACCOUNT = "111122223333"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
# name, team, region, submitted (days after DAY), tokens in/out, batch cost, on-demand cost
JOBS = (
    ("classify", "data", "us-east-1", 0, (41_250_000, 6_480_000), "9.206250", "18.412500"),
    ("summarise", "search", "us-west-2", 1, (2_000_000, 500_000), "0.406250", "0.812500"),
    ("running", "data", "us-east-1", 2, (None, None), None, None),  # no manifest yet: unpriced
    ("last-month", "data", "us-east-1", -20, (1_000_000, 0), "0.125000", "0.250000"),
)


def _row(name, team, region, offset, tokens, batch, on_demand):
    submitted = DAY + timedelta(days=offset, hours=3)
    return {
        "account_id": ACCOUNT,
        "region": region,
        "arn": f"arn:aws:bedrock:{region}:{ACCOUNT}:model-invocation-job/{name}",
        "name": name,
        "model_id": HAIKU,
        "status": "InProgress" if batch is None else "Completed",
        "submitted_at": submitted,
        "ended_at": None if batch is None else submitted + timedelta(hours=5),
        "total_records": 1000,
        "processed_records": 1000,
        "success_records": None if batch is None else 990,
        "error_records": None if batch is None else 10,
        "input_tokens": tokens[0],
        "output_tokens": tokens[1],
        "estimated_cost_usd": None if batch is None else Decimal(batch),
        "on_demand_cost_usd": None if on_demand is None else Decimal(on_demand),
        "priced": batch is not None,
        "price_source": None,
        "team": team,
        "tags": {"team": team},
        "collected_at": DAY + timedelta(days=3),
    }


@pytest.fixture
def world(sessions):
    with sessions.begin() as session:
        upsert(session, BatchJob, [_row(*job) for job in JOBS], key=["account_id", "region", "arn"])
    return sessions


def test_the_window_and_scope_choose_the_jobs_with_their_saving(world):
    with world() as session:
        jobs = batch_jobs(session, DAY, DAY + timedelta(days=7))
        data = batch_jobs(session, DAY, DAY + timedelta(days=7), teams=["data"])
        west = batch_jobs(session, regions=["us-west-2"])
        every = batch_jobs(session)
    assert [(j.name, j.batch_cost_usd, j.on_demand_cost_usd, j.saving_usd) for j in jobs] == [
        ("classify", Decimal("9.206250"), Decimal("18.412500"), Decimal("9.206250")),
        ("summarise", Decimal("0.406250"), Decimal("0.812500"), Decimal("0.406250")),
        ("running", None, None, None),  # unknown, never $0
    ]
    assert jobs[0].submitted_at == DAY + timedelta(hours=3)
    assert (jobs[0].input_tokens, jobs[0].output_tokens, jobs[0].priced) == (
        41_250_000,
        6_480_000,
        True,
    )
    assert [j.name for j in data] == ["classify", "running"]
    assert [j.name for j in west] == ["summarise"]
    assert [j.name for j in every] == ["last-month", "classify", "summarise", "running"]


def test_the_bedrock_page_shows_batch_apart_with_the_saving(world):
    filters = Filters(date(2026, 3, 10), date(2026, 3, 16))
    with world() as session:
        summary = batch_summary(session, filters)
        data = batch_summary(session, Filters(date(2026, 3, 10), date(2026, 3, 16), ("data",)))
    assert list(summary.jobs.columns) == BATCH_COLUMNS
    assert list(summary.jobs["name"]) == ["classify", "summarise", "running"]
    assert (summary.batch_usd, summary.on_demand_usd, summary.saving_usd, summary.unpriced) == (
        Decimal("9.612500"),
        Decimal("19.225000"),
        Decimal("9.612500"),
        1,
    )
    assert list(summary.jobs["saving_usd"])[:2] == [Decimal("9.21"), Decimal("0.41")]
    assert (data.batch_usd, data.saving_usd, data.unpriced) == (
        Decimal("9.206250"),
        Decimal("9.206250"),
        1,
    )
