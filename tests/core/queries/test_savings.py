"""Savings on SQLite and Postgres: a seeded history of stops and restores (one across a month
boundary, one still stopped, a failed stop, an unpriced one) equals price x stopped hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.models import ActionAudit, Snapshot
from core.queries.savings import (
    StoppedInterval,
    by_resource,
    by_team_month,
    saved_by_team,
    saved_in_month,
    split_by_month,
    stopped_intervals,
)

NOW = datetime(2026, 4, 15, 12, tzinfo=UTC)
ACCOUNT, REGION = "111122223333", "us-east-1"


def _arn(name: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{name}"


# snapshot id, name, team, hourly, stopped at, restored at, outcome of the stop
HISTORY = (
    (
        "s1",
        "llm-a",
        "research",
        "3.03",
        datetime(2026, 3, 10, tzinfo=UTC),
        datetime(2026, 3, 12, 12, tzinfo=UTC),
        "succeeded",
    ),
    (
        "s2",
        "llm-a",
        "research",
        "3.03",
        datetime(2026, 3, 20, 18, tzinfo=UTC),
        datetime(2026, 3, 21, 6, 30, tzinfo=UTC),
        "succeeded",
    ),
    (
        "s3",
        "dev-b",
        "search",
        "1.515",
        datetime(2026, 3, 31, 20, tzinfo=UTC),
        datetime(2026, 4, 1, 8, tzinfo=UTC),
        "succeeded",
    ),
    ("s4", "dev-c", "search", "0.5", datetime(2026, 4, 10, tzinfo=UTC), None, "succeeded"),
    ("s5", "llm-d", "research", "9.99", datetime(2026, 4, 2, tzinfo=UTC), None, "denied"),
    ("s6", "llm-e", "research", None, datetime(2026, 4, 2, tzinfo=UTC), None, "succeeded"),
)


@pytest.fixture
def history(sessions):
    with sessions.begin() as session:
        for sid, name, team, hourly, stopped, restored, outcome in HISTORY:
            where = {
                "kind": "sagemaker_endpoint",
                "resource_arn": _arn(name),
                "name": name,
                "account_id": ACCOUNT,
                "region": REGION,
                "team": team,
            }
            session.add(
                Snapshot(
                    id=sid,
                    taken_at=stopped - timedelta(minutes=2),
                    document={},
                    hourly_usd=None if hourly is None else Decimal(hourly),
                    restored_at=restored,
                    **where,
                )
            )
            session.flush()
            session.add(
                ActionAudit(
                    at=stopped,
                    actor="policy:schedule",
                    action="delete",
                    snapshot_id=sid,
                    outcome=outcome,
                    message=None,
                    request_ids=[],
                    **where,
                )
            )
            if restored is not None:
                session.add(
                    ActionAudit(
                        at=restored,
                        actor="cli:root",
                        action="restore",
                        snapshot_id=sid,
                        outcome="succeeded",
                        message=None,
                        request_ids=[],
                        **where,
                    )
                )
    return sessions


def test_savings_per_team_and_month_equal_price_times_stopped_hours(history):
    with history() as session:
        intervals = stopped_intervals(session, NOW)
    assert [(i.snapshot_id, i.hours, i.saved_usd) for i in intervals] == [
        ("s1", Decimal(60), Decimal("181.800000")),
        ("s2", Decimal("12.5"), Decimal("37.875000")),
        ("s3", Decimal(12), Decimal("18.180000")),
        ("s4", Decimal(132), Decimal("66.000000")),  # still stopped: until now
    ]
    assert [(r.team, r.month, r.hours, r.saved_usd) for r in by_team_month(intervals)] == [
        ("research", "2026-03", Decimal("72.500000"), Decimal("219.675000")),
        ("search", "2026-03", Decimal("4.000000"), Decimal("6.060000")),  # 20:00 to midnight
        ("search", "2026-04", Decimal("140.000000"), Decimal("78.120000")),  # 8 h + 132 h
    ]


def test_saved_this_month_per_team_and_in_total(history):
    with history() as session:
        assert saved_by_team(session, "2026-04", NOW) == {"search": Decimal("78.120000")}
        assert saved_by_team(session, "2026-03", NOW) == {
            "research": Decimal("219.675000"),
            "search": Decimal("6.060000"),
        }
        assert saved_in_month(session, "2026-03", NOW, ["search"]) == Decimal("6.060000")
        assert saved_in_month(session, "2026-05", NOW) == Decimal(0)
        # as of an earlier now, the open stop counts only its hours so far
        earlier = datetime(2026, 4, 11, tzinfo=UTC)
        assert saved_by_team(session, "2026-04", earlier) == {"search": Decimal("24.120000")}


def test_savings_per_resource(history):
    with history() as session:
        rows = by_resource(stopped_intervals(session, NOW))
    assert [(r.name, r.team, r.hours, r.saved_usd, r.stopped_now) for r in rows] == [
        ("llm-a", "research", Decimal("72.500000"), Decimal("219.675000"), False),
        ("dev-c", "search", Decimal("132.000000"), Decimal("66.000000"), True),
        ("dev-b", "search", Decimal("12.000000"), Decimal("18.180000"), False),
    ]


def test_an_interval_is_split_at_each_month_boundary():
    interval = StoppedInterval(
        "s",
        "arn",
        "n",
        "k",
        "t",
        datetime(2026, 11, 30, 23, tzinfo=UTC),
        datetime(2027, 2, 1, 1, tzinfo=UTC),
        Decimal(1),
        False,
    )
    pieces = split_by_month(interval)
    assert [(p.start.strftime("%Y-%m-%d %H"), p.hours) for p in pieces] == [
        ("2026-11-30 23", Decimal(1)),
        ("2026-12-01 00", Decimal(744)),
        ("2027-01-01 00", Decimal(744)),
        ("2027-02-01 00", Decimal(1)),
    ]
    assert sum(p.hours for p in pieces) == interval.hours
