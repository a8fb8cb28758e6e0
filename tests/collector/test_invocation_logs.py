"""The invocation-log source end to end: moto's Bedrock logging configuration, S3 and CloudWatch
Logs, records in the real AWS format, the real runner, on SQLite and Postgres."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import boto3
import pytest
from click.testing import CliRunner
from sqlalchemy import MetaData, select, text

from collector.invocation_logs import InvocationLogsCollector
from collector.runner import Runner
from core.aws import ClientFactory, resolve_targets
from core.models_principals import (
    NO_METADATA,
    InvocationLogCursor,
    InvocationLogObject,
    PrincipalUsageHourly,
)
from core.pricing import PriceCatalog
from core.settings import parse_config
from demo.invocation_logs import (
    Call,
    enable_cloudwatch_logging,
    enable_s3_logging,
    gzip_lines,
    line,
    object_key,
    put_log_events,
    put_object,
)
from monitor.cli import main
from tests.helpers import Clock

ACCOUNT = "123456789012"
REGION = "us-east-1"
BUCKET = "bedrock-logs"
PREFIX = "genai"
GROUP = "/aws/bedrock/invocations"
HOUR = datetime(2026, 11, 20, 9, tzinfo=UTC)
NOW = HOUR + timedelta(hours=5)
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET = "anthropic.claude-3-5-sonnet-20240620-v1:0"
MYSTERY = "acme.mystery-model-v1"  # no price anywhere
SEARCH = f"arn:aws:sts::{ACCOUNT}:assumed-role/search-api/i-0abc"
SHARED = f"arn:aws:sts::{ACCOUNT}:assumed-role/genai-shared/lambda"
STRANGER = f"arn:aws:iam::{ACCOUNT}:user/someone"
PROMPT_MARK = "PROMPT-MARKER-7f3a9"
COMPLETION_MARK = "COMPLETION-MARKER-c21e"

CONFIG = parse_config(
    f"""
accounts: [{{id: "{ACCOUNT}", name: prod}}]
regions: [{REGION}]
teams: [{{name: search}}, {{name: platform}}]
attribution:
  principals:
    "arn:aws:sts::*:assumed-role/search-*": search
    "arn:aws:sts::*:assumed-role/genai-shared/*": platform
  request_metadata_keys: [project]
""",
    "test.yaml",
)


def call(at, principal, model, tokens_in, tokens_out, **extra) -> Call:
    return Call(
        at,
        principal,
        model,
        tokens_in,
        tokens_out,
        prompt=f"{PROMPT_MARK} tell me about {principal}",
        completion=f"{COMPLETION_MARK} here it is",
        **extra,
    )


# the seeded calls: InvokeModel and Converse shapes, with and without requestMetadata and cache
FIRST_OBJECT = [
    call(HOUR + timedelta(minutes=1), SEARCH, HAIKU, 100, 20, operation="InvokeModel"),
    call(HOUR + timedelta(minutes=2), SEARCH, HAIKU, 300, 40, cache_read=50, cache_write=10),
    call(HOUR + timedelta(minutes=3), SHARED, SONNET, 1000, 200, metadata={"project": "atlas"}),
    call(
        HOUR + timedelta(minutes=4),
        SHARED,
        SONNET,
        500,
        100,
        metadata={"project": "atlas", "user": "ann"},  # `user` is not configured: not kept
    ),
]
SECOND_OBJECT = [
    call(HOUR + timedelta(minutes=31), SHARED, SONNET, 700, 70, metadata={"project": "borealis"}),
    call(HOUR + timedelta(minutes=32), STRANGER, HAIKU, 10, 1, operation="InvokeModel"),
    call(HOUR + timedelta(hours=1, minutes=5), SEARCH, HAIKU, 1, 1),
    call(HOUR + timedelta(minutes=33), STRANGER, MYSTERY, 50, 5, operation="Converse"),
]


def collect(sessions, now=NOW, start=None, end=None, config=CONFIG):
    clients = ClientFactory()
    collector = InvocationLogsCollector(config, clients, PriceCatalog.load())
    runner = Runner(sessions, clients.counter, Clock(now))
    targets = resolve_targets(config.accounts, config.regions, clients)
    return runner.run(collector, runner.plan(collector, targets, start, end))


def stored(sessions) -> dict[tuple, tuple]:
    with sessions() as session:
        return {
            (row.hour, row.principal, row.model_id, row.request_metadata): (
                row.invocations,
                row.input_tokens,
                row.output_tokens,
                row.cache_read_tokens,
                row.cache_write_tokens,
            )
            for row in session.scalars(select(PrincipalUsageHourly))
        }


def expected(calls: list[Call]) -> dict[tuple, tuple]:
    """What the seeded calls add up to, computed from the seeds (not the collector)."""
    totals: dict[tuple, list[int]] = {}
    for item in calls:
        project = item.metadata.get("project")
        metadata = f'{{"project":"{project}"}}' if project else NO_METADATA
        hour = item.at.replace(minute=0, second=0)
        row = totals.setdefault((hour, item.principal, item.model_id, metadata), [0] * 5)
        for index, value in enumerate(
            (1, item.input_tokens, item.output_tokens, item.cache_read or 0, item.cache_write or 0)
        ):
            row[index] += value
    return {key: tuple(values) for key, values in totals.items()}


def dump(engine) -> str:
    """Every row of every table, as text."""
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            return "\n".join(raw.driver_connection.iterdump())
        finally:
            raw.close()
    metadata = MetaData()
    metadata.reflect(engine)
    parts = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            parts.extend(
                connection.execute(text(f'SELECT CAST(t AS text) FROM "{table.name}" AS t'))
                .scalars()
                .all()
            )
    return "\n".join(parts)


@pytest.fixture
def s3_world(aws):
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    enable_s3_logging(boto3.client("bedrock", region_name=REGION), BUCKET, PREFIX)
    put_object(s3, BUCKET, PREFIX, HOUR + timedelta(minutes=5), FIRST_OBJECT, "a")
    # a line that is not JSON and a record without its identity, among good ones
    body = [line(item) for item in SECOND_OBJECT]
    body.insert(1, b"this is not json " + PROMPT_MARK.encode() + b"\n")
    body.insert(2, b'{"timestamp": "2026-11-20T09:40:00Z", "modelId": "x", "input": {}}\n')
    key = object_key(PREFIX, ACCOUNT, REGION, HOUR + timedelta(minutes=35), "b")
    s3.put_object(Bucket=BUCKET, Key=key, Body=gzip_lines(body))
    # a truncated object: the first record decodes, the rest of the stream is cut off
    truncated_calls = [
        call(HOUR + timedelta(minutes=50), SEARCH, SONNET, 4000, 400),
        *[call(HOUR + timedelta(minutes=51), SEARCH, SONNET, 9, 9) for _ in range(200)],
    ]
    whole = gzip_lines(line(item) for item in truncated_calls)
    truncated_key = object_key(PREFIX, ACCOUNT, REGION, HOUR + timedelta(minutes=55), "c")
    s3.put_object(Bucket=BUCKET, Key=truncated_key, Body=whole[: len(whole) // 2])
    return s3, truncated_key


def test_per_principal_tokens_equal_the_seeded_records_and_rereading_changes_nothing(
    s3_world, sessions, engine, caplog
):
    s3, truncated_key = s3_world
    caplog.set_level(logging.DEBUG)
    result = collect(sessions)
    assert [outcome.status for outcome in result.outcomes] == ["succeeded"]
    rows = stored(sessions)
    # the truncated object kept what decoded: compare the rest exactly, then that part
    truncated = {key: value for key, value in rows.items() if key[2] == SONNET and key[1] == SEARCH}
    rest = {key: value for key, value in rows.items() if key not in truncated}
    assert rest == expected(FIRST_OBJECT + SECOND_OBJECT)
    [(invocations, tokens_in, *_)] = truncated.values()
    assert 1 <= invocations < 201 and tokens_in == 4000 + 9 * (invocations - 1)
    assert f"s3://{BUCKET}/{truncated_key}" in caplog.text
    with sessions() as session:
        teams = {
            (row.principal, row.request_metadata): (row.team, row.team_rule)
            for row in session.scalars(select(PrincipalUsageHourly))
        }
        cursor = session.scalars(select(InvocationLogCursor)).one()
        ledger = session.scalars(select(InvocationLogObject)).all()
        sonnet = session.scalars(
            select(PrincipalUsageHourly).where(PrincipalUsageHourly.model_id == SONNET)
        ).first()
        unknown = session.scalars(
            select(PrincipalUsageHourly).where(PrincipalUsageHourly.model_id == MYSTERY)
        ).one()
    assert teams[(SEARCH, NO_METADATA)] == (
        "search",
        "principals[arn:aws:sts::*:assumed-role/search-*]",
    )
    assert teams[(SHARED, '{"project":"atlas"}')][0] == "platform"
    assert teams[(STRANGER, NO_METADATA)] == ("unattributed", "no principal mapping")
    assert cursor.destination == f"s3://{BUCKET}/{PREFIX}" and cursor.objects_read == 3
    assert cursor.position == truncated_key
    assert cursor.malformed_records == 2 + 1  # two bad lines, one truncated object
    assert {item.truncated for item in ledger} == {True, False}
    assert sonnet is not None and sonnet.priced and sonnet.estimated_cost_usd > Decimal(0)
    # an unknown model is unpriced, never $0
    assert unknown.source == "s3" and not unknown.priced and unknown.estimated_cost_usd is None

    # a second cycle and a backfill over the same range change nothing
    assert collect(sessions, NOW + timedelta(minutes=15)).outcomes[0].status == "succeeded"
    assert collect(sessions, NOW, HOUR - timedelta(days=2), NOW).outcomes[0].status == "succeeded"
    assert stored(sessions) == rows
    with sessions() as session:
        assert session.scalars(select(InvocationLogCursor)).one().objects_read == 3

    # no prompt or completion text anywhere: the database, the logs
    text_dump = dump(engine)
    assert SEARCH in text_dump  # the dump does hold the rows
    for marker in (PROMPT_MARK, COMPLETION_MARK):
        assert marker not in text_dump
        assert marker not in caplog.text


def test_a_new_object_after_the_marker_is_picked_up_next_cycle(s3_world, sessions):
    s3, _ = s3_world
    collect(sessions)
    before = stored(sessions)
    later = [call(HOUR + timedelta(hours=4, minutes=1), SEARCH, HAIKU, 77, 7)]
    put_object(s3, BUCKET, PREFIX, HOUR + timedelta(hours=4, minutes=6), later, "d")
    collect(sessions, NOW + timedelta(minutes=15))
    after = stored(sessions)
    new = {key: value for key, value in after.items() if key not in before}
    assert new == expected(later)
    assert {key: after[key] for key in before} == before


def test_logging_off_reads_nothing_and_fails_nothing(aws, sessions):
    result = collect(sessions)
    assert [outcome.status for outcome in result.outcomes] == ["succeeded"]
    assert stored(sessions) == {}


def test_cloudwatch_logs_windows_are_replaced_not_added(aws, sessions, engine):
    bedrock = boto3.client("bedrock", region_name=REGION)
    logs = boto3.client("logs", region_name=REGION)
    enable_cloudwatch_logging(bedrock, GROUP, f"arn:aws:iam::{ACCOUNT}:role/bedrock-logging")
    calls = FIRST_OBJECT + SECOND_OBJECT
    put_log_events(logs, GROUP, calls)
    collect(sessions)
    rows = stored(sessions)
    assert rows == expected(calls)
    collect(sessions, NOW + timedelta(minutes=15))
    collect(sessions, NOW, HOUR - timedelta(days=1), NOW)
    assert stored(sessions) == rows
    with sessions() as session:
        assert {row.source for row in session.scalars(select(PrincipalUsageHourly))} == {
            "cloudwatch_logs"
        }
        assert session.scalars(select(InvocationLogCursor)).one().destination == f"logs:{GROUP}"
    for marker in (PROMPT_MARK, COMPLETION_MARK):
        assert marker not in dump(engine)


def test_both_destinations_read_the_preferred_one_only(aws, sessions):
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    logs = boto3.client("logs", region_name=REGION)
    boto3.client("bedrock", region_name=REGION).put_model_invocation_logging_configuration(
        loggingConfig={
            "s3Config": {"bucketName": BUCKET, "keyPrefix": PREFIX},
            "cloudWatchConfig": {"logGroupName": GROUP, "roleArn": "arn:aws:iam::1:role/x"},
        }
    )
    put_object(s3, BUCKET, PREFIX, HOUR + timedelta(minutes=5), FIRST_OBJECT, "a")
    put_log_events(logs, GROUP, FIRST_OBJECT)
    collect(sessions)
    assert stored(sessions) == expected(FIRST_OBJECT)
    with sessions() as session:
        assert {row.source for row in session.scalars(select(PrincipalUsageHourly))} == {"s3"}


def test_collect_invocation_logs_from_the_command_line_twice_changes_nothing(
    s3_world, sessions, database_url, monkeypatch, tmp_path
):
    config = tmp_path / "genai-monitor.yaml"
    config.write_text(
        f"""
accounts: [{{id: "{ACCOUNT}"}}]
regions: [{REGION}]
attribution: {{request_metadata_keys: [project]}}
"""
    )
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("GENAI_MONITOR_CONFIG", str(config))
    args = ["collect", "invocation-logs", "--start", "2026-11-19T00:00Z", "--end", "2026-11-21"]
    first = CliRunner().invoke(main, args, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "invocation_logs: " in first.output
    rows = stored(sessions)
    assert {key: value for key, value in rows.items() if key[2] != SONNET or key[1] != SEARCH} == (
        expected(FIRST_OBJECT + SECOND_OBJECT)
    )
    again = CliRunner().invoke(main, args, catch_exceptions=False)
    assert again.exit_code == 0, again.output
    assert stored(sessions) == rows
    # nor in the exports finance reads (or in anything the commands printed)
    for fmt in ("csv", "json"):
        export = CliRunner().invoke(
            main,
            ["export", "principals", "--start", "2026-11-19", "--end", "2026-11-21"]
            + ["--format", fmt],
            catch_exceptions=False,
        )
        assert export.exit_code == 0, export.output
        assert SEARCH in export.output and STRANGER in export.output
        for marker in (PROMPT_MARK, COMPLETION_MARK):
            assert marker not in export.output + first.output + again.output


def test_callers_iam_tags_decide_their_team_when_no_rule_maps_them(aws, sessions):
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="someone", Tags=[{"Key": "team", "Value": "platform"}])
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    enable_s3_logging(boto3.client("bedrock", region_name=REGION), BUCKET, PREFIX)
    put_object(s3, BUCKET, PREFIX, HOUR + timedelta(minutes=5), SECOND_OBJECT, "a")
    tagged = CONFIG.model_copy(
        update={
            "attribution": CONFIG.attribution.model_copy(update={"principal_tag_keys": ["team"]})
        }
    )
    collect(sessions, config=tagged)
    with sessions() as session:
        teams = {
            (row.principal, row.team, row.team_rule)
            for row in session.scalars(select(PrincipalUsageHourly))
        }
    # the user no pattern names is platform's by its IAM tag; the pattern still wins for the role
    assert (STRANGER, "platform", f"principal tag team=platform on {STRANGER}") in teams
    assert {team for principal, team, _ in teams if principal == SHARED} == {"platform"}
    assert {rule for principal, _, rule in teams if principal == SEARCH} == {
        "principals[arn:aws:sts::*:assumed-role/search-*]"
    }
