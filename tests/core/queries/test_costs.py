"""The read side of costs: lines, spend per day and in total, Bedrock reconciliation."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from core.db import upsert
from core.models import BedrockUsageHourly, CostDaily
from core.projection import month_bounds
from core.queries.costs import bedrock_reconciliation, cost_lines, spend_daily, spend_totals
from core.rollups import rebuild_rollups
from demo import small as world

NOW = datetime(2026, 11, 20, 15, tzinfo=UTC)
BEDROCK = "Amazon Bedrock"
SONNET = "Claude 3.5 Sonnet (Amazon Bedrock Edition)"
SAGEMAKER = "Amazon SageMaker"


def line(day, service, team, amount, account="123456789012", group="input_tokens", estimated=False):
    return {
        "day": day,
        "account_id": account,
        "service": service,
        "usage_group": group,
        "team": team,
        "amount_usd": Decimal(str(amount)),
        "amortized_usd": None,
        "estimated": estimated,
        "collected_at": NOW,
    }


def seed(sessions, rows, model=CostDaily):
    with sessions.begin() as session:
        upsert(session, model, rows)
        rebuild_rollups(session)  # a writer of hourly rows keeps their daily rollups


def days(start: date, end: date):
    while start < end:
        yield start
        start += timedelta(days=1)


def test_cost_lines_are_ordered_and_filtered(sessions):
    seed(
        sessions,
        [
            line(date(2026, 11, 2), SAGEMAKER, "support", 3, account="222222222222"),
            line(date(2026, 11, 1), BEDROCK, "search", 1),
            line(date(2026, 11, 2), BEDROCK, "search", 2),
        ],
    )
    with sessions() as session:
        everything = [(r.day.day, r.account_id[0], r.service) for r in cost_lines(session)]
        assert everything == [(1, "1", BEDROCK), (2, "1", BEDROCK), (2, "2", SAGEMAKER)]
        assert [
            r.amount_usd
            for r in cost_lines(session, date(2026, 11, 2), date(2026, 11, 3), teams=["support"])
        ] == [Decimal(3)]
        assert [r.amount_usd for r in cost_lines(session, end=date(2026, 11, 2))] == [Decimal(1)]
        assert [
            r.team for r in cost_lines(session, services=[BEDROCK], accounts=["123456789012"])
        ] == ["search", "search"]


def test_spend_to_date_per_team_counts_this_month_only(sessions):
    seed(
        sessions,
        [
            line(date(2026, 10, 31), BEDROCK, "search", 100),
            line(date(2026, 11, 1), BEDROCK, "search", "1.25"),
            line(date(2026, 11, 1), SONNET, "search", "2.5", group="output_tokens"),
            line(date(2026, 11, 20), SAGEMAKER, "unattributed", 7, estimated=True),
        ],
    )
    with sessions() as session:
        assert spend_totals(session, *month_bounds(NOW.date())) == {
            "search": Decimal("3.75"),
            "unattributed": Decimal(7),
        }
        assert spend_totals(session, date(2026, 10, 1), date(2026, 12, 1)) == {
            "search": Decimal("103.75"),
            "unattributed": Decimal(7),
        }
        assert spend_daily(session, date(2026, 11, 1), date(2026, 12, 1), services=[SONNET]) == [
            (date(2026, 11, 1), "search", Decimal("2.5"))
        ]


def hour(day: int, h: int, team: str, cost, priced=True):
    return {
        "account_id": "123456789012",
        "region": "us-east-1",
        "model_id": f"m-{h}",
        "hour": datetime(2026, 11, day, h, tzinfo=UTC),
        "base_model_id": "m",
        "team": team,
        "estimated_cost_usd": None if cost is None else Decimal(str(cost)),
        "priced": priced,
        "collected_at": NOW,
    }


def test_bedrock_reconciliation_puts_the_token_estimate_next_to_the_bill_per_team_and_day(sessions):
    seed(
        sessions,
        [
            hour(2, 0, "search", "1.5"),
            hour(2, 23, "search", "2.25"),
            hour(2, 12, "search", None, priced=False),
            hour(3, 0, "search", 1),
            hour(4, 0, "search", 99),
        ],
        BedrockUsageHourly,
    )
    seed(
        sessions,
        [
            line(date(2026, 11, 2), BEDROCK, "search", 3),
            line(date(2026, 11, 2), SONNET, "search", 1),
            line(date(2026, 11, 2), SAGEMAKER, "search", 50),
            line(date(2026, 11, 2), BEDROCK, "support", 2),
        ],
    )
    with sessions() as session:
        rows = bedrock_reconciliation(session, date(2026, 11, 2), date(2026, 11, 4))
        support = bedrock_reconciliation(session, date(2026, 11, 2), date(2026, 11, 4), ["support"])
    assert [
        (r.day.day, r.team, r.estimated_usd, r.billed_usd, r.gap_usd, r.unpriced_hours)
        for r in rows
    ] == [
        (2, "search", Decimal("3.75"), Decimal(4), Decimal("0.25"), 1),
        (2, "support", Decimal(0), Decimal(2), Decimal(2), 0),
        (3, "search", Decimal(1), Decimal(0), Decimal(-1), 0),
    ]
    assert [(r.day.day, r.team, r.billed_usd) for r in support] == [(2, "support", Decimal(2))]


def test_spend_daily_and_totals_on_the_world(seeded):
    first = (world.NOW - timedelta(days=9)).date()
    after = (world.NOW - timedelta(days=2)).date()
    with seeded() as session:
        lines = list(
            session.scalars(select(CostDaily).where(CostDaily.day >= first, CostDaily.day < after))
        )
        daily = spend_daily(session, first, after, "service", teams=["search"])
        totals = spend_totals(session, first, after, "team", accounts=[world.ACCOUNTS[1]])
    expected = defaultdict(Decimal)
    for cost in lines:
        if cost.team == "search":
            expected[(cost.day, cost.service)] += cost.amount_usd
    assert {(day, service): amount for day, service, amount in daily} == dict(expected)
    assert daily == sorted(daily)
    assert totals == {
        team: sum((cost.amount_usd for cost in lines if cost.team == team), Decimal(0))
        for team in ("support", "unattributed")
    }
