"""Custom models (moto) and imported models, deployments and batch jobs (the control plane
stand-in), collected, attributed and costed; their traffic read from bedrock_usage_hourly."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from collector.batch_jobs import BatchJobsCollector
from collector.custom_models import CustomModelsCollector
from collector.runner import Runner
from core.aws import ClientFactory, Target, resolve_targets
from core.db import upsert
from core.models import BatchJob, BedrockUsageHourly, CustomModel
from core.pricing import PriceCatalog
from core.queries.batch import batch_jobs
from core.queries.custom_models import custom_model_usage
from core.settings import parse_config
from demo.bedrock_control import BedrockControlState, bedrock_control_plane, create_custom_model
from monitor.cli import main
from tests.helpers import Clock

ACCOUNT = "123456789012"
REGION = "us-east-1"
NOW = datetime(2026, 10, 3, 12, tzinfo=UTC)
CREATED = datetime(2026, 9, 1, tzinfo=UTC)
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
CONFIG = parse_config(
    f"""
accounts: [{{id: "{ACCOUNT}", team: platform}}]
regions: [{REGION}]
teams: [{{name: search}}, {{name: platform}}]
""",
    "test.yaml",
)


def run(sessions, source, clients, now, start, end, config=CONFIG):
    runner = Runner(sessions, clients.counter, Clock(now))
    targets = resolve_targets(config.accounts, config.regions, clients)
    return runner.run(source, runner.plan(source, targets, start, end))


def table_rows(session, model):
    columns = [c.name for c in model.__table__.columns]
    return sorted(
        tuple(str(getattr(row, c)) for c in columns) for row in session.scalars(select(model))
    )


@pytest.fixture
def models(aws):
    clients = ClientFactory()  # the collectors' (the seeding's calls are not counted)
    state = BedrockControlState()
    tuned = create_custom_model(
        ClientFactory(), REGION, "support-tuned", HAIKU, CREATED, tags={"team": "search"}
    )
    imported = state.add_imported(REGION, "llama-import", CREATED)
    deployment = state.add_deployment(
        REGION, "support-live", tuned, CREATED, tags={"team": "search"}
    )
    with bedrock_control_plane(state):
        yield state, clients, {"tuned": tuned, "imported": imported, "deployment": deployment}


def test_custom_models_are_inventoried_attributed_and_deleted_ones_kept(models, sessions):
    state, clients, arns = models
    collector = CustomModelsCollector(CONFIG, clients)
    result = run(sessions, collector, clients, NOW, NOW - timedelta(days=2), NOW)
    assert [o.status for o in result.outcomes] == ["succeeded"]
    # one listing per cycle, not per window (two windows), and no per-model Get
    assert {k: n for k, n in clients.counter.snapshot().items() if k.startswith("bedrock:")} == {
        "bedrock:ListCustomModels": 1,
        "bedrock:ListImportedModels": 1,
        "bedrock:ListCustomModelDeployments": 1,
        "bedrock:ListTagsForResource": 3,
    }
    state.imported[REGION] = []
    later = NOW + timedelta(hours=1)
    run(sessions, collector, clients, later, NOW, later)
    with sessions() as session:
        got = {
            m.name: (m.kind, m.base_model, m.team, m.created_at, m.deleted_at)
            for m in session.scalars(select(CustomModel))
        }
    assert got == {
        "support-tuned": ("custom", HAIKU, "search", CREATED, None),
        "llama-import": ("imported", None, "platform", CREATED, later),
        "support-live": ("deployment", arns["tuned"], "search", CREATED, None),
    }


def test_custom_model_traffic_is_read_from_the_bedrock_rows_and_priced_at_the_base_rate(
    models, sessions
):
    _state, clients, arns = models
    run(
        sessions,
        CustomModelsCollector(CONFIG, clients),
        clients,
        NOW,
        NOW - timedelta(hours=1),
        NOW,
    )
    hour = NOW - timedelta(hours=1)
    base = {
        "hour": hour,
        "account_id": ACCOUNT,
        "region": REGION,
        "team": "platform",
        "priced": False,
        "estimated_cost_usd": None,
        "collected_at": NOW,
    }
    with sessions.begin() as session:
        upsert(
            session,
            BedrockUsageHourly,
            [
                {
                    **base,
                    "model_id": arns["deployment"],
                    "base_model_id": "x",
                    "invocations": 10,
                    "input_tokens": 2_000_000,
                    "output_tokens": 400_000,
                },
                {
                    **base,
                    "model_id": arns["imported"],
                    "base_model_id": "y",
                    "invocations": 4,
                    "input_tokens": 1000,
                    "output_tokens": 100,
                },
            ],
        )
    catalog = PriceCatalog.load()
    price = catalog.price(HAIKU, REGION)
    with sessions() as session:
        usage = {
            u.name: (u.invocations, u.input_tokens, u.output_tokens, u.cost_usd)
            for u in custom_model_usage(session, catalog)
        }
    assert (price.input, price.output) == (Decimal("0.25"), Decimal("1.25"))
    assert usage == {
        "support-live": (10, 2_000_000, 400_000, Decimal("1.000000")),  # 2M x $0.25 + 0.4M x $1.25
        "llama-import": (4, 1000, 100, None),  # billed per Custom Model Unit-minute: unpriced
        "support-tuned": (0, 0, 0, Decimal("0.000000")),
    }


def put_manifest(clients, key: str, tokens_in: int, tokens_out: int) -> None:
    s3 = clients("s3", Target(ACCOUNT, REGION))
    s3.create_bucket(Bucket="batch-output")
    body = {
        "totalRecordCount": 100,
        "processedRecordCount": 100,
        "successRecordCount": 98,
        "errorRecordCount": 2,
        "inputTokenCount": tokens_in,
        "outputTokenCount": tokens_out,
    }
    s3.put_object(Bucket="batch-output", Key=key, Body=json.dumps(body).encode())


def nightly_job(state: BedrockControlState) -> str:
    """A job that ended with 98 of 100 records done, its manifest (2M in, 0.4M out tokens) in S3."""
    done = state.add_job(
        REGION,
        "nightly",
        HAIKU,
        NOW - timedelta(hours=10),
        ended=NOW - timedelta(hours=2),
        records=(100, 98, 2),
        tags={"team": "search"},
    )
    put_manifest(
        ClientFactory(), f"jobs/{done.rsplit('/', 1)[-1]}/manifest.json.out", 2_000_000, 400_000
    )
    return done


def test_batch_jobs_are_priced_at_the_batch_rate_with_the_saving_visible(aws, sessions):
    clients = ClientFactory()
    state = BedrockControlState()
    done = nightly_job(state)
    running = state.add_job(REGION, "adhoc", HAIKU, NOW - timedelta(hours=1), status="InProgress")
    collector = BatchJobsCollector(CONFIG, clients, PriceCatalog.load())
    with bedrock_control_plane(state):
        result = run(sessions, collector, clients, NOW, NOW - timedelta(days=1), NOW)
        assert [o.status for o in result.outcomes] == ["succeeded"]
        assert clients.counter.count("s3", "GetObject") == 1
        assert clients.counter.count("bedrock", "ListModelInvocationJobs") == 2  # one per window
        with sessions() as session:
            before = table_rows(session, BatchJob)
        run(sessions, collector, clients, NOW, NOW - timedelta(days=1), NOW)
        assert clients.counter.count("s3", "GetObject") == 1  # the manifest is not read twice
    with sessions() as session:
        assert table_rows(session, BatchJob) == before
        jobs = {job.name: job for job in batch_jobs(session)}
    nightly = jobs["nightly"]
    assert (
        nightly.job_arn,
        nightly.team,
        nightly.status,
        nightly.total_records,
        nightly.success_records,
        nightly.error_records,
    ) == (done, "search", "Completed", 100, 98, 2)
    assert (nightly.input_tokens, nightly.output_tokens) == (2_000_000, 400_000)
    # on demand: 2M x $0.25 + 0.4M x $1.25 = $1.00; batch: half
    assert (nightly.batch_cost_usd, nightly.on_demand_cost_usd, nightly.saving_usd) == (
        Decimal("0.500000"),
        Decimal("1.000000"),
        Decimal("0.500000"),
    )
    adhoc = jobs["adhoc"]
    assert (adhoc.job_arn, adhoc.team, adhoc.input_tokens, adhoc.batch_cost_usd, adhoc.priced) == (
        running,
        "platform",
        None,
        None,
        False,
    )


def test_a_denied_region_skips_its_target_for_every_bedrock_source(models, sessions):
    state, clients, _arns = models
    state.denied_regions.add("eu-west-1")
    config = parse_config(
        f'accounts: [{{id: "{ACCOUNT}"}}]\nregions: [{REGION}, eu-west-1]', "t.yaml"
    )
    for source in (
        CustomModelsCollector(config, clients),
        BatchJobsCollector(config, clients, PriceCatalog.load()),
    ):
        result = run(sessions, source, clients, NOW, NOW - timedelta(hours=2), NOW, config)
        assert [(o.target.region, o.status) for o in result.outcomes] == [
            (REGION, "succeeded"),
            ("eu-west-1", "skipped"),
        ]


def test_batch_jobs_are_exported_apart_from_on_demand(
    aws, sessions, database_url, monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)
    clients = ClientFactory()
    state = BedrockControlState()
    done = nightly_job(state)
    with bedrock_control_plane(state):
        run(
            sessions,
            BatchJobsCollector(CONFIG, clients, PriceCatalog.load()),
            clients,
            NOW,
            NOW - timedelta(days=1),
            NOW,
        )
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("GENAI_MONITOR_CONFIG", raising=False)
    result = CliRunner().invoke(
        main, ["export", "batch-jobs", "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {
            "submitted_at": "2026-10-03T02:00:00Z",
            "ended_at": "2026-10-03T10:00:00Z",
            "account_id": ACCOUNT,
            "region": REGION,
            "job_arn": done,
            "name": "nightly",
            "model_id": HAIKU,
            "team": "search",
            "status": "Completed",
            "total_records": 100,
            "success_records": 98,
            "error_records": 2,
            "input_tokens": 2_000_000,
            "output_tokens": 400_000,
            "batch_cost_usd": "0.500000",
            "on_demand_cost_usd": "1.000000",
            "saving_usd": "0.500000",
            "priced": True,
        }
    ]
