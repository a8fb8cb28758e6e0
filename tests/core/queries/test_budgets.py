"""Budgets against billed spend: use and projection per team and per service, on SQLite and Postgres."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from core.models import Budget
from core.queries.budgets import budget_use, team_projections
from tests.core.queries.test_costs import BEDROCK, NOW, SAGEMAKER, days, line, seed


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
        lab_only = budget_use(session, NOW, teams=["lab"])
        lab_projections = team_projections(session, NOW, teams=["lab"])
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
    assert [(u.team, u.service) for u in lab_only] == [("lab", "all")] and list(
        lab_projections
    ) == ["lab"]
    assert [u.status for u in uses] == ["over", "at risk", "on track"]
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
