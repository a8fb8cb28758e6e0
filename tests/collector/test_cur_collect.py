"""The CUR 2.0 source end to end: Parquet files in the real column layout in moto's S3, the real
runner and the DuckDB engine, SQLite and Postgres."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import boto3
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from collector.cur import CurCollector
from collector.runner import Runner
from core.aws import ClientFactory, resolve_targets
from core.models import CollectorRun, CostLine, CurObject
from core.settings import parse_config
from demo.cur import CurLine, data_key, write_export
from monitor.cli import main
from tests.helpers import Clock

ACCOUNT = "123456789012"
MEMBER = "210987654321"
BUCKET = "billing-exports"
PREFIX = "cur2/genai"
EXPORT = "genai"
NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
BEDROCK, SAGEMAKER = "Amazon Bedrock", "Amazon SageMaker"
SONNET = "Claude 3.5 Sonnet (Amazon Bedrock Edition)"
OPENSEARCH = "Amazon OpenSearch Service"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/search-api"
ENDPOINT = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/search-embeddings"
MEMBER_ENDPOINT = f"arn:aws:sagemaker:us-east-1:{MEMBER}:endpoint/research-llm"
CONFIG = f"""
accounts:
  - {{id: "{ACCOUNT}", name: payer, team: platform}}
  - {{id: "{MEMBER}", name: member}}
regions: [us-east-1]
collection:
  costs:
    source: [cost_explorer, cur]
    cur: {{bucket: {BUCKET}, prefix: {PREFIX}, export_name: {EXPORT}, account: "{ACCOUNT}"}}
    extra_services: ["{OPENSEARCH}"]
"""


def at(day: int, hour: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def october() -> list[CurLine]:
    """Bedrock on-demand and Marketplace, SageMaker hosting under a Savings Plan, a credit, a tax."""
    return [
        CurLine(
            at(3, 5),
            ACCOUNT,
            "AmazonBedrock",
            BEDROCK,
            "USE1-Claude3Haiku-input-tokens",
            Decimal("1.2345678901"),
            tags={"team": "search"},
            principal=ROLE,
            public_on_demand=Decimal("1.2345678901"),
            usage_amount=Decimal("4938.27"),
            pricing_unit="1K tokens",
        ),
        CurLine(
            at(3, 6),
            ACCOUNT,
            "AmazonBedrock",
            BEDROCK,
            "USE1-Claude3Haiku-input-tokens",
            Decimal("0.1111111111"),
            tags={"team": "search"},
            principal=ROLE,
            public_on_demand=Decimal("0.1111111111"),
            usage_amount=Decimal("444.44"),
            pricing_unit="1K tokens",
        ),
        CurLine(
            at(3, 6),
            ACCOUNT,
            "AmazonBedrock",
            BEDROCK,
            "USE1-Claude3Haiku-output-tokens",
            Decimal("0.3333333333"),
        ),
        CurLine(
            at(4, 1),
            ACCOUNT,
            "prod-5t2fq7w",
            SONNET,
            "USE1-MP:USE1_InputTokenCount-Units",
            Decimal("7.77"),
            tags={"team": "support"},
            principal=ROLE,
            billing_entity="AWS Marketplace",
        ),
        CurLine(
            at(5, 0),
            ACCOUNT,
            "AmazonSageMaker",
            SAGEMAKER,
            "USE1-Host:ml.g5.xlarge",
            Decimal("1.41"),
            line_type="SavingsPlanCoveredUsage",
            resource_id=ENDPOINT,
            tags={"team": "search"},
            savings_plan_effective=Decimal("0.98"),
            public_on_demand=Decimal("1.41"),
            usage_amount=Decimal(1),
            pricing_unit="Hrs",
        ),
        CurLine(
            at(5, 0),
            ACCOUNT,
            "AmazonSageMaker",
            SAGEMAKER,
            "USE1-Host:ml.g5.xlarge",
            Decimal("-1.41"),
            line_type="SavingsPlanNegation",
            resource_id=ENDPOINT,
            tags={"team": "search"},
        ),
        CurLine(
            at(6, 0),
            MEMBER,
            "AmazonSageMaker",
            SAGEMAKER,
            "USE1-Host:ml.g5.12xlarge",
            Decimal("7.09"),
            resource_id=MEMBER_ENDPOINT,
            public_on_demand=Decimal("7.09"),
            usage_amount=Decimal(1),
            pricing_unit="Hrs",
        ),
        CurLine(
            at(1, 0),
            ACCOUNT,
            "AmazonBedrock",
            BEDROCK,
            "USE1-Claude3Haiku-input-tokens",
            Decimal("-5.00"),
            line_type="Credit",
            description="AWS Activate credit",
        ),
        CurLine(
            at(1, 0),
            ACCOUNT,
            "AmazonBedrock",
            BEDROCK,
            "",
            Decimal("0.75"),
            line_type="Tax",
            region="",
        ),
        CurLine(
            at(7, 0),
            ACCOUNT,
            "AmazonES",
            OPENSEARCH,
            "USE1-ES:ServerlessSearchOCU",
            Decimal("2.88"),
            tags={"team": "search"},
        ),
        CurLine(
            at(7, 0),
            ACCOUNT,
            "AmazonEC2",
            "Amazon Elastic Compute Cloud",
            "BoxUsage:m5.large",
            Decimal("100.00"),
            tags={"team": "search"},
        ),
    ]


def september() -> list[CurLine]:
    """A few of October's lines, a month earlier."""
    return [replace(line, start=line.start.replace(month=9)) for line in october()[:3]]


def expected_totals(lines: list[CurLine], teams: dict[str, str]) -> dict[tuple[str, str], Decimal]:
    """Per (team, service) unblended totals of the seeded GenAI lines, computed from the seed."""
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for line in lines:
        if line.product_code == "AmazonEC2":
            continue
        team = line.tags.get("team") or teams.get(line.account_id, "unattributed")
        totals[(team, line.service)] += line.unblended
    return dict(totals)


def stored_totals(sessions) -> dict[tuple[str, str], Decimal]:
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    with sessions() as session:
        for team, service, amount in session.execute(
            select(CostLine.team, CostLine.service, CostLine.unblended_usd).where(
                CostLine.source == "cur"
            )
        ):
            totals[(team, service)] += amount
    return {key: value.quantize(Decimal("0.01")) for key, value in totals.items()}


def cents(totals: dict) -> dict:
    return {key: value.quantize(Decimal("0.01")) for key, value in totals.items()}


@pytest.fixture
def s3(aws):
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def clients(aws):
    return ClientFactory()


def collect(sessions, clients, config_text=CONFIG, now=NOW):
    config = parse_config(config_text)
    collector = CurCollector(config, clients)
    runner = Runner(sessions, clients.counter, Clock(now))
    targets = collector.targets(resolve_targets(config.accounts, config.regions, clients))
    return runner.run(collector, runner.plan(collector, targets))


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """The engine's temporary folders go here, so a test can see what it leaves behind."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def test_per_team_and_service_totals_equal_the_seeded_lines_to_the_cent(
    s3, clients, sessions, scratch
):
    write_export(s3, BUCKET, PREFIX, EXPORT, "2026-10", october(), files=2)
    result = collect(sessions, clients)
    assert not result.failed, result.outcomes
    assert list(scratch.iterdir()) == []  # downloads, partials and lines removed after the load
    assert stored_totals(sessions) == cents(expected_totals(october(), {ACCOUNT: "platform"}))
    with sessions() as session:
        hosting = (
            session.execute(
                select(CostLine)
                .where(CostLine.resource_id == ENDPOINT)
                .order_by(CostLine.line_type)
            )
            .scalars()
            .all()
        )
        assert [(line.line_type, line.unblended_usd, line.amortized_usd) for line in hosting] == [
            ("SavingsPlanCoveredUsage", Decimal("1.41"), Decimal("0.98")),
            ("SavingsPlanNegation", Decimal("-1.41"), Decimal("0")),
        ]
        assert {line.team for line in hosting} == {"search"}
        tokens = session.execute(
            select(CostLine).where(
                CostLine.usage_type == "USE1-Claude3Haiku-input-tokens",
                CostLine.line_type == "Usage",
            )
        ).scalar_one()
        assert (tokens.unblended_usd, tokens.principal, tokens.model, tokens.usage_quantity) == (
            Decimal("1.3456790012"),
            ROLE,
            "Claude3Haiku",
            Decimal("5382.71"),
        )
        assert tokens.list_usd == Decimal("1.3456790012")
        assert tokens.pricing_unit == "1K tokens"
        marketplace = session.execute(
            select(CostLine).where(CostLine.service == SONNET)
        ).scalar_one()
        assert (marketplace.model, marketplace.team, marketplace.product_code) == (
            "Claude 3.5 Sonnet",
            "support",
            "prod-5t2fq7w",
        )
        member = session.execute(select(CostLine).where(CostLine.account_id == MEMBER)).scalar_one()
        assert (member.team, member.resource_id) == ("unattributed", MEMBER_ENDPOINT)
        tax = session.execute(select(CostLine).where(CostLine.line_type == "Tax")).scalar_one()
        assert (tax.region, tax.team, tax.unblended_usd) == ("", "platform", Decimal("0.75"))
        objects = session.execute(select(CurObject).order_by(CurObject.key)).scalars().all()
        assert [obj.key.rsplit("/", 1)[1] for obj in objects] == [
            "genai-00001.snappy.parquet",
            "genai-00002.snappy.parquet",
            "genai-Manifest.json",
        ]
        assert {obj.billing_period for obj in objects} == {"2026-10"}
        # each data file's line count from its footer (every line, GenAI or not)
        assert [obj.lines for obj in objects] == [
            len(october()[0::2]),
            len(october()[1::2]),
            0,
        ]


def test_a_second_run_fetches_nothing_when_nothing_changed(s3, clients, sessions):
    write_export(s3, BUCKET, PREFIX, EXPORT, "2026-10", october(), files=2)
    collect(sessions, clients)
    before = clients.counter.snapshot()
    assert before["s3:GetObject"] == 3  # the manifest and its two data files
    second = collect(sessions, clients)
    after = clients.counter.snapshot()
    assert after["s3:GetObject"] == before["s3:GetObject"]
    assert after["s3:ListObjectsV2"] == before["s3:ListObjectsV2"] + 1
    assert second.rows == 0 and not second.failed
    assert stored_totals(sessions) == cents(expected_totals(october(), {ACCOUNT: "platform"}))


def test_a_restated_period_replaces_its_lines(s3, clients, sessions):
    write_export(s3, BUCKET, PREFIX, EXPORT, "2026-10", october(), files=2)
    write_export(s3, BUCKET, PREFIX, EXPORT, "2026-09", september())
    collect(sessions, clients)
    first = stored_totals(sessions)
    # AWS restates October: a tag applied after the fact moves the output tokens to support,
    # an amount changes, and one file less is written (the second file disappears)
    restated = october()
    restated[2] = CurLine(
        at(3, 6),
        ACCOUNT,
        "AmazonBedrock",
        BEDROCK,
        "USE1-Claude3Haiku-output-tokens",
        Decimal("0.3533333333"),
        tags={"team": "support"},
    )
    s3.delete_object(Bucket=BUCKET, Key=data_key(PREFIX, EXPORT, "2026-10", 2))
    write_export(s3, BUCKET, PREFIX, EXPORT, "2026-10", restated, files=1)
    gets = clients.counter.count("s3", "GetObject")
    collect(sessions, clients)
    assert clients.counter.count("s3", "GetObject") == gets + 2  # October only: manifest + file
    expected = expected_totals(restated, {ACCOUNT: "platform"})
    for key, value in expected_totals(september(), {ACCOUNT: "platform"}).items():
        expected[key] = expected.get(key, Decimal(0)) + value
    assert stored_totals(sessions) == cents(expected)
    assert first != stored_totals(sessions)
    with sessions() as session:
        keys = session.scalars(select(CurObject.key).where(CurObject.billing_period == "2026-10"))
        assert sorted(key.rsplit("/", 1)[1] for key in keys) == [
            "genai-00001.snappy.parquet",
            "genai-Manifest.json",
        ]


def test_a_corrupt_object_fails_its_period_alone_and_keeps_what_was_loaded(
    s3, clients, sessions, scratch
):
    write_export(s3, BUCKET, PREFIX, EXPORT, "2026-10", october(), files=2)
    write_export(s3, BUCKET, PREFIX, EXPORT, "2026-09", september())
    collect(sessions, clients)
    loaded = stored_totals(sessions)
    broken = data_key(PREFIX, EXPORT, "2026-10", 2)
    s3.put_object(Bucket=BUCKET, Key=broken, Body=b"PAR1 this is not a parquet file PAR1")
    restated_september = [
        CurLine(
            at(2, 0, 9),
            ACCOUNT,
            "AmazonBedrock",
            BEDROCK,
            "USE1-Claude3Haiku-input-tokens",
            Decimal("9.99"),
            tags={"team": "research"},
        )
    ]
    write_export(s3, BUCKET, PREFIX, EXPORT, "2026-09", restated_september)
    result = collect(sessions, clients)
    assert [outcome.status for outcome in result.outcomes] == ["failed"]
    assert list(scratch.iterdir()) == []
    message = result.outcomes[0].message
    assert f"s3://{BUCKET}/{broken}" in message and "2026-10" in message
    assert loaded != stored_totals(sessions)
    expected = expected_totals(october(), {ACCOUNT: "platform"})
    expected[("research", BEDROCK)] = Decimal("9.99")
    assert stored_totals(sessions) == cents(expected)
    with sessions() as session:
        runs = {
            run.window_start.strftime("%Y-%m") if run.window_start else None: run
            for run in session.scalars(select(CollectorRun).where(CollectorRun.source == "cur"))
        }
        assert runs["2026-10"].status == "failed" and broken in runs["2026-10"].message
        assert runs["2026-09"].status == "succeeded"
        # the failed period's objects stay as loaded: the next cycle tries it again
        etags = session.scalars(select(CurObject.etag).where(CurObject.key == broken)).all()
        assert len(etags) == 1 and etags[0] != s3.head_object(Bucket=BUCKET, Key=broken)[
            "ETag"
        ].strip('"')


def test_without_cur_among_the_sources_it_has_no_targets_and_cost_explorer_none_without_it():
    from collector.cost_explorer import CostExplorerCollector

    only_ce = parse_config("collection: {costs: {source: cost_explorer}}")
    only_cur = parse_config(CONFIG.replace("[cost_explorer, cur]", "cur"))
    targets = resolve_targets(only_cur.accounts, only_cur.regions, ClientFactory())
    assert CurCollector(only_ce, ClientFactory()).targets(targets) == []
    assert CostExplorerCollector(only_cur, ClientFactory()).targets(targets) == []
    [target] = CurCollector(only_cur, ClientFactory()).targets(targets)
    assert (target.account_id, target.region) == (ACCOUNT, "us-east-1")


def test_collect_cur_through_the_command_line_exits_1_on_a_corrupt_period(
    s3, tmp_path, monkeypatch, database_url, engine
):
    # ``engine`` empties the database afterwards, as for every other test of it
    config_path = tmp_path / "genai-monitor.yaml"
    config_path.write_text(CONFIG.replace("[cost_explorer, cur]", "cur"))
    monkeypatch.setenv("GENAI_MONITOR_CONFIG", str(config_path))
    monkeypatch.setenv("DATABASE_URL", database_url)
    write_export(s3, BUCKET, PREFIX, EXPORT, "2026-10", october())
    first = CliRunner().invoke(
        main, ["collect", "cur", "--start", "2026-10-01"], catch_exceptions=False
    )
    assert first.exit_code == 0, first.output
    assert "cur payer/us-east-1: succeeded" in first.output
    s3.put_object(Bucket=BUCKET, Key=data_key(PREFIX, EXPORT, "2026-10"), Body=b"garbage")
    second = CliRunner().invoke(
        main, ["collect", "cur", "--start", "2026-10-01"], catch_exceptions=False
    )
    assert second.exit_code == 1
    assert f"s3://{BUCKET}/{data_key(PREFIX, EXPORT, '2026-10')}" in second.output
