"""The Athena engine against the Athena stand-in, served over HTTP and answering boto3: Glue
tables over Parquet objects in moto's S3, typed rows back from VarChar strings, paging past
1,000 rows with the header row skipped once, FAILED queries and timeouts with clear errors."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import boto3
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import delete, func, select

from collector.cur import CurCollector
from collector.cur_athena import (
    AthenaEngine,
    AthenaPeriods,
    AthenaPlace,
    AthenaQueryFailed,
    convert,
)
from collector.cur_sql import OUTPUT_COLUMNS, genai_lines_sql, quote
from collector.runner import Runner
from core.aws import AwsFatal, ClientFactory, Target, resolve_targets
from core.models import CollectorRun, CostLine, CurObject
from core.settings import ConfigError, parse_config
from demo.athena import AthenaState, athena_server
from demo.athena_catalog import register_table
from demo.cur import CurLine, write_export
from tests.helpers import Clock

BUCKET = "cur-export"
OUTPUT = "s3://athena-results/genai/"
PLACE = AthenaPlace(workgroup="primary", database="cur", table="genai", output=OUTPUT)
TARGET = Target("123456789012", "us-east-1")


def cost(i: int) -> Decimal:
    """The unblended cost of line ``i``: a third of it, at CUR's ten decimals."""
    return (Decimal(i) / Decimal(3)).quantize(Decimal("1E-10"))


def put_parquet(key: str, table: pa.Table) -> None:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=sink.getvalue())


def lines(count: int, period: str) -> pa.Table:
    """``count`` CUR-like lines of one billing period: a day, a service, a cost, a quantity."""
    first = date.fromisoformat(f"{period}-01")
    return pa.table(
        {
            "line_item_usage_start_date": pa.array(
                [first + timedelta(days=i % 28) for i in range(count)], pa.date32()
            ),
            "product_servicecode": pa.array(
                ["AmazonBedrock" if i % 2 else "AmazonSageMaker" for i in range(count)]
            ),
            "line_item_unblended_cost": pa.array(
                [cost(i) for i in range(count)], pa.decimal128(30, 10)
            ),
            "line_item_usage_amount": pa.array([float(i) for i in range(count)], pa.float64()),
        }
    )


@pytest.fixture
def athena(aws, monkeypatch):
    """The stand-in over a Glue table partitioned by billing period, its objects in moto S3."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.create_bucket(Bucket="athena-results")
    partitions = []
    for period, count in (("2025-01", 1500), ("2025-02", 1200)):
        folder = f"cur2/genai/data/BILLING_PERIOD={period}/"
        put_parquet(f"{folder}genai-00001.snappy.parquet", lines(count, period))
        partitions.append((period, f"s3://{BUCKET}/{folder}"))
    register_table("cur", "genai", f"s3://{BUCKET}/cur2/genai/data/", partitions)
    with athena_server() as (url, state):
        monkeypatch.setenv("AWS_ENDPOINT_URL_ATHENA", url)
        yield state


def engine(factory: ClientFactory, place: AthenaPlace = PLACE) -> tuple[AthenaEngine, list[float]]:
    pauses: list[float] = []
    return AthenaEngine(factory, TARGET, place, sleep=pauses.append), pauses


def test_a_query_runs_in_the_stand_in_and_comes_back_typed(athena: AthenaState):
    factory = ClientFactory()
    runner, pauses = engine(factory)
    rows = list(
        runner.rows(
            "SELECT line_item_usage_start_date AS day, product_servicecode AS service, "
            "CAST(SUM(line_item_unblended_cost) AS DECIMAL(38, 10)) AS unblended, "
            "COUNT(*) AS lines, billing_period "
            "FROM genai WHERE billing_period = '2025-02' AND line_item_usage_start_date "
            "< DATE '2025-02-03' GROUP BY 1, 2, 5 ORDER BY 1, 2"
        )
    )
    # days 1 and 2 of February: i % 28 in {0, 1}, i < 1200 -> 43 lines each, one service per day
    assert rows == [
        {
            "day": date(2025, 2, 1),
            "service": "AmazonSageMaker",
            "unblended": sum(cost(i) for i in range(0, 1200, 28)),
            "lines": 43,
            "billing_period": "2025-02",
        },
        {
            "day": date(2025, 2, 2),
            "service": "AmazonBedrock",
            "unblended": sum(cost(i) for i in range(1, 1200, 28)),
            "lines": 43,
            "billing_period": "2025-02",
        },
    ]
    assert type(rows[0]["unblended"]) is Decimal
    # QUEUED, RUNNING, SUCCEEDED: two pauses, the second twice the first
    assert pauses == [0.5, 1.0]
    assert factory.counter.snapshot() == {
        "athena:StartQueryExecution": 1,
        "athena:GetQueryExecution": 3,
        "athena:GetQueryResults": 1,
    }
    (query,) = athena.queries.values()
    assert (query.database, query.workgroup, query.output) == ("cur", "primary", OUTPUT)
    # Athena wrote the result where it was told; the stand-in does not prune partitions (Athena
    # does): it counts every object of the table as scanned
    stored = boto3.client("s3").list_objects_v2(Bucket="athena-results", Prefix="genai/")
    assert [item["Key"] for item in stored["Contents"]] == [f"genai/{query.id}.csv"]
    listed = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix="cur2/genai/data/")
    assert query.scanned_bytes == sum(item["Size"] for item in listed["Contents"])


def test_more_than_1000_rows_come_back_in_pages_with_the_header_row_skipped_once(athena):
    factory = ClientFactory()
    runner, _pauses = engine(factory)
    rows = list(
        runner.rows(
            "SELECT billing_period, line_item_unblended_cost AS cost FROM cur.genai "
            "ORDER BY billing_period, line_item_unblended_cost"
        )
    )
    # 2,700 rows + the header = 2,701 over pages of 1,000: three pages
    assert factory.counter.count("athena", "GetQueryResults") == 3
    assert len(rows) == 2700
    assert rows[0] == {"billing_period": "2025-01", "cost": Decimal("0E-10")}
    assert rows[999] == {"billing_period": "2025-01", "cost": Decimal("333.0000000000")}
    assert rows[1500] == {"billing_period": "2025-02", "cost": Decimal("0E-10")}
    assert rows[-1] == {"billing_period": "2025-02", "cost": Decimal("399.6666666667")}
    # no header row among the data, however many pages
    assert not [row for row in rows if row["billing_period"] == "billing_period"]


def test_a_failed_query_raises_with_athenas_reason(athena):
    runner, _pauses = engine(ClientFactory())
    with pytest.raises(AthenaQueryFailed) as failure:
        list(runner.rows("SELECT no_such_column FROM genai"))
    message = str(failure.value)
    assert "ended FAILED" in message and "no_such_column" in message
    assert "workgroup primary" in message

    missing = AthenaPlace(workgroup="primary", database="nope", table="genai", output=OUTPUT)
    runner, _pauses = engine(ClientFactory(), missing)
    with pytest.raises(AthenaQueryFailed, match="SCHEMA_NOT_FOUND: .*Schema 'nope' does not exist"):
        list(runner.rows("SELECT * FROM genai"))

    athena.fail_with = "HIVE_BAD_DATA: Error reading from s3://cur-export/... : corrupt footer"
    runner, _pauses = engine(ClientFactory())
    with pytest.raises(AthenaQueryFailed, match="HIVE_BAD_DATA: Error reading"):
        list(runner.rows("SELECT 1"))


def test_a_bad_request_is_athenas_invalid_request(athena):
    runner, _pauses = engine(ClientFactory(), AthenaPlace("no-such-wg", "cur", "genai", OUTPUT))
    with pytest.raises(AwsFatal) as failure:
        runner.start("SELECT 1")
    assert failure.value.code == "InvalidRequestException"
    assert "WorkGroup no-such-wg is not found" in str(failure.value)
    # the primary workgroup has no result location of its own: one must be given
    runner, _pauses = engine(ClientFactory(), AthenaPlace("primary", "cur", "genai", None))
    with pytest.raises(AwsFatal, match="No output location provided"):
        runner.start("SELECT 1")
    # results of a query still running are refused, as Athena does
    runner, _pauses = engine(ClientFactory())
    query_id = runner.start("SELECT 1")
    with pytest.raises(AwsFatal, match="Query has not yet finished. Current state: RUNNING"):
        list(runner.results(query_id))


def test_a_query_still_running_at_the_timeout_raises(athena):
    athena.polls_running = 100
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    place = AthenaPlace("primary", "cur", "genai", OUTPUT, timeout=timedelta(seconds=20))
    factory = ClientFactory()
    runner = AthenaEngine(factory, TARGET, place, sleep=sleep, clock=lambda: now[0])
    with pytest.raises(AthenaQueryFailed, match=r"still RUNNING after 0:00:20 .*it was stopped"):
        list(runner.rows("SELECT 1"))
    # 0.5 + 1 + 2 + 4 + 5 + 5 = 17.5; one more pause would pass the 20 s deadline
    assert now[0] == 17.5
    # the query we gave up on was stopped, so Athena does not go on scanning for nobody
    assert factory.counter.count("athena", "StopQueryExecution") == 1
    (query,) = athena.queries.values()
    assert (query.state, query.reason) == ("CANCELLED", "Query was cancelled by user")


def test_a_query_cancelled_by_someone_else_raises_with_the_reason(athena):
    athena.polls_running = 5
    runner, _pauses = engine(ClientFactory())
    query_id = runner.start("SELECT 1")
    boto3.client("athena").stop_query_execution(QueryExecutionId=query_id)
    with pytest.raises(AthenaQueryFailed, match="ended CANCELLED: Query was cancelled by user"):
        runner.wait(query_id)


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        ("12.3400000000", "decimal", Decimal("12.3400000000")),
        ("0.0000000001", "decimal", Decimal("1E-10")),
        ("2025-02-28", "date", date(2025, 2, 28)),
        ("42", "bigint", 42),
        ("", "varchar", ""),
        (None, "decimal", None),
        ("true", "boolean", True),
    ],
)
def test_varchar_values_turn_back_into_their_types(value, kind, expected):
    assert convert(value, kind) == expected
    assert type(convert(value, kind)) is type(expected)


# --- the generated SQL: DuckDB over the Parquet files vs the Athena path over the Glue table ---

ACCOUNT = "123456789012"
ENDPOINT_ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/search-llm"
PRINCIPAL = f"arn:aws:iam::{ACCOUNT}:role/search-app"


def export_lines(period: str) -> list[CurLine]:
    """A month of GenAI lines of every kind the SQL treats apart, and one line it must drop."""
    day = datetime.fromisoformat(f"{period}-03T10:00:00+00:00")
    bedrock = dict(account_id=ACCOUNT, product_code="AmazonBedrock", service="Amazon Bedrock")
    return [
        CurLine(
            day,
            usage_type="USE1-Claude3.5Sonnet-input-tokens",
            unblended=Decimal("1.2345678"),
            principal=PRINCIPAL,
            tags={"team": "search"},
            usage_amount=Decimal("411.5"),
            pricing_unit="1K tokens",
            public_on_demand=Decimal("1.2345678"),
            **bedrock,
        ),
        CurLine(
            day + timedelta(hours=1),
            usage_type="USE1-Claude3.5Sonnet-input-tokens",
            unblended=Decimal("0.0000001"),
            principal=PRINCIPAL,
            tags={"team": "search"},
            usage_amount=Decimal("0.1"),
            pricing_unit="1K tokens",
            **bedrock,
        ),
        CurLine(
            day,
            account_id=ACCOUNT,
            product_code="prod-abc123",
            service="Claude 3.5 Haiku (Amazon Bedrock Edition)",
            usage_type="USE1-MP:Output",
            unblended=Decimal("3.3"),
            usage_amount=Decimal("660"),
        ),
        CurLine(
            day,
            account_id=ACCOUNT,
            product_code="AmazonSageMaker",
            service="Amazon SageMaker",
            usage_type="USE1-Host:ml.g5.2xlarge",
            unblended=Decimal("1.515"),
            line_type="SavingsPlanCoveredUsage",
            savings_plan_effective=Decimal("0.98"),
            resource_id=ENDPOINT_ARN,
            tags={"team": "search"},
            usage_amount=Decimal("1"),
            pricing_unit="Hrs",
        ),
        CurLine(
            day,
            account_id=ACCOUNT,
            product_code="AmazonSageMaker",
            service="Amazon SageMaker",
            usage_type="USE1-Host:ml.g5.2xlarge",
            unblended=Decimal("-1.515"),
            line_type="SavingsPlanNegation",
            resource_id=ENDPOINT_ARN,
            tags={"team": "search"},
        ),
        CurLine(day, unblended=Decimal("-5"), line_type="Credit", usage_type="", **bedrock),
        CurLine(
            day, unblended=Decimal("0.42"), line_type="Tax", usage_type="", region="", **bedrock
        ),
        CurLine(
            day,
            account_id=ACCOUNT,
            product_code="AmazonEC2",
            service="Amazon Elastic Compute Cloud",
            usage_type="BoxUsage:m5.large",
            unblended=Decimal("9.99"),
        ),
    ]


@pytest.fixture
def export(aws, monkeypatch, tmp_path):
    """Two billing periods of an export in moto's S3 (a Glue table over them) and on local disk."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.create_bucket(Bucket="athena-results")
    partitions, local = [], {}
    for period in ("2025-01", "2025-02"):
        keys = write_export(s3, BUCKET, "cur2", "genai", period, export_lines(period), files=2)
        folder = keys[0].rpartition("/")[0]
        partitions.append((period, f"s3://{BUCKET}/{folder}/"))
        local[period] = []
        for key in keys:
            path = tmp_path / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
            local[period].append(str(path))
    register_table("cur", "genai", f"s3://{BUCKET}/cur2/genai/data/", partitions)
    with athena_server() as (url, _state):
        monkeypatch.setenv("AWS_ENDPOINT_URL_ATHENA", url)
        yield local


def test_the_generated_sql_gives_the_same_rows_on_duckdb_and_through_athena(export):
    runner, _pauses = engine(ClientFactory())
    for period, files in export.items():
        scan = "read_parquet([" + ", ".join(quote(path) for path in files) + "])"
        local_sql = genai_lines_sql(scan, period, extra_services=["Amazon OpenSearch Service"])
        connection = duckdb.connect()
        local = connection.sql(local_sql)
        local_rows = [dict(zip(local.columns, row, strict=True)) for row in local.fetchall()]
        athena_sql = genai_lines_sql(
            '"cur"."genai"',
            period,
            extra_services=["Amazon OpenSearch Service"],
            dialect="athena",
            partition_column="billing_period",
        )
        athena_rows = list(runner.rows(athena_sql))

        def key(row):
            return tuple(str(row[name]) for name in OUTPUT_COLUMNS)

        assert sorted(athena_rows, key=key) == sorted(local_rows, key=key)
        # every GenAI line kind is there, the EC2 line is not, and types match exactly
        assert len(local_rows) == 6
        assert {row["service"] for row in athena_rows} == {
            "Amazon Bedrock",
            "Amazon SageMaker",
            "Claude 3.5 Haiku (Amazon Bedrock Edition)",
        }
        first = date.fromisoformat(f"{period}-03")
        sonnet = next(r for r in athena_rows if r["usage_type"].endswith("input-tokens"))
        assert sonnet == {
            "day": first,
            "account_id": ACCOUNT,
            "region": "us-east-1",
            "service": "Amazon Bedrock",
            "usage_type": "USE1-Claude3.5Sonnet-input-tokens",
            "resource_id": "",
            "principal": PRINCIPAL,
            "team": "search",
            "line_type": "Usage",
            "unblended_usd": Decimal("1.2345679000"),
            "net_usd": Decimal("1.2345679000"),
            "amortized_usd": Decimal("1.2345679000"),
            "list_usd": Decimal("1.2345678000"),
            "usage_quantity": Decimal("411.6000000000"),
            "pricing_unit": "1K tokens",
            "product_code": "AmazonBedrock",
        }
        assert {type(value) for row in athena_rows for value in row.values()} <= {
            str,
            Decimal,
            date,
            type(None),
        }


# --- the cur source with engine athena, end to end, on SQLite and Postgres ---

NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
PERIODS = ("2026-09", "2026-10")
SOURCE_CONFIG = f"""
accounts: [{{id: "{ACCOUNT}", name: payer, team: platform}}]
regions: [us-east-1]
collection:
  costs:
    source: cur
    cur: {{bucket: {BUCKET}, prefix: cur2, export_name: genai, account: "{ACCOUNT}"}}
    extra_services: ["Amazon OpenSearch Service"]
"""
ATHENA_CONFIG = (
    SOURCE_CONFIG
    + f"""    engine: athena
    athena: {{workgroup: primary, database: cur, table: genai, output: "{OUTPUT}"}}
"""
)


def many_endpoints(period: str) -> list[CurLine]:
    """1,100 SageMaker endpoints billed one hour each: more aggregated rows than one result page."""
    hour = datetime.fromisoformat(f"{period}-09T00:00:00+00:00")
    return [
        CurLine(
            hour,
            account_id=ACCOUNT,
            product_code="AmazonSageMaker",
            service="Amazon SageMaker",
            usage_type="USE1-Host:ml.m5.large",
            unblended=Decimal("0.115") + Decimal(n) / Decimal(10**6),
            resource_id=f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/e-{n:04d}",
            tags={"team": "research"} if n % 3 else {},
            usage_amount=Decimal(1),
            pricing_unit="Hrs",
        )
        for n in range(1100)
    ]


def write_world(s3, period_lines) -> None:
    """The export's periods in moto's S3 and the Glue table a crawler would make over them."""
    partitions = []
    for period, lines in period_lines.items():
        keys = write_export(s3, BUCKET, "cur2", "genai", period, lines, files=2)
        partitions.append((period, f"s3://{BUCKET}/{keys[0].rpartition('/')[0]}/"))
    register_table("cur", "genai", f"s3://{BUCKET}/cur2/genai/data/", partitions)


@pytest.fixture
def world(aws, monkeypatch):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.create_bucket(Bucket="athena-results")
    write_world(s3, {p: export_lines(p) + many_endpoints(p) for p in PERIODS})
    with athena_server(AthenaState(polls_queued=0, polls_running=0)) as (url, state):
        monkeypatch.setenv("AWS_ENDPOINT_URL_ATHENA", url)
        yield s3, state


def collect(sessions, clients, config_text):
    config = parse_config(config_text)
    collector = CurCollector(config, clients)
    runner = Runner(sessions, clients.counter, Clock(NOW))
    targets = collector.targets(resolve_targets(config.accounts, config.regions, clients))
    return runner.run(collector, runner.plan(collector, targets))


def stored_lines(sessions) -> list[tuple]:
    """Every cur line as stored, all columns but when it was collected."""
    columns = [c for c in CostLine.__table__.columns if c.name != "collected_at"]
    with sessions() as session:
        rows = session.execute(
            select(*columns)
            .where(CostLine.source == "cur")
            .order_by(*CostLine.__table__.primary_key)
        ).all()
    return [tuple(row) for row in rows]


def forget_cur(sessions) -> None:
    with sessions.begin() as session:
        session.execute(delete(CostLine).where(CostLine.source == "cur"))
        session.execute(delete(CurObject))


def test_the_local_and_the_athena_engine_load_identical_cost_lines(world, sessions):
    local_clients = ClientFactory()
    assert not collect(sessions, local_clients, SOURCE_CONFIG).failed
    local = stored_lines(sessions)
    forget_cur(sessions)

    clients = ClientFactory()
    result = collect(sessions, clients, ATHENA_CONFIG)
    assert not result.failed, result.outcomes
    assert stored_lines(sessions) == local
    # 6 kinds of GenAI line + 1,100 endpoints per period, the EC2 line left out, nothing twice
    assert len(local) == 2 * (6 + 1100)
    calls = clients.counter.snapshot()
    # one query per period; 1,107 rows (with the header) are two pages each
    assert calls["athena:StartQueryExecution"] == 2
    assert calls["athena:GetQueryResults"] == 4
    # only the listing and each period's manifest come from S3 here: Athena reads the data
    assert calls["s3:GetObject"] == 2
    assert local_clients.counter.count("s3", "GetObject") == 2 + 4
    with sessions() as session:
        research = session.scalar(
            select(func.count()).select_from(CostLine).where(CostLine.team == "research")
        )
        assert research == 2 * len([n for n in range(1100) if n % 3])


def test_a_second_athena_run_queries_nothing_when_the_export_did_not_change(world, sessions):
    clients = ClientFactory()
    collect(sessions, clients, ATHENA_CONFIG)
    loaded = stored_lines(sessions)
    second = collect(sessions, clients, ATHENA_CONFIG)
    assert not second.failed and second.rows == 0
    assert clients.counter.count("athena", "StartQueryExecution") == 2
    assert stored_lines(sessions) == loaded


def test_a_failed_athena_query_fails_its_period_and_keeps_what_was_loaded(world, sessions):
    s3, state = world
    clients = ClientFactory()
    collect(sessions, clients, ATHENA_CONFIG)
    loaded = stored_lines(sessions)
    # AWS restates October; Athena then cannot read it
    restated = [replace(line, unblended=line.unblended * 2) for line in export_lines("2026-10")]
    write_export(s3, BUCKET, "cur2", "genai", "2026-10", restated, files=2)
    state.fail_with = (
        "HIVE_CANNOT_OPEN_SPLIT: Error opening Hive split s3://cur-export/...: Access Denied"
    )
    result = collect(sessions, clients, ATHENA_CONFIG)
    assert [outcome.status for outcome in result.outcomes] == ["failed"]
    message = result.outcomes[0].message
    assert "2026-10" in message and "ended FAILED: HIVE_CANNOT_OPEN_SPLIT" in message
    assert stored_lines(sessions) == loaded
    with sessions() as session:
        runs = session.scalars(
            select(CollectorRun).where(
                CollectorRun.source == "cur", CollectorRun.status == "failed"
            )
        ).all()
        (run,) = runs
        assert run.window_start.strftime("%Y-%m") == "2026-10"
        assert run.status == "failed" and "HIVE_CANNOT_OPEN_SPLIT" in run.message
    # Athena recovers: the restated period is queried again and replaces its lines
    state.fail_with = None
    assert not collect(sessions, clients, ATHENA_CONFIG).failed
    assert stored_lines(sessions) != loaded


def test_the_athena_settings_are_read_and_checked():
    costs = parse_config(
        ATHENA_CONFIG.replace(f'output: "{OUTPUT}"}}', "timeout: 90s, partition_column: null}")
    ).collection.source("costs")
    athena = costs.athena
    assert (athena.workgroup, athena.database, athena.table, athena.output) == (
        "primary",
        "cur",
        "genai",
        None,
    )
    assert (athena.timeout, athena.partition_column) == (timedelta(seconds=90), None)
    with pytest.raises(ConfigError, match="output"):
        parse_config(ATHENA_CONFIG.replace(f'"{OUTPUT}"', "athena-results/genai"))
    # the engine's SQL filters the partition when the table has one, and names the Glue table
    collector = CurCollector(parse_config(ATHENA_CONFIG), ClientFactory())
    periods = AthenaPeriods(collector, TARGET)
    sql = periods.sql("2026-10")
    assert 'FROM "cur"."genai"' in sql and "billing_period = '2026-10'" in sql
    assert "element_at(resource_tags, 'user_team')" in sql
