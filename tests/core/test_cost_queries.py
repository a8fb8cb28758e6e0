"""The read side of costs: lines, spend to date, budget use with projection, Bedrock reconciliation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from core.db import upsert
from core.models import BedrockUsageHourly, Budget, CostDaily
from core.queries import (
    bedrock_reconciliation,
    budget_use,
    cost_lines,
    daily_spend_by_team,
    month_to_date_by_team,
    spend_by_team,
    team_projections,
)

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
        assert month_to_date_by_team(session, NOW) == {
            "search": Decimal("3.75"),
            "unattributed": Decimal(7),
        }
        assert spend_by_team(session, date(2026, 10, 1), date(2026, 12, 1)) == {
            "search": Decimal("103.75"),
            "unattributed": Decimal(7),
        }
        assert daily_spend_by_team(session, date(2026, 11, 1), date(2026, 12, 1), SONNET) == {
            "search": {date(2026, 11, 1): Decimal("2.5")}
        }


def test_budget_use_and_projection_per_team_and_per_service(sessions):
    rows = []
    for day in days(date(2026, 10, 1), NOW.date()):
        rows += [
            line(day, BEDROCK, "search", 40),
            line(day, SAGEMAKER, "search", 10, group="instance_hours"),
        ]
    rows.append(line(NOW.date(), BEDROCK, "search", 5, estimated=True))  # today, still open
    seed(sessions, rows)
    seed(
        sessions,
        [
            {
                "team": "search",
                "service": "all",
                "period": "2026-11",
                "amount_usd": Decimal(1000),
                "updated_at": NOW,
            },
            {
                "team": "search",
                "service": BEDROCK,
                "period": "2026-11",
                "amount_usd": Decimal(300),
                "updated_at": NOW,
            },
            {
                "team": "lab",
                "service": "all",
                "period": "2026-11",
                "amount_usd": Decimal(200),
                "updated_at": NOW,
            },
            {
                "team": "search",
                "service": "all",
                "period": "2026-10",
                "amount_usd": Decimal(1),
                "updated_at": NOW,
            },
        ],
        Budget,
    )
    with sessions() as session:
        uses = budget_use(session, NOW)
        projections = team_projections(session, NOW)
        with_aws = budget_use(session, NOW, {"search": Decimal(2000)})
    assert [(u.team, u.service, u.budget_usd, u.spent_usd, u.used) for u in uses] == [
        ("search", BEDROCK, Decimal(300), Decimal("765.00"), Decimal("2.5500")),
        ("search", "all", Decimal(1000), Decimal("955.00"), Decimal("0.9550")),
        ("lab", "all", Decimal(200), Decimal("0.00"), Decimal("0.0000")),
    ]
    bedrock, everything, lab = (u.projection for u in uses)
    assert (bedrock.projected_usd, bedrock.crosses_on) == (Decimal("1200.00"), date(2026, 11, 8))
    assert (everything.projected_usd, everything.crosses_on, everything.over_budget) == (
        Decimal("1500.00"),
        date(2026, 11, 21),
        True,
    )
    assert uses[1].projected_use == Decimal("1.5000")
    assert (lab.projected_usd, lab.crosses_on) == (Decimal("0.00"), None)
    assert sorted(projections) == ["lab", "search"]
    assert projections["search"].projected_usd == Decimal("1500.00") and projections[
        "search"
    ].budget_usd == Decimal(1000)
    # AWS's forecast applies to the team's whole budget, not to one service
    aws = {(u.team, u.service): u.projection for u in with_aws}
    assert (
        aws[("search", "all")].projected_usd == Decimal("2950.00")
        and aws[("search", "all")].method == "aws-forecast"
    )
    assert aws[("search", BEDROCK)].projected_usd == Decimal("1200.00")


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
    assert [
        (r.day.day, r.team, r.estimated_usd, r.billed_usd, r.gap_usd, r.unpriced_hours)
        for r in rows
    ] == [
        (2, "search", Decimal("3.75"), Decimal(4), Decimal("0.25"), 1),
        (2, "support", Decimal(0), Decimal(2), Decimal(2), 0),
        (3, "search", Decimal(1), Decimal(0), Decimal(-1), 0),
    ]
