"""The Provisioned Throughput source end to end: the Bedrock control plane stand-in, moto's
CloudWatch, the real runner, the idle and commitment rules and the waste rows, on SQLite and
Postgres."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from alerts.service import evaluate_once
from alerts.snapshot_source import build_snapshot
from collector.provisioned_throughput import ProvisionedThroughputCollector
from collector.runner import Runner
from core.aws import ClientFactory, resolve_targets
from core.db import upsert
from core.models import Alert, CostLine, ProvisionedThroughput, ProvisionedThroughputHourly
from core.queries.provisioned import provisioned_summaries
from core.queries.waste import waste_rows
from core.queries.waste_provisioned import provisioned_waste
from core.queries.waste_row import WasteRow, WasteScope
from core.settings import parse_config
from demo.bedrock_control import BedrockControlState, bedrock_control_plane
from demo.seed import put_bedrock_metrics
from monitor.cli import main
from monitor.export_bedrock import PROVISIONED_COLUMNS
from tests.helpers import Clock

ACCOUNT = "123456789012"
REGION = "us-east-1"
CREATED = datetime(2026, 9, 30, 12, tzinfo=UTC)
FIRST = datetime(2026, 10, 2, 4, tzinfo=UTC)
GONE_AT = FIRST + timedelta(minutes=30)  # the cycle that finds `gone` deleted
NOW = CREATED + timedelta(hours=72)  # 2026-10-03T12:00Z
EXPIRES = datetime(2026, 10, 10, tzinfo=UTC)
TITAN = "amazon.titan-text-express-v1"
INSTANT = "anthropic.claude-instant-v1"

CONFIG = parse_config(
    f"""
accounts: [{{id: "{ACCOUNT}", name: ml, team: platform}}]
regions: [{REGION}]
teams: [{{name: search}}, {{name: platform}}]
alerts:
  rules:
    - {{kind: idle_provisioned_throughput, for: 24h}}
    - {{kind: commitment_expiring, before: 14d}}
""",
    "test.yaml",
)


def collect(sessions, clients, now, start, end, config=CONFIG):
    collector = ProvisionedThroughputCollector(config, clients)
    runner = Runner(sessions, clients.counter, Clock(now))
    targets = resolve_targets(config.accounts, config.regions, clients)
    return runner.run(collector, runner.plan(collector, targets, start, end))


def hours(start: datetime, count: int) -> list[datetime]:
    return [start + timedelta(hours=h, minutes=5) for h in range(count)]


@pytest.fixture
def world(aws):
    state = BedrockControlState(page_size=2)  # two pages of PTs: paging is exercised
    arns = {
        "busy": state.add_provisioned(
            REGION,
            "busy",
            TITAN,
            2,
            CREATED,
            commitment="OneMonth",
            expires=EXPIRES,
            tags={"team": "search"},
        ),
        "idle": state.add_provisioned(REGION, "idle", INSTANT, 1, CREATED),
        "gone": state.add_provisioned(REGION, "gone", TITAN, 1, CREATED),
        "unpriced": state.add_provisioned(REGION, "unpriced", "cohere.command-r-v1:0", 1, CREATED),
        "new": state.add_provisioned(REGION, "new", INSTANT, 1, NOW - timedelta(hours=5)),
    }
    points = []
    for at in hours(CREATED, 73):  # the last hour: traffic goes on after NOW
        points += [
            (arns["busy"], "Invocations", at, 10),
            (arns["busy"], "InputTokenCount", at, 1000),
            (arns["busy"], "OutputTokenCount", at, 200),
            (arns["unpriced"], "Invocations", at, 1),
        ]
    points += [(arns["idle"], "Invocations", at, 5) for at in hours(CREATED, 12)]
    put_bedrock_metrics(REGION, points)
    with bedrock_control_plane(state):
        yield state, arns


def run_cycles(sessions, factory, state, arns):
    first = collect(sessions, factory, FIRST, CREATED, FIRST)
    assert [o.status for o in first.outcomes] == ["succeeded"]
    state.remove_provisioned(REGION, arns["gone"])
    second = collect(sessions, factory, GONE_AT, FIRST - timedelta(hours=3), GONE_AT)
    assert [o.status for o in second.outcomes] == ["succeeded"]
    third = collect(sessions, factory, NOW, FIRST - timedelta(hours=3), NOW)
    assert [o.status for o in third.outcomes] == ["succeeded"]


def test_each_pt_is_inventoried_attributed_and_costed_per_hour(world, sessions):
    state, arns = world
    run_cycles(sessions, ClientFactory(), state, arns)
    with sessions() as session:
        pts = {pt.name: pt for pt in session.scalars(select(ProvisionedThroughput))}
        summaries = {s.name: s for s in provisioned_summaries(session, NOW)}
    assert sorted(pts) == ["busy", "gone", "idle", "new", "unpriced"]
    busy = pts["busy"]
    assert (busy.arn, busy.base_model_id, busy.model_units, busy.commitment) == (
        arns["busy"],
        TITAN,
        2,
        "OneMonth",
    )
    assert (busy.commitment_expires_at, busy.created_at, busy.status) == (
        EXPIRES,
        CREATED,
        "InService",
    )
    assert {name: pt.team for name, pt in pts.items()} == {
        "busy": "search",
        "gone": "platform",
        "idle": "platform",
        "new": "platform",
        "unpriced": "platform",
    }
    assert {name: pt.deleted_at for name, pt in pts.items()} == {
        "busy": None,
        "gone": GONE_AT,
        "idle": None,
        "new": None,
        "unpriced": None,
    }
    got = {
        name: (s.invocations, s.input_tokens, s.output_tokens, s.cost_usd)
        for name, s in summaries.items()
    }
    assert got == {
        "busy": (720, 72000, 14400, Decimal("2649.600000")),  # 72 h x 2 units x $18.40
        "gone": (0, 0, 0, Decimal("830.250000")),  # 40.5 h (its last hour cut at deletion) x $20.50
        "idle": (60, 0, 0, Decimal("3168.000000")),  # 72 h x $44.00
        "new": (0, 0, 0, Decimal("220.000000")),  # 5 h x $44.00
        "unpriced": (72, 0, 0, None),  # no model-unit price known: unpriced, not $0
    }
    assert summaries["idle"].idle_since == datetime(2026, 10, 1, tzinfo=UTC)
    assert summaries["idle"].idle_cost_usd == Decimal("2640.000000")  # 60 h x $44.00
    assert summaries["busy"].hourly_usd == Decimal("36.800000")


def test_the_gone_pt_keeps_its_history(world, sessions):
    state, arns = world
    run_cycles(sessions, ClientFactory(), state, arns)
    with sessions() as session:
        gone = session.scalars(
            select(ProvisionedThroughput).where(ProvisionedThroughput.name == "gone")
        ).one()
        rows = session.scalars(
            select(ProvisionedThroughputHourly)
            .where(ProvisionedThroughputHourly.provisioned_id == gone.id)
            .order_by(ProvisionedThroughputHourly.hour)
        ).all()
    assert (rows[0].hour, rows[-1].hour, len(rows)) == (CREATED, FIRST, 41)
    assert rows[-1].billed_hours == Decimal("0.5")
    assert rows[-1].estimated_cost_usd == Decimal("10.250000")


def table_rows(session, model):
    columns = [c.name for c in model.__table__.columns]
    return sorted(
        tuple(str(getattr(row, c)) for c in columns) for row in session.scalars(select(model))
    )


def test_recollecting_any_window_changes_nothing(world, sessions):
    state, arns = world
    factory = ClientFactory()
    run_cycles(sessions, factory, state, arns)
    with sessions() as session:
        before = [
            table_rows(session, m) for m in (ProvisionedThroughput, ProvisionedThroughputHourly)
        ]
    collect(sessions, factory, NOW, CREATED, NOW)
    collect(sessions, factory, NOW, FIRST, NOW)
    with sessions() as session:
        after = [
            table_rows(session, m) for m in (ProvisionedThroughput, ProvisionedThroughputHourly)
        ]
    assert after == before


def test_a_cycle_makes_one_list_one_tags_call_per_pt_and_one_metric_call_per_window(
    world, sessions
):
    state, arns = world
    factory = ClientFactory()
    collect(sessions, factory, NOW, CREATED, NOW)  # four windows: cut at 00:00 UTC
    counts = factory.counter.snapshot()
    assert {key: n for key, n in counts.items() if key.startswith("bedrock:")} == {
        "bedrock:ListProvisionedModelThroughputs": 3,  # 5 PTs listed 2 a page
        "bedrock:ListTagsForResource": 5,  # tags are not in the List: one call per PT
    }
    assert counts["cloudwatch:GetMetricData"] == 4


def test_five_hundred_series_go_to_one_call(aws, sessions):
    state = BedrockControlState(page_size=1000)
    for n in range(170):  # 510 series: two GetMetricData calls per window
        state.add_provisioned(REGION, f"pt{n:03d}", TITAN, 1, CREATED)
    factory = ClientFactory()
    with bedrock_control_plane(state):
        result = collect(sessions, factory, NOW, NOW - timedelta(hours=2), NOW)
    assert [o.status for o in result.outcomes] == ["succeeded"]
    assert factory.counter.count("cloudwatch", "GetMetricData") == 2
    assert factory.counter.count("bedrock", "ListProvisionedModelThroughputs") == 1


def test_a_denied_region_is_a_warning_for_its_target_only(world, sessions):
    state, _arns = world
    state.denied_regions.add("eu-west-1")
    config = parse_config(
        f'accounts: [{{id: "{ACCOUNT}", team: platform}}]\nregions: [{REGION}, eu-west-1]', "t.yaml"
    )
    result = collect(sessions, ClientFactory(), NOW, NOW - timedelta(hours=2), NOW, config)
    assert [(o.target.region, o.status) for o in result.outcomes] == [
        (REGION, "succeeded"),
        ("eu-west-1", "skipped"),
    ]
    assert result.failed == []


def alerts_of(session):
    return sorted((a.rule, a.subject, a.state, a.team) for a in session.scalars(select(Alert)))


def test_the_idle_rule_fires_once_for_the_idle_pt_and_resolves_when_traffic_returns(
    world, sessions
):
    state, arns = world
    factory = ClientFactory()
    run_cycles(sessions, factory, state, arns)

    def snapshot(session, now):
        return build_snapshot(CONFIG, session, now)

    evaluate_once(sessions, CONFIG, snapshot, NOW)
    evaluate_once(sessions, CONFIG, snapshot, NOW + timedelta(minutes=5))
    with sessions() as session:
        assert alerts_of(session) == [
            ("commitment_expiring", f"{ACCOUNT}/{REGION}/busy", "firing", "search"),
            ("idle_provisioned_throughput", f"{ACCOUNT}/{REGION}/idle", "firing", "platform"),
        ]
        idle = session.scalars(
            select(Alert).where(Alert.rule == "idle_provisioned_throughput")
        ).one()
    assert idle.message == (
        f"provisioned throughput idle ({INSTANT}, 1 model units, no commitment, {ACCOUNT}/{REGION}) "
        "has had no invocations for 60h; $2,640.00 burnt while idle, $44.00 an hour"
    )
    put_bedrock_metrics(REGION, [(arns["idle"], "Invocations", NOW + timedelta(minutes=5), 3)])
    later = NOW + timedelta(hours=1)
    collect(sessions, factory, later, NOW, later)
    evaluate_once(sessions, CONFIG, snapshot, later)
    with sessions() as session:
        assert alerts_of(session) == [
            ("commitment_expiring", f"{ACCOUNT}/{REGION}/busy", "firing", "search"),
            ("idle_provisioned_throughput", f"{ACCOUNT}/{REGION}/idle", "resolved", "platform"),
        ]


def test_the_waste_rows_name_the_idle_pt_with_its_burn_and_monthly_cost(world, sessions):
    state, arns = world
    run_cycles(sessions, ClientFactory(), state, arns)
    with sessions() as session:
        rows = provisioned_waste(session, NOW)
    assert rows == [
        WasteRow(
            kind="provisioned_throughput",
            resource=arns["idle"],
            name="idle",
            account_id=ACCOUNT,
            region=REGION,
            team="platform",
            idle_since=datetime(2026, 10, 1, tzinfo=UTC),
            idle_hours=Decimal("60.0"),
            burnt_usd=Decimal("2640.000000"),
            monthly_usd=Decimal("32120.000000"),
            action=f"delete it: aws bedrock delete-provisioned-model-throughput --provisioned-model-id {arns['idle']}",
        )
    ]


def test_the_waste_page_lists_the_idle_pt_within_its_scope(world, sessions):
    state, arns = world
    run_cycles(sessions, ClientFactory(), state, arns)
    with sessions() as session:
        everyone = waste_rows(session, WasteScope(at=NOW))
        platform = waste_rows(session, WasteScope(at=NOW, teams=["platform"]))
        search = waste_rows(session, WasteScope(at=NOW, teams=["search"]))
        elsewhere = waste_rows(session, WasteScope(at=NOW, regions=["eu-west-1"]))
        # a `for` of 3 days (the rule's, from the config) is longer than the PT's idle streak
        patient = waste_rows(
            session, WasteScope(at=NOW, min_idle={"provisioned_throughput": timedelta(days=3)})
        )
    pts = [row for row in everyone if row.kind == "provisioned_throughput"]
    assert [row.resource for row in pts] == [arns["idle"]]
    assert [row.resource for row in platform if row.kind == "provisioned_throughput"] == [
        arns["idle"]
    ]
    assert not [row for row in search + elsewhere + patient if row.kind == "provisioned_throughput"]


def cli_export(database_url, monkeypatch, *args: str) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("GENAI_MONITOR_CONFIG", raising=False)
    result = CliRunner().invoke(main, ["export", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_pts_are_exported_with_cost_idle_streak_and_monthly_price(
    world, sessions, database_url, monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)
    state, arns = world
    run_cycles(sessions, ClientFactory(), state, arns)
    billed = {"day": date(2026, 10, 1), "source": "cur", "account_id": ACCOUNT, "region": REGION}
    billed |= {"service": "Amazon Bedrock", "principal": "", "team": "platform"}
    billed |= {"line_type": "Usage", "billing_period": "2026-10", "collected_at": NOW}
    money = {"net_usd": Decimal(0), "amortized_usd": Decimal(0), "list_usd": Decimal(0)}
    with sessions.begin() as session:
        upsert(
            session,
            CostLine,
            [  # CUR's resource id carries the PT's ARN; two usage types, and a line of another day
                billed
                | money
                | {
                    "resource_id": arns["idle"].upper(),
                    "usage_type": usage,
                    "unblended_usd": amount,
                    "usage_quantity": Decimal(1),
                }
                for usage, amount in (
                    ("USE1-ProvisionedThroughput", Decimal("1056.25")),
                    ("USE1-ProvisionedThroughput-Fee", Decimal("0.5")),
                )
            ]
            + [
                billed
                | money
                | {
                    "day": date(2026, 10, 9),
                    "resource_id": arns["idle"],
                    "usage_type": "USE1-ProvisionedThroughput",
                    "unblended_usd": Decimal(99),
                    "usage_quantity": Decimal(1),
                }
            ],
        )
    text = cli_export(
        database_url,
        monkeypatch,
        "provisioned-throughput",
        "--end",
        "2026-10-03T12:00Z",
        "--format",
        "json",
    )
    records = {r["name"]: r for r in json.loads(text)}
    assert [list(r) for r in records.values()] == [list(PROVISIONED_COLUMNS)] * 5
    assert records["idle"] | {"arn": None} == {
        "account_id": ACCOUNT,
        "region": REGION,
        "arn": None,
        "name": "idle",
        "team": "platform",
        "base_model_id": INSTANT,
        "model_units": 1,
        "commitment": None,
        "commitment_expires_at": None,
        "status": "InService",
        "created_at": "2026-09-30T12:00:00Z",
        "deleted_at": None,
        "invocations": 60,
        "input_tokens": 0,
        "output_tokens": 0,
        "estimated_cost_usd": "3168.000000",
        "idle_since": "2026-10-01T00:00:00Z",
        "idle_cost_usd": "2640.000000",
        "hourly_usd": "44.000000",
        "monthly_usd": "32120.000000",
        "billed_usd": "1056.7500000000",
        "billed_source": "cur",
    }
    assert (records["busy"]["billed_usd"], records["busy"]["billed_source"]) == (None, None)
    assert records["gone"]["deleted_at"] == "2026-10-02T04:30:00Z"
    assert records["unpriced"]["estimated_cost_usd"] is None
    text = cli_export(database_url, monkeypatch, "provisioned-throughput", "--team", "search")
    assert [r["name"] for r in csv.DictReader(io.StringIO(text))] == ["busy"]


@pytest.mark.parametrize("spelling", ["provisioned-throughput", "provisioned_throughput"])
def test_collect_provisioned_throughput_from_the_command_line(
    world, sessions, database_url, monkeypatch, tmp_path, spelling
):
    monkeypatch.chdir(tmp_path)  # no config: the caller's account, us-east-1
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("GENAI_MONITOR_CONFIG", raising=False)
    args = ["collect", spelling, "--start", "2026-10-03T00:00Z", "--end", "2026-10-03T02:00Z"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "provisioned_throughput: " in result.output
    with sessions() as session:
        pts = {pt.name: pt.team for pt in session.scalars(select(ProvisionedThroughput))}
    assert pts == {
        "busy": "search",
        "gone": "unattributed",
        "idle": "unattributed",
        "new": "unattributed",
        "unpriced": "unattributed",
    }
