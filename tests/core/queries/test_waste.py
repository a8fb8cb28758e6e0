"""Waste on SQLite and Postgres: an idle endpoint with known hours and price, and what is not waste."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.db import upsert
from core.models import EndpointHourly
from core.queries.waste import (
    KINDS,
    WasteKind,
    WasteRowError,
    WasteScope,
    idle_thresholds,
    monthly_total,
    waste_rows,
)
from core.queries.waste_endpoints import endpoint_arn
from core.queries.waste_row import WasteRow
from core.settings import parse_config
from demo.rows import endpoint_hour_row, endpoint_row, put_endpoints

NOW = datetime(2026, 3, 18, 12, tzinfo=UTC)
ACCOUNT = "111122223333"
REGION = "us-west-2"
# name, team, type, created hours ago, hours called (from the oldest), deleted
ENDPOINTS = (
    ("idle-llm", "support", "real-time", 100, 40, False),
    ("busy-llm", "search", "real-time", 100, 100, False),
    ("quiet-serverless", "search", "serverless", 100, 0, False),
    ("new-llm", "search", "real-time", 10, 0, False),
    ("queue-llm", "support", "async", 100, 0, False),
    ("gone-llm", "support", "real-time", 100, 0, True),
)
ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/idle-llm"
PRICE = Decimal("3.030000")  # 2 x ml.g5.2xlarge at $1.515 an hour


def _seed(sessions) -> None:
    with sessions.begin() as session:
        rows = []
        for name, team, kind, age, _called, deleted in ENDPOINTS:
            row = endpoint_row(
                account_id=ACCOUNT,
                region=REGION,
                name=name,
                team=team,
                endpoint_type=kind,
                instance_type=None if kind == "serverless" else "ml.g5.2xlarge",
                instance_count=2,
                created_at=NOW - timedelta(hours=age),
                seen_at=NOW,
            )
            if kind == "async":
                row |= {"scales_to_zero": True}
            if name == "idle-llm":
                row |= {"endpoint_arn": ARN}
            if deleted:
                row |= {"deleted_at": NOW - timedelta(hours=1)}
            rows.append(row)
        ids = put_endpoints(session, rows)
        hours = []
        for name, _team, kind, age, called, _deleted in ENDPOINTS:
            for index in range(age):
                hours.append(
                    endpoint_hour_row(
                        endpoint_id=ids[name],
                        hour=NOW - timedelta(hours=age - index),
                        instance_type="ml.g5.2xlarge",
                        instance_count=2,
                        invocations=7 if index < called else 0,
                        estimated_cost_usd=Decimal(0) if kind == "serverless" else PRICE,
                        collected_at=NOW,
                    )
                )
        upsert(session, EndpointHourly, hours)


@pytest.fixture
def world(sessions):
    _seed(sessions)
    return sessions


def test_an_idle_endpoint_is_one_row_with_exact_dollars(world):
    with world() as session:
        rows = waste_rows(session, WasteScope(at=NOW))
    assert rows == [
        WasteRow(
            kind="sagemaker_endpoint",
            resource=ARN,
            name="idle-llm",
            account_id=ACCOUNT,
            region=REGION,
            team="support",
            idle_since=NOW - timedelta(hours=60),
            idle_hours=Decimal("60.000000"),
            burnt_usd=Decimal("181.800000"),  # 60 idle hours x $3.03
            monthly_usd=Decimal("2211.900000"),  # 730 hours x $3.03
            action="delete (snapshot first)",
        )
    ]
    assert monthly_total(rows) == Decimal("2211.900000")


def test_an_endpoint_without_a_stored_arn_gets_the_one_aws_spells():
    assert endpoint_arn(ACCOUNT, REGION, "Idle-LLM") == ARN


def test_waste_is_scoped_to_teams_and_follows_the_idle_threshold(world):
    with world() as session:
        assert waste_rows(session, WasteScope(at=NOW, teams=["search"])) == []
        assert [r.name for r in waste_rows(session, WasteScope(at=NOW, teams=["support"]))] == [
            "idle-llm"
        ]
        assert waste_rows(session, WasteScope(at=NOW, accounts=["999999999999"])) == []
        # younger than the rule's `for`: the new endpoint after 10 hours is idle at a 9h threshold
        nine = idle_thresholds(
            parse_config("alerts:\n  rules:\n    - {kind: idle_endpoint, for: 9h}\n").alerts.rules
        )
        assert nine == {
            "sagemaker_endpoint": timedelta(hours=9),
            "provisioned_throughput": timedelta(hours=24),
            "vector_store": timedelta(days=7),
        }
        assert sorted(r.name for r in waste_rows(session, WasteScope(at=NOW, min_idle=nine))) == [
            "idle-llm",
            "new-llm",
        ]
        longer = {"sagemaker_endpoint": timedelta(hours=61)}
        assert waste_rows(session, WasteScope(at=NOW, min_idle=longer)) == []
        # as of two days ago the idle one had been silent 12 hours: not yet waste
        assert waste_rows(session, WasteScope(at=NOW - timedelta(hours=48))) == []


def test_idle_thresholds_default_to_each_kind_without_its_rule():
    assert idle_thresholds([]) == {
        "sagemaker_endpoint": timedelta(hours=24),
        "provisioned_throughput": timedelta(hours=24),
        "vector_store": timedelta(days=7),
    }


def test_another_kind_plugs_in_as_one_provider_of_mappings(world):
    def idle_widgets(_session, scope):
        return [
            {
                "kind": "widget",
                "resource": "arn:aws:example:us-east-1:111122223333:widget/w1",
                "name": "w1",
                "account_id": ACCOUNT,
                "region": "us-east-1",
                "team": "search",
                "idle_since": scope.at - timedelta(days=3),
                "idle_hours": Decimal(72),
                "burnt_usd": Decimal("7200"),
                "monthly_usd": Decimal("73000"),
                "action": "report only",
            }
        ]

    kinds = (*KINDS, WasteKind("widget", idle_widgets, rule="idle_widget"))
    with world() as session:
        rows = waste_rows(session, WasteScope(at=NOW), kinds)
        scoped = waste_rows(session, WasteScope(at=NOW, teams=["support"]), kinds)
    # the most expensive a month first; a provider ignoring the teams asked for is narrowed
    assert [r.name for r in rows] == ["w1", "idle-llm"]
    assert [r.name for r in scoped] == ["idle-llm"]
    assert monthly_total(rows) == Decimal("75211.900000")

    def broken(_session, _scope):
        return [{"kind": "widget"}]

    with world() as session, pytest.raises(WasteRowError, match="missing"):
        waste_rows(session, WasteScope(at=NOW), (WasteKind("broken", broken),))
