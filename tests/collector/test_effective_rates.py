"""Effective rates from the bill: Cost Explorer lines with UsageQuantity, collected through the
real collector (moto's Cost Explorer), then cost / quantity per usage type, region and day, and
the per team-model reconciliation, on SQLite and Postgres."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from core.aws import ClientFactory
from core.db import upsert
from core.models import BedrockUsageHourly
from core.queries.effective_rates import effective_rate, effective_rates
from core.queries.model_reconciliation import model_reconciliation
from demo.rows import bedrock_row
from tests.collector.test_cost_explorer_collect import (
    ACCOUNT,
    BEDROCK,
    CONFIG,
    NOW,
    SONNET,
    collect,
    discovery,
    queue,
)

NOV1, NOV2, NOV3 = date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)
NOVA = "amazon.nova-pro-v1:0"
SONNET_ID = "anthropic.claude-3-5-sonnet-20240620-v1:0"
K = "1K tokens"
# (day, service, usage type, tag group, cost, quantity, unit)
LINES = [
    (NOV1, BEDROCK, "USE1-NovaPro-input-tokens", "team$search", "1.20", "2000", K),
    (NOV1, BEDROCK, "USE1-NovaPro-input-tokens", "team$support", "0.30", "500", K),
    (NOV1, BEDROCK, "USE1-NovaPro-output-tokens", "team$search", "3.84", "1500", K),
    (NOV2, BEDROCK, "EU-NovaPro-input-tokens", "team$search", "0.35", "500", K),
    (NOV2, BEDROCK, "USE1-ModelStorage", "team$search", "0.5", "0", "GB-Mo"),
    (NOV1, SONNET, "USE1-MP:USE1_InputTokenCount-Units", "team$search", "2.7", "1000", K),
]


def daily_answer(service: str) -> dict:
    """A DAILY USAGE_TYPE x TAG answer with UnblendedCost and UsageQuantity for one service."""
    days = sorted({line[0] for line in LINES if line[1] == service})
    return {
        "ResultsByTime": [
            {
                "TimePeriod": {"Start": day.isoformat(), "End": (day + timedelta(1)).isoformat()},
                "Total": {},
                "Groups": [
                    {
                        "Keys": [usage, tag],
                        "Metrics": {
                            "UnblendedCost": {"Amount": cost, "Unit": "USD"},
                            "UsageQuantity": {"Amount": quantity, "Unit": unit},
                        },
                    }
                    for d, s, usage, tag, cost, quantity, unit in LINES
                    if d == day and s == service
                ],
                "Estimated": False,
            }
            for day in days
        ],
        "DimensionValueAttributes": [],
    }


def collect_bill(aws, sessions) -> None:
    queue(
        aws,
        discovery([(NOV1, date(2026, 12, 1), [(BEDROCK, ACCOUNT), (SONNET, ACCOUNT)])]),
        daily_answer(BEDROCK),
        daily_answer(SONNET),
    )
    start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)
    result = collect(sessions, CONFIG, ClientFactory(), NOW, start, end)
    assert [o.status for o in result.outcomes] == ["succeeded"]


def test_an_effective_rate_is_cost_over_quantity_and_none_without_usage():
    assert effective_rate(Decimal("1.5"), Decimal("2500")) == Decimal("0.0006")
    assert effective_rate(Decimal("0.5"), Decimal(0)) is None
    assert effective_rate(Decimal("0.5"), None) is None


def test_the_effective_rates_are_cost_over_quantity_of_the_collected_lines(aws, sessions):
    collect_bill(aws, sessions)
    with sessions() as session:
        rates = effective_rates(session, NOV1, NOV3)
    got = {(r.day, r.usage_type): (r.region, r.cost_usd, r.quantity, r.rate) for r in rates}
    expected: dict[tuple, list[Decimal]] = {}
    for day, _service, usage, _tag, cost, quantity, _unit in LINES:
        pair = expected.setdefault((day, usage), [Decimal(0), Decimal(0)])
        pair[0] += Decimal(cost)
        pair[1] += Decimal(quantity)
    assert set(got) == set(expected)
    for key, (cost, quantity) in expected.items():
        region, stored_cost, stored_quantity, rate = got[key]
        assert (stored_cost, stored_quantity) == (cost, quantity), key
        assert rate == (cost / quantity if quantity else None), key
    assert got[(NOV1, "USE1-NovaPro-input-tokens")][3] == Decimal("0.0006")  # both teams
    assert got[(NOV2, "EU-NovaPro-input-tokens")][0] == "eu-west-1"
    assert got[(NOV2, "USE1-ModelStorage")][3] is None  # no quantity: no rate


def usage(hour: datetime, model: str, team: str, inputs: int, outputs: int, listed: str) -> dict:
    return bedrock_row(
        account_id=ACCOUNT,
        region="us-east-1",
        model_id=model,
        hour=hour,
        team=team,
        invocations=10,
        input_tokens=inputs,
        output_tokens=outputs,
        estimated_cost_usd=Decimal(listed),
        collected_at=NOW,
    )


def test_list_effective_and_billed_side_by_side_per_team_and_model(aws, sessions):
    collect_bill(aws, sessions)
    at = datetime(2026, 11, 1, 10, tzinfo=UTC)
    with sessions.begin() as session:
        upsert(
            session,
            BedrockUsageHourly,
            [
                usage(at, NOVA, "search", 2_000_000, 1_500_000, "6.4"),
                # a day the bill does not cover yet: the latest effective rate prices it
                usage(at + timedelta(days=1), NOVA, "search", 1_000_000, 0, "0.8"),
                usage(at, SONNET_ID, "search", 1_000_000, 0, "3"),
                # output tokens the bill has no rate for: this hour stays at list price
                usage(at + timedelta(hours=1), SONNET_ID, "search", 0, 100_000, "1.5"),
            ],
        )
    with sessions() as session:
        rows = model_reconciliation(session, NOV1, NOV3)
        support_only = model_reconciliation(session, NOV1, NOV3, ["support"])
    got = {(r.team, r.model): r for r in rows}
    nova = got[("search", NOVA)]
    assert (nova.list_usd, nova.effective_usd, nova.billed_usd) == (
        Decimal("7.2"),
        Decimal("1.2") + Decimal("3.84") + Decimal("0.6"),
        Decimal("5.39"),  # us-east-1 on the 1st, eu-west-1 on the 2nd
    )
    # billed (day, region)s only: the us-east-1 hour of the 2nd is not billed yet
    assert nova.gap_pct == (Decimal("5.39") - Decimal("5.04")) / Decimal("5.39") * 100
    sonnet = got[("search", SONNET_ID)]
    assert (sonnet.list_usd, sonnet.effective_usd, sonnet.billed_usd) == (
        Decimal("4.5"),
        Decimal("2.7") + Decimal("1.5"),
        Decimal("2.7"),
    )
    assert sonnet.gap_pct == (Decimal("2.7") - Decimal("4.2")) / Decimal("2.7") * 100
    # support was billed for Nova Pro but has no token metrics: the bill alone, no estimate
    assert [(r.team, r.list_usd, r.effective_usd, r.billed_usd) for r in support_only] == [
        ("support", Decimal(0), Decimal(0), Decimal("0.3"))
    ]
