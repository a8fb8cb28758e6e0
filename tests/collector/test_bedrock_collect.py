"""The Bedrock collector end to end: moto's CloudWatch and STS, the real runner, SQLite and Postgres."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import boto3
import pytest
from botocore.stub import Stubber
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import OperationalError

from collector.bedrock import BedrockCollector
from collector.runner import Runner
from core.aws import ClientFactory, resolve_targets
from core.db import DatabaseError
from core.models import BedrockUsageHourly, CollectorRun
from core.pricing import PriceCatalog
from core.pricing.dated import DatedTokenPrices
from core.pricing.reprice import reprice_bedrock
from core.settings import parse_config
from demo.seed import put_bedrock_metrics
from tests.helpers import Clock, OverridingFactory

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET = "anthropic.claude-3-5-sonnet-20241022-v2:0"
START = datetime(2026, 10, 1, tzinfo=UTC)
ACCOUNT = "123456789012"  # moto's default account


def collect(sessions, config, clients, now, start=None, end=None):
    collector = BedrockCollector(config, clients, PriceCatalog.load(config.pricing.overrides))
    factory = clients.base if isinstance(clients, OverridingFactory) else clients
    runner = Runner(sessions, clients.counter, Clock(now))
    targets = resolve_targets(config.accounts, config.regions, factory)
    return runner.run(collector, runner.plan(collector, targets, start, end))


def contents(sessions) -> list[tuple]:
    columns = list(BedrockUsageHourly.__table__.columns)
    with sessions() as session:
        ordered = select(*columns).order_by(
            BedrockUsageHourly.account_id,
            BedrockUsageHourly.region,
            BedrockUsageHourly.model_id,
            BedrockUsageHourly.hour,
        )
        return [tuple(row) for row in session.execute(ordered)]


def token_totals(sessions) -> Counter:
    totals: Counter = Counter()
    with sessions() as session:
        for row in session.scalars(select(BedrockUsageHourly)):
            totals[(row.account_id, row.region, row.model_id, row.team, "input")] += (
                row.input_tokens
            )
            totals[(row.account_id, row.region, row.model_id, row.team, "output")] += (
                row.output_tokens
            )
            totals[(row.account_id, row.region, row.model_id, row.team, "invocations")] += (
                row.invocations
            )
    return totals


WORLD_TEAMS = {
    HAIKU: "unattributed",
    f"us.{SONNET}": "unattributed",
    "prof123": "search",
    "acme.unknown-v1": "unattributed",
}
METRIC_KEYS = {
    "InputTokenCount": "input",
    "OutputTokenCount": "output",
    "Invocations": "invocations",
}


def world_points(hours: int):
    """A foundation model, a cross-region profile, an application profile and an unknown model."""
    for index, model_id in enumerate(WORLD_TEAMS):
        for hour in range(hours):
            at = START + timedelta(hours=hour, minutes=(7 * hour + index) % 60)
            yield model_id, "InputTokenCount", at, 1000 * (index + 1) + hour
            yield model_id, "OutputTokenCount", at, 100 * (index + 1) + hour % 7
            yield model_id, "Invocations", at, 1 + hour % 3


def world_totals(hours: int, regions=("us-east-1", "eu-west-1")) -> Counter:
    totals: Counter = Counter()
    for region in regions:
        for model_id, metric, _at, value in world_points(hours):
            totals[(ACCOUNT, region, model_id, WORLD_TEAMS[model_id], METRIC_KEYS[metric])] += value
    return totals


def seed_world(hours: int = 48) -> Counter:
    """Put the world's usage into two regions and return the totals put."""
    for region in ("us-east-1", "eu-west-1"):
        put_bedrock_metrics(region, world_points(hours))
    return world_totals(hours)


CONFIG = parse_config(
    """
regions: [us-east-1, eu-west-1]
teams: [{name: search}]
attribution:
  inference_profiles:
    prof123: {team: search, model: anthropic.claude-3-5-haiku-20241022-v1:0}
""",
    "test.yaml",
)


def test_token_totals_match_cloudwatch_per_model_region_and_team(aws, sessions):
    expected = seed_world()
    result = collect(
        sessions,
        CONFIG,
        ClientFactory(),
        START + timedelta(days=5),
        START,
        START + timedelta(hours=48),
    )
    assert [o.status for o in result.outcomes] == ["succeeded", "succeeded"]
    assert token_totals(sessions) == expected
    with sessions() as session:
        unknown = session.scalars(
            select(BedrockUsageHourly).where(BedrockUsageHourly.model_id == "acme.unknown-v1")
        ).all()
        profile = session.scalars(
            select(BedrockUsageHourly).where(BedrockUsageHourly.model_id == "prof123")
        ).first()
        sonnet = session.scalars(
            select(BedrockUsageHourly).where(BedrockUsageHourly.model_id == f"us.{SONNET}")
        ).first()
    assert unknown and all(not r.priced and r.estimated_cost_usd is None for r in unknown)
    assert profile.base_model_id == "anthropic.claude-3-5-haiku-20241022-v1:0" and profile.priced
    assert sonnet.base_model_id == SONNET and sonnet.estimated_cost_usd > 0


def test_recollecting_the_same_window_changes_nothing(aws, sessions):
    seed_world(hours=30)
    window = (START, START + timedelta(hours=30))
    collect(sessions, CONFIG, ClientFactory(), START + timedelta(days=5), *window)
    first = contents(sessions)
    with sessions() as session:
        runs = session.scalar(select(func.count()).select_from(CollectorRun))
    for later in (6, 7):
        collect(sessions, CONFIG, ClientFactory(), START + timedelta(days=later), *window)
        assert contents(sessions) == first
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(CollectorRun)) == runs


@pytest.mark.parametrize("models", [100, 167])
def test_get_metric_data_calls_are_ceil_of_series_over_500(aws, sessions, models):
    at = START + timedelta(minutes=5)
    metrics = ("Invocations", "InputTokenCount", "OutputTokenCount")
    put_bedrock_metrics(
        "us-east-1",
        [(f"vendor.model-{i}", metric, at, 1) for i in range(models) for metric in metrics],
    )
    series = models * len(metrics)
    config = parse_config("collection: {bedrock: {window: 2h}}", "test.yaml")
    factory = ClientFactory()
    result = collect(
        sessions, config, factory, START + timedelta(days=1), START, START + timedelta(hours=4)
    )
    windows = result.outcomes[0].windows_done
    assert windows == 2
    assert factory.counter.count("cloudwatch", "GetMetricData") == windows * math.ceil(series / 500)
    # AWS/Bedrock pages 500 metrics at a time; AWS/BedrockMantle (no traffic here) one page
    assert factory.counter.count("cloudwatch", "ListMetrics") == math.ceil(series / 500) + 1
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(BedrockUsageHourly)) == models
        recorded = session.scalar(select(func.sum(CollectorRun.api_calls)))
    assert recorded == factory.counter.total() - factory.counter.count("sts", "GetCallerIdentity")


def test_regular_cycles_continue_from_the_watermark_and_fill_a_gap(aws, sessions):
    config = parse_config(
        "collection: {bedrock: {initial_backfill: 13h, lookback: 3h}}", "test.yaml"
    )
    first_now = START + timedelta(hours=12, minutes=40)
    put_bedrock_metrics(
        "us-east-1",
        [(HAIKU, "InputTokenCount", START + timedelta(hours=h, minutes=5), 10) for h in range(13)],
    )
    collect(sessions, config, ClientFactory(), first_now)
    assert sum(v for k, v in token_totals(sessions).items() if k[-1] == "input") == 130

    # the collector is down for a day and a half; usage goes on
    put_bedrock_metrics(
        "us-east-1",
        [
            (HAIKU, "InputTokenCount", START + timedelta(hours=h, minutes=5), 10)
            for h in range(13, 50)
        ],
    )
    collect(sessions, config, ClientFactory(), START + timedelta(hours=50, minutes=30))
    assert sum(v for k, v in token_totals(sessions).items() if k[-1] == "input") == 500
    with sessions() as session:
        hours = session.scalars(
            select(BedrockUsageHourly.hour).order_by(BedrockUsageHourly.hour)
        ).all()
    assert hours == [START + timedelta(hours=h) for h in range(50)]


def test_the_newest_hour_is_provisional_and_collected_again(aws, sessions):
    config = parse_config("collection: {bedrock: {initial_backfill: 3h}}", "test.yaml")
    hour = START + timedelta(hours=5)
    put_bedrock_metrics("us-east-1", [(HAIKU, "InputTokenCount", hour + timedelta(minutes=2), 100)])
    collect(sessions, config, ClientFactory(), hour + timedelta(minutes=10))
    with sessions() as session:
        row = session.scalars(select(BedrockUsageHourly)).one()
    assert (row.input_tokens, row.provisional) == (100, True)

    put_bedrock_metrics(
        "us-east-1", [(HAIKU, "InputTokenCount", hour + timedelta(minutes=50), 250)]
    )
    collect(sessions, config, ClientFactory(), hour + timedelta(hours=2))
    with sessions() as session:
        row = session.scalars(select(BedrockUsageHourly)).one()
    assert (row.input_tokens, row.provisional) == (350, False)


def test_accounts_are_collected_through_assumed_roles_and_a_denied_one_is_skipped(aws, sessions):
    config = parse_config(
        """
accounts:
  - {id: "111111111111", name: prod, role_arn: "arn:aws:iam::111111111111:role/Reader", team: search}
  - {id: "222222222222", name: lab, role_arn: "arn:aws:iam::222222222222:role/Reader"}
  - {id: "333333333333", name: closed, role_arn: "arn:aws:iam::333333333333:role/Reader"}
teams: [{name: search}]
""",
        "test.yaml",
    )
    sts = boto3.client("sts", region_name="us-east-1")
    at = START + timedelta(hours=1, minutes=3)
    for account, tokens in (("111111111111", 70), ("222222222222", 20)):
        credentials = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/Reader", RoleSessionName="seed"
        )["Credentials"]
        session = boto3.Session(
            credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
        )
        put_bedrock_metrics(
            "us-east-1", [(HAIKU, "InputTokenCount", at, tokens)], clients=ClientFactory(session)
        )

    base = ClientFactory()
    denied = boto3.client("cloudwatch", region_name="us-east-1")
    stubber = Stubber(denied)
    stubber.add_client_error(
        "list_metrics",
        service_error_code="AccessDenied",
        service_message="not authorized to perform cloudwatch:ListMetrics",
        http_status_code=403,
    )
    stubber.activate()
    clients = OverridingFactory(base, {("cloudwatch", "333333333333", "us-east-1"): denied})

    result = collect(
        sessions, config, clients, START + timedelta(days=1), START, START + timedelta(hours=3)
    )
    assert {o.target.account_id: o.status for o in result.outcomes} == {
        "111111111111": "succeeded",
        "222222222222": "succeeded",
        "333333333333": "skipped",
    }
    with sessions() as session:
        stored = {
            (r.account_id, r.team): r.input_tokens
            for r in session.scalars(select(BedrockUsageHourly))
        }
        skipped = session.scalars(
            select(CollectorRun).where(CollectorRun.account_id == "333333333333")
        ).one()
    assert stored == {("111111111111", "search"): 70, ("222222222222", "unattributed"): 20}
    assert skipped.status == "skipped" and "AccessDenied" in skipped.message
    assert base.counter.count("sts", "AssumeRole") == 2


def test_inference_profiles_and_their_tags_come_from_the_bedrock_api(aws, sessions):
    put_bedrock_metrics(
        "us-east-1",
        [
            ("prof-a", "InputTokenCount", START + timedelta(minutes=5), 1_000_000),
            ("prof-b", "InputTokenCount", START + timedelta(minutes=5), 5),
        ],
    )
    bedrock = boto3.client("bedrock", region_name="us-east-1")
    stubber = Stubber(bedrock)
    arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/{}"
    model = {"modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"}

    def summary(pid):
        return {
            "inferenceProfileName": pid,
            "inferenceProfileArn": arn.format(pid),
            "inferenceProfileId": pid,
            "models": [model],
            "status": "ACTIVE",
            "type": "APPLICATION",
        }

    stubber.add_response(
        "list_inference_profiles",
        {"inferenceProfileSummaries": [summary("prof-a")], "nextToken": "page2"},
        {"typeEquals": "APPLICATION"},
    )
    stubber.add_response(
        "list_tags_for_resource",
        {"tags": [{"key": "team", "value": "search"}]},
        {"resourceARN": arn.format("prof-a")},
    )
    stubber.add_response(
        "list_inference_profiles",
        {"inferenceProfileSummaries": [summary("prof-b")]},
        {"typeEquals": "APPLICATION", "nextToken": "page2"},
    )
    stubber.add_response(
        "list_tags_for_resource",
        {"tags": [{"key": "owner", "value": "x"}]},
        {"resourceARN": arn.format("prof-b")},
    )
    stubber.activate()
    clients = OverridingFactory(ClientFactory(), {("bedrock", ACCOUNT, "us-east-1"): bedrock})
    config = parse_config("attribution: {inference_profiles: {prof-b: support}}", "test.yaml")
    collect(sessions, config, clients, START + timedelta(days=1), START, START + timedelta(hours=2))
    stubber.assert_no_pending_responses()
    with sessions() as session:
        rows = {
            r.model_id: (r.team, r.base_model_id, r.estimated_cost_usd)
            for r in session.scalars(select(BedrockUsageHourly))
        }
    assert rows["prof-a"][0:2] == ("search", HAIKU) and rows["prof-a"][2] == pytest.approx(0.25)
    assert rows["prof-b"][0:2] == ("support", HAIKU)


def test_a_database_failure_keeps_written_windows_and_the_next_run_resumes(aws, sessions, engine):
    seed_world(hours=72)
    config = parse_config(
        "regions: [us-east-1]\nteams: [{name: search}]\nattribution: {inference_profiles: {prof123: search}}",
        "test.yaml",
    )
    now = START + timedelta(hours=72, minutes=30)
    writes = {"count": 0}

    def fail_third_window(conn, cursor, statement, parameters, context, executemany):
        # the hourly rows' own writes (not the daily rollup's INSERT .. SELECT from them)
        if statement.lstrip().upper().startswith("INSERT INTO BEDROCK_USAGE_HOURLY"):
            writes["count"] += 1
            if writes["count"] == 3:
                raise OperationalError(
                    statement, parameters, Exception("server closed the connection unexpectedly")
                )

    event.listen(engine, "before_cursor_execute", fail_third_window)
    try:
        with pytest.raises(DatabaseError, match="windows already written are kept"):
            collect(sessions, config, ClientFactory(), now, START, START + timedelta(hours=72))
    finally:
        event.remove(engine, "before_cursor_execute", fail_third_window)
    with sessions() as session:
        kept = session.scalars(select(BedrockUsageHourly.hour).distinct()).all()
        runs = session.scalars(select(CollectorRun.status)).all()
    assert sorted(kept) == [START + timedelta(hours=h) for h in range(48)]
    assert runs == ["succeeded", "succeeded"]

    collect(sessions, config, ClientFactory(), now)  # the regular cycle picks up where it stopped
    assert token_totals(sessions) == world_totals(72, regions=["us-east-1"])


def stubbed_profiles(region: str, summaries: list[dict]) -> Stubber:
    """A bedrock client in ``region`` whose ListInferenceProfiles answers ``summaries``, untagged."""
    client = boto3.client("bedrock", region_name=region)
    stubber = Stubber(client)
    stubber.add_response(
        "list_inference_profiles",
        {"inferenceProfileSummaries": summaries},
        {"typeEquals": "APPLICATION"},
    )
    for summary in summaries:
        arn = summary["inferenceProfileArn"]
        stubber.add_response("list_tags_for_resource", {"tags": []}, {"resourceARN": arn})
    stubber.activate()
    return stubber


def test_stored_rows_carry_the_price_of_their_routing_scope_and_region(aws, sessions):
    sonnet = "anthropic.claude-sonnet-4-5-20250929-v1:0"
    llama = "meta.llama3-8b-instruct-v1:0"
    at = START + timedelta(minutes=5)
    put_bedrock_metrics(
        "us-east-1",
        [
            (f"us.{sonnet}", "InputTokenCount", at, 1_000_000),
            (f"us.{sonnet}", "OutputTokenCount", at, 1_000_000),
            (f"global.{sonnet}", "InputTokenCount", at, 1_000_000),
            (f"global.{sonnet}", "OutputTokenCount", at, 1_000_000),
            (f"global.{sonnet}", "CacheWriteInputTokenCount", at, 1_000_000),
            ("prof-g", "InputTokenCount", at, 1_000_000),
            ("prof-g", "OutputTokenCount", at, 1_000_000),
            ("acme.unknown-v1", "InputTokenCount", at, 1_000_000),
        ],
    )
    put_bedrock_metrics("eu-west-1", [(llama, "InputTokenCount", at, 1_000_000)])
    global_profile = {
        "inferenceProfileName": "search-sonnet",
        "inferenceProfileArn": f"arn:aws:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/prof-g",
        "inferenceProfileId": "prof-g",
        # copied from the global system profile: ListInferenceProfiles names it among the models
        "models": [
            {"modelArn": f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/global.{sonnet}"},
            {"modelArn": f"arn:aws:bedrock:::foundation-model/{sonnet}"},
        ],
        "status": "ACTIVE",
        "type": "APPLICATION",
    }
    stubbers = {
        "us-east-1": stubbed_profiles("us-east-1", [global_profile]),
        "eu-west-1": stubbed_profiles("eu-west-1", []),
    }
    clients = OverridingFactory(
        ClientFactory(),
        {("bedrock", ACCOUNT, region): stub.client for region, stub in stubbers.items()},
    )
    config = parse_config("regions: [us-east-1, eu-west-1]", "test.yaml")
    collect(sessions, config, clients, START + timedelta(days=1), START, START + timedelta(hours=2))
    with sessions() as session:
        rows = {
            (r.region, r.model_id): (r.base_model_id, r.estimated_cost_usd, r.priced)
            for r in session.scalars(select(BedrockUsageHourly))
        }
    # 1M input + 1M output: 3.30 + 16.50 geographic, 3.00 + 15.00 (+ 3.75 cache write) global
    assert rows[("us-east-1", f"us.{sonnet}")][1:] == (Decimal("19.8"), True)
    assert rows[("us-east-1", f"global.{sonnet}")][1:] == (Decimal("21.75"), True)
    assert rows[("us-east-1", "prof-g")] == (sonnet, Decimal(18), True)
    assert rows[("eu-west-1", llama)][1:] == (Decimal("0.39"), True)
    assert rows[("us-east-1", "acme.unknown-v1")][1:] == (None, False)
    with sessions() as session:
        routed = {
            r.model_id: r.routed_model_id
            for r in session.scalars(select(BedrockUsageHourly))
            if r.region == "us-east-1"
        }
    # the id each row was priced as is stored: `prices reprice` prices the profile the same way
    assert routed == {
        f"us.{sonnet}": f"us.{sonnet}",
        f"global.{sonnet}": f"global.{sonnet}",
        "prof-g": f"global.{sonnet}",
        "acme.unknown-v1": "acme.unknown-v1",
    }
    with sessions.begin() as session:
        session.execute(update(BedrockUsageHourly).values(estimated_cost_usd=0))
        reprice_bedrock(session, DatedTokenPrices.load(session, PriceCatalog.load()), START)
    with sessions() as session:
        repriced = {
            (r.region, r.model_id): (r.estimated_cost_usd, r.priced)
            for r in session.scalars(select(BedrockUsageHourly))
        }
    assert repriced == {key: value[1:] for key, value in rows.items()}
