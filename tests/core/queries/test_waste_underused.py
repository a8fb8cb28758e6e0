"""Under-used (not idle) waste on SQLite and Postgres: an oversized endpoint and a Provisioned
Throughput called in few hours, with exact dollars for a seeded week; not the busy, the young,
the idle nor the one whose few hours use it well."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.db import upsert
from core.models import EndpointHourly, ProvisionedThroughput, ProvisionedThroughputHourly
from core.queries.waste import UnderUse, WasteScope, under_use, waste_rows
from core.queries.waste_endpoint_size import instances_needed
from core.queries.waste_row import WasteRow
from core.settings import parse_config
from demo.rows import endpoint_hour_row, endpoint_row, put_endpoints

NOW = datetime(2026, 3, 18, 12, tzinfo=UTC)
ACCOUNT = "111122223333"
REGION = "us-east-1"
INSTANCE = Decimal("1.515")  # ml.g5.2xlarge an hour
WEEK = 168
# name, team, instances, created hours ago, peak calls, calls in other hours, hours silent at the end
ENDPOINTS = (
    ("oversized-llm", "search", 3, 240, 900, 5, 0),
    ("busy-llm", "search", 3, 240, 2500, 400, 0),
    ("young-llm", "search", 3, 72, 900, 5, 0),
    ("quiet-pair", "support", 2, 240, 900, 5, 48),  # idle: the idle kind's, not this one's
    ("single-llm", "support", 1, 240, 900, 5, 0),
)
OVERSIZED_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/oversized-llm"
INSTANT = "anthropic.claude-instant-v1"  # $44 per model unit-hour without commitment
PT_HOUR = Decimal("44.000000")
# name, team, created hours ago, busy hours (every n-th hour of the history), input tokens an hour
PTS = (
    ("spiky-pt", "research", 240, 7, 100_000),
    ("steady-pt", "research", 240, 1, 100_000),
    ("young-pt", "research", 72, 7, 100_000),
    ("heavy-pt", "data", 240, 7, 400_000_000),  # few hours, each worth more than the PT
)


def _pt_arn(name: str) -> str:
    return f"arn:aws:bedrock:{REGION}:{ACCOUNT}:provisioned-model/{name}"


def _seed_endpoints(session) -> None:
    rows = []
    for name, team, count, age, _peak, _calls, _silent in ENDPOINTS:
        row = endpoint_row(
            account_id=ACCOUNT,
            region=REGION,
            name=name,
            team=team,
            instance_type="ml.g5.2xlarge",
            instance_count=count,
            created_at=NOW - timedelta(hours=age),
            seen_at=NOW,
        )
        if name == "oversized-llm":
            row |= {"endpoint_arn": OVERSIZED_ARN}
        rows.append(row)
    ids = put_endpoints(session, rows)
    hours = []
    for name, _team, count, age, peak, calls, silent in ENDPOINTS:
        for index in range(age):
            called = 0 if index >= age - silent else peak if index == age // 2 else calls
            hours.append(
                endpoint_hour_row(
                    endpoint_id=ids[name],
                    hour=NOW - timedelta(hours=age - index),
                    instance_type="ml.g5.2xlarge",
                    instance_count=count,
                    invocations=called,
                    estimated_cost_usd=INSTANCE * count,
                    collected_at=NOW,
                )
            )
    upsert(session, EndpointHourly, hours)


def _seed_pts(session) -> None:
    for name, team, age, every, tokens in PTS:
        created = NOW - timedelta(hours=age)
        pt = ProvisionedThroughput(
            account_id=ACCOUNT,
            region=REGION,
            arn=_pt_arn(name),
            name=name,
            model_arn=f"arn:aws:bedrock:{REGION}::foundation-model/{INSTANT}",
            base_model_id=INSTANT,
            model_units=1,
            commitment=None,
            commitment_expires_at=None,
            status="InService",
            created_at=created,
            last_modified_at=None,
            deleted_at=None,
            team=team,
            tags={"team": team},
            last_seen_at=NOW,
        )
        session.add(pt)
        session.flush()
        hours = []
        for index in range(age):
            busy = (age - 1 - index) % every == 0  # the newest hour is always busy
            hours.append(
                {
                    "provisioned_id": pt.id,
                    "hour": created + timedelta(hours=index),
                    "model_units": 1,
                    "commitment": None,
                    "billed_hours": Decimal(1),
                    "invocations": 10 if busy else 0,
                    "input_tokens": tokens if busy else 0,
                    "output_tokens": 20_000 if busy else 0,
                    "estimated_cost_usd": PT_HOUR,
                    "priced": True,
                    "price_source": "test",
                    "collected_at": NOW,
                }
            )
        upsert(session, ProvisionedThroughputHourly, hours)


@pytest.fixture
def world(sessions):
    with sessions.begin() as session:
        _seed_endpoints(session)
        _seed_pts(session)
    return sessions


def _underused(rows: list[WasteRow]) -> list[WasteRow]:
    return [row for row in rows if row.kind.endswith("_underused")]


def test_an_endpoint_whose_busiest_hour_fits_fewer_instances_is_one_row(world):
    with world() as session:
        rows = waste_rows(session, WasteScope(at=NOW))
    endpoint = [row for row in rows if row.kind == "sagemaker_endpoint_underused"]
    assert endpoint == [
        WasteRow(
            kind="sagemaker_endpoint_underused",
            resource=OVERSIZED_ARN,
            name="oversized-llm",
            account_id=ACCOUNT,
            region=REGION,
            team="search",
            idle_since=NOW - timedelta(days=7),
            idle_hours=Decimal("168.000000"),
            burnt_usd=Decimal("509.040000"),  # 168 hours x 2 of 3 instances x $1.515
            monthly_usd=Decimal("2211.900000"),  # 730 hours x 2 instances x $1.515
            action=(
                "scale to 1 instance (from 3): its busiest hour had 900 invocations, "
                "1000 per instance-hour assumed"
            ),
        )
    ]
    # the idle pair is the idle kind's row, never both
    assert [(row.kind, row.name) for row in rows if row.name == "quiet-pair"] == [
        ("sagemaker_endpoint", "quiet-pair")
    ]


def test_a_pt_called_in_few_hours_is_cheaper_on_demand(world):
    with world() as session:
        rows = [
            row
            for row in waste_rows(session, WasteScope(at=NOW))
            if row.kind == "provisioned_throughput_underused"
        ]
    # 24 busy hours of 168: 0.1M input and 0.02M output tokens each at $0.8 / $2.4 per million
    on_demand = 24 * (Decimal("0.08") + Decimal("0.048"))
    assert on_demand == Decimal("3.072")
    assert rows == [
        WasteRow(
            kind="provisioned_throughput_underused",
            resource=_pt_arn("spiky-pt"),
            name="spiky-pt",
            account_id=ACCOUNT,
            region=REGION,
            team="research",
            idle_since=NOW - timedelta(days=7),
            idle_hours=Decimal("168.000000"),
            burnt_usd=Decimal("7388.928000"),  # 168 x $44 - $3.072
            monthly_usd=Decimal("32106.651429"),  # (7388.928 / 168) x 730
            action=(
                "called in 24 of 168 hours; its tokens would cost $13.35 a month on demand: "
                f"delete it and call {INSTANT} on demand"
            ),
        )
    ]


def test_the_config_decides_what_is_under_used(world):
    config = parse_config(
        "waste: {window: 7d, endpoint_invocations_per_instance_hour: 450, "
        "provisioned_busy_share: 0.1}\n"
    )
    settings = under_use(config)
    assert settings == UnderUse(timedelta(days=7), 450, Decimal("0.1"), {})
    with world() as session:
        rows = _underused(waste_rows(session, WasteScope(at=NOW, under_use=settings)))
        # a 3-day window: the young ones are old enough, the 900-call hours of the others
        # (120 hours ago) fall out of it, and 400 calls an hour fit one instance
        short = UnderUse(window=timedelta(days=3), invocations_per_instance_hour=450)
        short_rows = _underused(waste_rows(session, WasteScope(at=NOW, under_use=short)))
    # 900 calls need 2 instances of 450: one of 3 too many; 24 PT hours of 168 are above 10%
    assert [(row.name, row.burnt_usd, row.monthly_usd) for row in rows] == [
        ("oversized-llm", Decimal("254.520000"), Decimal("1105.950000"))  # 168 h / 730 h x $1.515
    ]
    assert rows[0].action.startswith("scale to 2 instances (from 3)")
    assert sorted((row.name, row.action.split(":")[0]) for row in short_rows) == [
        ("busy-llm", "scale to 1 instance (from 3)"),
        ("oversized-llm", "scale to 1 instance (from 3)"),
        ("spiky-pt", "called in 11 of 72 hours; its tokens would cost $14.28 a month on demand"),
        ("young-llm", "scale to 2 instances (from 3)"),
        ("young-pt", "called in 11 of 72 hours; its tokens would cost $14.28 a month on demand"),
    ]


def test_not_under_used_as_of_before_the_history_or_at_a_higher_capacity(world):
    with world() as session:
        # a week before NOW nothing was a week old yet
        assert _underused(waste_rows(session, WasteScope(at=NOW - timedelta(days=7)))) == []
        busy_enough = UnderUse(invocations_per_instance_hour=300)  # 900 calls need 3 instances
        rows = _underused(waste_rows(session, WasteScope(at=NOW, under_use=busy_enough)))
        assert [row.name for row in rows] == ["spiky-pt"]
        assert _underused(waste_rows(session, WasteScope(at=NOW, teams=["support"]))) == []


def test_instances_needed_rounds_up_and_keeps_one():
    assert [instances_needed(peak, 1000) for peak in (0, 1, 1000, 1001, 2500)] == [1, 1, 1, 2, 3]


def test_a_committed_pt_is_told_to_go_on_demand_when_its_term_ends(world):
    expires = NOW + timedelta(days=10)
    with world.begin() as session:
        pt = session.query(ProvisionedThroughput).filter_by(name="spiky-pt").one()
        pt.commitment, pt.commitment_expires_at = "OneMonth", expires
    with world() as session:
        rows = [
            row
            for row in waste_rows(session, WasteScope(at=NOW))
            if row.kind == "provisioned_throughput_underused"
        ]
    assert [(row.name, row.burnt_usd, row.action) for row in rows] == [
        (
            "spiky-pt",
            Decimal("7388.928000"),
            "called in 24 of 168 hours; its tokens would cost $13.35 a month on demand: "
            f"committed until 2026-03-28, then call {INSTANT} on demand",
        )
    ]
