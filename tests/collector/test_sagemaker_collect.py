"""The SageMaker collector end to end: moto's SageMaker and CloudWatch, the real runner, the
export command, on SQLite and Postgres."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import boto3
from botocore.awsrequest import AWSResponse
from click.testing import CliRunner
from sqlalchemy import select

from collector.runner import Runner
from collector.sagemaker import SageMakerCollector
from core.aws import ClientFactory, Target, resolve_targets
from core.models import CollectorRun, Endpoint, EndpointHourly
from core.pricing import InstancePriceCatalog
from core.queries.endpoints import endpoint_summaries, idle_endpoints
from core.settings import parse_config
from demo.seed import create_sagemaker_endpoint, put_sagemaker_invocations
from demo.standins import sagemaker_clock
from monitor.cli import main
from monitor.export import ENDPOINT_COLUMNS
from tests.helpers import Clock

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
CREATED = datetime(2026, 9, 30, 12, tzinfo=UTC)
NOW = CREATED + timedelta(hours=72)  # 2026-10-03T12:00Z
FIRST_CYCLE = datetime(2026, 10, 2, 6, 10, tzinfo=UTC)
DELETED_AT = datetime(2026, 10, 2, 16, 30, tzinfo=UTC)  # the cycle that finds it gone

CONFIG = parse_config(
    f"""
accounts: [{{id: "{ACCOUNT}", name: ml, team: platform}}]
regions: [{REGION}]
teams: [{{name: search}}, {{name: platform}}]
collection: {{sagemaker: {{lookback: 3h}}}}
""",
    "test.yaml",
)


def collect(sessions, clients, now, start=None, end=None, config=CONFIG):
    collector = SageMakerCollector(config, clients)
    runner = Runner(sessions, clients.counter, Clock(now))
    targets = resolve_targets(config.accounts, config.regions, clients)
    return runner.run(collector, runner.plan(collector, targets, start, end))


def hourly(start: datetime, hours: int, minute: int = 5):
    return [start + timedelta(hours=h, minutes=minute) for h in range(hours)]


def seed_world() -> None:
    """Seven endpoints, all but `new` created at CREATED, with their CloudWatch invocations."""
    create_sagemaker_endpoint(
        "busy",
        [{"name": "AllTraffic", "instance_type": "ml.g4dn.xlarge", "count": 2}],
        created_at=CREATED,
        tags={"team": "search"},
    )
    create_sagemaker_endpoint(
        "idle48", [{"name": "AllTraffic", "instance_type": "ml.m5.large"}], created_at=CREATED
    )
    create_sagemaker_endpoint(
        "gone", [{"name": "AllTraffic", "instance_type": "ml.c5.xlarge"}], created_at=CREATED
    )
    create_sagemaker_endpoint(
        "serverless",
        [{"name": "AllTraffic", "serverless": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}}],
        created_at=CREATED,
    )
    create_sagemaker_endpoint(
        "twovariants",
        [
            {"name": "a", "instance_type": "ml.m5.large"},
            {"name": "b", "instance_type": "ml.c5.large"},
        ],
        created_at=CREATED,
    )
    create_sagemaker_endpoint(
        "batchy",
        [{"name": "AllTraffic", "instance_type": "ml.g4dn.xlarge"}],
        created_at=CREATED,
        async_inference={"OutputConfig": {"S3OutputPath": "s3://bucket/out"}},
    )
    boto3.client("application-autoscaling", region_name=REGION).register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId="endpoint/batchy/variant/AllTraffic",
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        MinCapacity=0,
        MaxCapacity=4,
    )
    create_sagemaker_endpoint(
        "mme",
        [{"name": "AllTraffic", "instance_type": "ml.c5.large"}],
        created_at=CREATED,
        multi_model=True,
    )

    points = []
    points += [("busy", "AllTraffic", at, 10) for at in hourly(CREATED, 72)]
    points += [
        ("idle48", "AllTraffic", at, 5) for at in hourly(CREATED, 24)
    ]  # last call 2026-10-01 11:05
    points += [
        ("gone", "AllTraffic", at, 3) for at in hourly(CREATED, 53, minute=10)
    ]  # up to 2026-10-02 16:10
    points += [("serverless", "AllTraffic", at, 2) for at in hourly(CREATED, 72)]
    points += [("twovariants", "b", at, 4) for at in hourly(CREATED, 72)]
    put_sagemaker_invocations(REGION, points)
    # EndpointName alone is not how SageMaker publishes: a collector reading it would count these
    boto3.client("cloudwatch", region_name=REGION).put_metric_data(
        Namespace="AWS/SageMaker",
        MetricData=[
            {
                "MetricName": "Invocations",
                "Dimensions": [{"Name": "EndpointName", "Value": "twovariants"}],
                "Timestamp": CREATED + timedelta(hours=1),
                "Value": 1000,
            }
        ],
    )


def run_world(sessions, factory) -> None:
    """Three collection cycles over three days: a backfill, then two regular cycles."""
    seed_world()
    first = collect(sessions, factory, FIRST_CYCLE, CREATED, FIRST_CYCLE)
    assert [o.status for o in first.outcomes] == ["succeeded"]
    boto3.client("sagemaker", region_name=REGION).delete_endpoint(EndpointName="gone")
    second = collect(sessions, factory, DELETED_AT)
    assert [o.status for o in second.outcomes] == ["succeeded"]
    create_sagemaker_endpoint(
        "new",
        [{"name": "AllTraffic", "instance_type": "ml.t2.medium"}],
        created_at=NOW - timedelta(hours=1),
    )
    third = collect(sessions, factory, NOW)
    assert [o.status for o in third.outcomes] == ["succeeded"]


def contents(sessions) -> tuple[list[tuple], list[tuple]]:
    with sessions() as session:
        endpoints = [
            tuple(r)
            for r in session.execute(
                select(*Endpoint.__table__.columns).order_by(
                    Endpoint.endpoint_name, Endpoint.created_at
                )
            )
        ]
        hours = [
            tuple(r)
            for r in session.execute(
                select(*EndpointHourly.__table__.columns).order_by(
                    EndpointHourly.endpoint_id, EndpointHourly.hour
                )
            )
        ]
    return endpoints, hours


# name -> (team, type, status, instance type, count, hours, invocations, last call, idle hours, cost, idle cost, priced)
EXPECTED = {
    "busy": (
        "search",
        "real-time",
        "InService",
        "ml.g4dn.xlarge",
        2,
        72,
        720,
        "2026-10-03T11:00:00Z",
        0,
        "106.041600",
        "0.000000",
        True,
    ),
    "idle48": (
        "platform",
        "real-time",
        "InService",
        "ml.m5.large",
        1,
        72,
        120,
        "2026-10-01T11:00:00Z",
        48,
        "8.280000",
        "5.520000",
        True,
    ),
    "new": (
        "platform",
        "real-time",
        "InService",
        "ml.t2.medium",
        1,
        1,
        0,
        None,
        1,
        "0.056000",
        "0.056000",
        True,
    ),
    "gone": (
        "platform",
        "real-time",
        "Deleted",
        "ml.c5.xlarge",
        1,
        52.5,
        159,
        "2026-10-02T16:00:00Z",
        0,
        "10.710000",
        "0.000000",
        True,
    ),
    "serverless": (
        "platform",
        "serverless",
        "InService",
        None,
        0,
        72,
        144,
        "2026-10-03T11:00:00Z",
        None,
        None,
        None,
        False,
    ),
    "twovariants": (
        "platform",
        "real-time",
        "InService",
        "ml.c5.large,ml.m5.large",
        2,
        72,
        288,
        "2026-10-03T11:00:00Z",
        0,
        "15.624000",
        "0.000000",
        True,
    ),
    "batchy": (
        "platform",
        "async",
        "InService",
        "ml.g4dn.xlarge",
        1,
        72,
        0,
        None,
        None,
        "53.020800",
        None,
        True,
    ),
    "mme": (
        "platform",
        "multi-model",
        "InService",
        "ml.c5.large",
        1,
        72,
        0,
        None,
        72,
        "7.344000",
        "7.344000",
        True,
    ),
}
FIELDS = (
    "team",
    "endpoint_type",
    "status",
    "instance_type",
    "instance_count",
    "hours_in_service",
    "invocations",
    "last_invocation_at",
    "idle_hours",
    "estimated_cost_usd",
    "idle_cost_usd",
    "priced",
)


def export(database_url: str, monkeypatch, *args: str) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("GENAI_MONITOR_CONFIG", raising=False)
    result = CliRunner().invoke(main, ["export", "endpoints", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_every_kind_of_endpoint_is_exported_with_its_hours_invocations_idleness_and_cost(
    aws, sessions, database_url, monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)  # no genai-monitor.yaml here: the export runs on defaults
    run_world(sessions, ClientFactory())
    records = json.loads(export(database_url, monkeypatch, "--format", "json"))
    assert [list(r) for r in records] == [list(ENDPOINT_COLUMNS)] * len(records)
    by_name = {r["endpoint_name"]: r for r in records}
    assert set(by_name) == set(EXPECTED)
    for name, expected in EXPECTED.items():
        assert tuple(by_name[name][f] for f in FIELDS) == expected, name
    gone = by_name["gone"]
    assert (gone["created_at"], gone["deleted_at"]) == (
        "2026-09-30T12:00:00Z",
        "2026-10-02T16:30:00Z",
    )
    assert by_name["new"]["created_at"] == "2026-10-03T11:00:00Z"
    assert "multi-model" in by_name["mme"]["note"] and "serverless" in by_name["serverless"]["note"]
    assert all(r["account_id"] == ACCOUNT and r["region"] == REGION for r in records)
    # the price columns come from the current catalog; serverless has no instance price
    g4dn = InstancePriceCatalog.load().price("ml.g4dn.xlarge", REGION)
    assert (by_name["busy"]["price_source"], by_name["busy"]["price_as_of"]) == (
        g4dn.source,
        g4dn.as_of,
    )
    assert by_name["serverless"]["price_source"] is None
    assert by_name["twovariants"]["price_source"] == g4dn.source  # both types share one source

    # CSV has the same header and money as decimal strings; a window sums only its hours
    text = export(
        database_url, monkeypatch, "--start", "2026-10-02T00:00Z", "--end", "2026-10-03T00:00Z"
    )
    rows = {r["endpoint_name"]: r for r in csv.DictReader(io.StringIO(text))}
    assert text.splitlines()[0] == ",".join(ENDPOINT_COLUMNS)
    assert "new" not in rows  # created after the window
    assert (
        rows["busy"]["hours_in_service"],
        rows["busy"]["invocations"],
        rows["busy"]["estimated_cost_usd"],
    ) == ("24.0", "240", "35.347200")
    assert (rows["gone"]["hours_in_service"], rows["gone"]["invocations"]) == ("16.5", "51")
    # idle as of the window's end: idle48 has not been called since 2026-10-01 11:00
    assert (rows["idle48"]["idle_hours"], rows["idle48"]["last_invocation_at"]) == (
        "36.0",
        "2026-10-01T11:00:00Z",
    )
    assert (
        rows["serverless"]["estimated_cost_usd"] == "" and rows["serverless"]["priced"] == "false"
    )

    out = tmp_path / "endpoints.csv"
    export(database_url, monkeypatch, "--team", "search", "-o", str(out))
    assert [r["endpoint_name"] for r in csv.DictReader(out.open())] == ["busy"]


def test_the_idle_query_names_live_endpoints_billing_without_calls(aws, sessions):
    run_world(sessions, ClientFactory())
    with sessions() as session:
        idle = {s.endpoint_name: s.idle_hours for s in idle_endpoints(session, Decimal(24), at=NOW)}
        earlier = {
            s.endpoint_name
            for s in idle_endpoints(session, Decimal(24), at=datetime(2026, 10, 2, 10, tzinfo=UTC))
        }
    assert idle == {"idle48": Decimal(48), "mme": Decimal(72)}
    assert earlier == {"mme"}  # idle48 had been idle 22 h then
    with sessions() as session:
        summaries = {
            s.endpoint_name: s
            for s in endpoint_summaries(session, end=datetime(2026, 10, 2, 10, tzinfo=UTC))
        }
    assert summaries["idle48"].idle_hours == Decimal(22)


def test_recollecting_changes_nothing(aws, sessions):
    factory = ClientFactory()
    run_world(sessions, factory)
    first = contents(sessions)
    assert len(first[0]) == 8 and len(first[1]) > 8 * 50
    collect(sessions, factory, NOW)  # the same regular cycle again
    assert contents(sessions) == first
    collect(sessions, factory, NOW, CREATED, NOW)  # and a backfill of everything
    assert contents(sessions) == first


def test_a_later_cycle_keeps_what_earlier_cycles_observed_about_past_hours(aws, sessions):
    factory = ClientFactory()
    run_world(sessions, factory)
    _, hours_before = contents(sessions)
    later = NOW + timedelta(hours=5)
    collect(sessions, factory, later, CREATED, NOW)  # a backfill of past hours, five hours on
    assert contents(sessions)[1] == hours_before
    with sessions() as session:
        seen = {
            e.endpoint_name: (e.last_seen_at, e.deleted_at)
            for e in session.scalars(select(Endpoint))
        }
    assert seen["busy"] == (later, None) and seen["gone"] == (FIRST_CYCLE, DELETED_AT)


def throttling(times: int | None):
    """A before-send hook answering DescribeEndpoint with ThrottlingException ``times`` times (None: always)."""
    calls = {"count": 0}

    class Body:
        def stream(self, **_):
            yield b'{"__type": "ThrottlingException", "message": "Rate exceeded"}'

    def hook(request, **_):
        calls["count"] += 1
        if times is None or calls["count"] <= times:
            return AWSResponse(
                request.url,
                400,
                {
                    "x-amzn-ErrorType": "ThrottlingException",
                    "Content-Type": "application/x-amz-json-1.1",
                },
                Body(),
            )
        return None

    return hook, calls


def test_a_throttled_describe_endpoint_is_retried_and_the_cycle_finishes(aws, sessions):
    create_sagemaker_endpoint(
        "busy", [{"name": "AllTraffic", "instance_type": "ml.g4dn.xlarge"}], created_at=CREATED
    )
    put_sagemaker_invocations(REGION, [("busy", "AllTraffic", at, 1) for at in hourly(CREATED, 3)])
    factory = ClientFactory()
    hook, calls = throttling(2)
    factory.client("sagemaker", Target(ACCOUNT, REGION)).meta.events.register(
        "before-send.sagemaker.DescribeEndpoint", hook
    )
    result = collect(
        sessions, factory, CREATED + timedelta(hours=3), CREATED, CREATED + timedelta(hours=3)
    )
    assert [o.status for o in result.outcomes] == ["succeeded"]
    assert calls["count"] == 3  # two throttled attempts, then the answer
    assert factory.counter.count("sagemaker", "DescribeEndpoint") == 1
    with sessions() as session:
        assert session.scalars(
            select(EndpointHourly.invocations).order_by(EndpointHourly.hour)
        ).all() == [1, 1, 1]


def test_a_region_throttled_past_its_retries_fails_alone(aws, sessions):
    config = parse_config(
        f"accounts: [{{id: '{ACCOUNT}'}}]\nregions: [us-east-1, eu-west-1]", "test.yaml"
    )
    for region in ("us-east-1", "eu-west-1"):
        create_sagemaker_endpoint(
            f"ep-{region}",
            [{"name": "AllTraffic", "instance_type": "ml.m5.large"}],
            created_at=CREATED,
            region=region,
        )
    factory = ClientFactory()
    hook, calls = throttling(None)
    factory.client("sagemaker", Target(ACCOUNT, "us-east-1")).meta.events.register(
        "before-send.sagemaker.DescribeEndpoint", hook
    )
    result = collect(
        sessions,
        factory,
        CREATED + timedelta(hours=2),
        CREATED,
        CREATED + timedelta(hours=2),
        config=config,
    )
    assert {o.target.region: o.status for o in result.outcomes} == {
        "us-east-1": "failed",
        "eu-west-1": "succeeded",
    }
    # AWS_MAX_ATTEMPTS=3 (conftest) is the total: the first attempt and two retries
    assert calls["count"] == 3
    failed = next(o for o in result.outcomes if o.status == "failed")
    assert "ThrottlingException" in failed.message
    with sessions() as session:
        assert session.scalars(select(Endpoint.endpoint_name)).all() == ["ep-eu-west-1"]
        assert {r.region: r.status for r in session.scalars(select(CollectorRun))} == {
            "us-east-1": "failed",
            "eu-west-1": "succeeded",
        }


def test_an_endpoint_recreated_with_the_same_name_is_a_second_life(aws, sessions):
    recreated_after = timedelta(hours=5)
    create_sagemaker_endpoint(
        "llm", [{"name": "AllTraffic", "instance_type": "ml.m5.large"}], created_at=CREATED
    )
    factory = ClientFactory()
    collect(sessions, factory, CREATED + timedelta(hours=2), CREATED, CREATED + timedelta(hours=2))
    client = boto3.client("sagemaker", region_name=REGION)
    client.delete_endpoint(EndpointName="llm")
    with sagemaker_clock(CREATED + recreated_after):
        client.create_endpoint(EndpointName="llm", EndpointConfigName="llm-config")
    put_sagemaker_invocations(
        REGION, [("llm", "AllTraffic", CREATED + timedelta(hours=6, minutes=1), 7)]
    )
    collect(sessions, factory, CREATED + timedelta(hours=8))
    with sessions() as session:
        lives = [
            (e.created_at, e.deleted_at)
            for e in session.scalars(select(Endpoint).order_by(Endpoint.created_at))
        ]
        summaries = endpoint_summaries(session)
    # the first life ended no later than the second began
    assert lives == [(CREATED, CREATED + recreated_after), (CREATED + recreated_after, None)]
    assert [(s.hours_in_service, s.invocations) for s in summaries] == [
        (Decimal(5), 0),
        (Decimal(3), 7),
    ]


def test_collect_sagemaker_from_the_command_line(
    aws, sessions, database_url, monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("GENAI_MONITOR_CONFIG", raising=False)
    client = boto3.client("sagemaker", region_name=REGION)
    client.create_model(
        ModelName="m",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/R",
        PrimaryContainer={"Image": "img"},
    )
    client.create_endpoint_config(
        EndpointConfigName="c",
        ProductionVariants=[
            {
                "VariantName": "v",
                "ModelName": "m",
                "InstanceType": "ml.t2.medium",
                "InitialInstanceCount": 1,
            }
        ],
    )
    client.create_endpoint(
        EndpointName="cli-endpoint", EndpointConfigName="c"
    )  # created now, in real time
    result = CliRunner().invoke(
        main, ["collect", "sagemaker", "--since", "2h"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "sagemaker: " in result.output
    with sessions() as session:
        endpoint = session.scalars(select(Endpoint)).one()
        hours = session.scalars(select(EndpointHourly)).all()
    assert (endpoint.endpoint_name, endpoint.team, endpoint.deleted_at) == (
        "cli-endpoint",
        "unattributed",
        None,
    )
    assert all(h.instance_type == "ml.t2.medium" and h.priced for h in hours)
