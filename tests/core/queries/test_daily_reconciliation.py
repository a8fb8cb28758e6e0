"""The Bedrock estimate per day at list price and at the bill's effective rates, next to the bill;
the days the bill does not cover yet at the latest effective rate, on SQLite and Postgres."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from core.db import upsert
from core.models import BedrockUsageHourly, CostDaily, CostUsageDaily
from core.queries.daily_reconciliation import daily_reconciliation
from demo.rows import bedrock_row, cost_row
from tests.dashboard.views.test_bedrock_model_reconciliation import bill_line

ACCOUNT = "123456789012"
NOVA = "amazon.nova-pro-v1:0"
AT = datetime(2026, 11, 5, tzinfo=UTC)


def usage(day: int, team: str, inputs: int, outputs: int, listed: str, at: int = 10) -> dict:
    return bedrock_row(
        account_id=ACCOUNT,
        region="us-east-1",
        model_id=NOVA,
        hour=datetime(2026, 11, day, at, tzinfo=UTC),
        team=team,
        invocations=1,
        input_tokens=inputs,
        output_tokens=outputs,
        estimated_cost_usd=Decimal(listed),
        collected_at=AT,
    )


def usage_line(day: int, usage_type: str, cost: str, quantity: str) -> dict:
    return bill_line(usage_type, cost, quantity) | {"day": date(2026, 11, day)}


def seed(sessions) -> None:
    with sessions.begin() as session:
        upsert(
            session,
            BedrockUsageHourly,
            [
                # list 0.80 / 3.20 per million
                usage(1, "search", 2_000_000, 1_000_000, "4.8"),
                usage(2, "search", 1_000_000, 0, "0.8"),
                usage(2, "support", 1_000_000, 0, "0.8", at=11),
                # the 3rd is not billed yet: the rates of the 2nd price it
                usage(3, "search", 1_000_000, 1_000_000, "4.0"),
            ],
        )
        upsert(
            session,
            CostUsageDaily,
            [
                usage_line(1, "USE1-NovaPro-input-tokens", "1.2", "2000"),  # 0.60 per million
                usage_line(1, "USE1-NovaPro-output-tokens", "2.4", "1000"),  # 2.40 per million
                usage_line(2, "USE1-NovaPro-input-tokens", "1.0", "2000"),  # 0.50 per million
            ],
        )
        upsert(
            session,
            CostDaily,
            [
                cost_row(
                    date(2026, 11, 1), ACCOUNT, "Amazon Bedrock", "search", Decimal("3.7"), AT
                ),
                cost_row(
                    date(2026, 11, 2), ACCOUNT, "Amazon Bedrock", "search", Decimal("0.5"), AT
                ),
                cost_row(
                    date(2026, 11, 2), ACCOUNT, "Amazon Bedrock", "support", Decimal("0.5"), AT
                ),
            ],
        )


def test_list_effective_and_billed_per_day_and_the_unbilled_day_at_the_latest_rate(sessions):
    seed(sessions)
    with sessions() as session:
        rows = daily_reconciliation(session, date(2026, 11, 1), date(2026, 11, 4))
        support = daily_reconciliation(session, date(2026, 11, 1), date(2026, 11, 4), ["support"])
    got = [
        (r.day.day, r.team, r.list_usd, r.effective_usd, r.billed_usd, r.gap_usd)
        + (r.billed_day, r.rate_day)
        for r in rows
    ]
    assert got == [
        (1, "search", Decimal("4.8"), Decimal("3.6"), Decimal("3.7"), Decimal("0.1"), True, None),
        (2, "search", Decimal("0.8"), Decimal("0.5"), Decimal("0.5"), Decimal(0), True, None),
        # support's tokens bill under the same usage type: the day's rate prices them too
        (2, "support", Decimal("0.8"), Decimal("0.5"), Decimal("0.5"), Decimal(0), True, None),
        # input at the 2nd's 0.50, output at the 1st's 2.40 (the latest the bill gave for it)
        (3, "search", Decimal("4.0"), Decimal("2.9"), Decimal(0), None, False, date(2026, 11, 2)),
    ]
    assert [(r.day.day, r.team) for r in support] == [(2, "support")]


def test_without_any_bill_every_day_is_unbilled_and_stays_at_list(sessions):
    with sessions.begin() as session:
        upsert(session, BedrockUsageHourly, [usage(1, "search", 1_000_000, 0, "0.8")])
    with sessions() as session:
        (row,) = daily_reconciliation(session, date(2026, 11, 1), date(2026, 11, 2))
    assert (row.list_usd, row.effective_usd, row.billed_day, row.rate_day, row.gap_usd) == (
        Decimal("0.8"),
        Decimal("0.8"),
        False,
        None,
        None,
    )
