"""The Cost Explorer collector's pure parts: usage groups, teams, accounts, ranges, transform."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from collector.cost_explorer import (
    CostAnswers,
    CostExplorerCollector,
    PreparedTarget,
    cost_range,
    day_range,
)
from collector.cost_explorer_rows import (
    months_with_spend,
    parse_page,
    responsible_for,
    team_of,
    transform,
    usage_group,
)
from core.aws import ClientFactory, Target
from core.services import is_genai_service
from core.settings import parse_config
from tests.collector.answers import load_answer

NOW = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)
MARKETPLACE = "Claude 3.5 Sonnet (Amazon Bedrock Edition)"


@pytest.mark.parametrize(
    ("usage_type", "group"),
    [
        ("USE1-Claude3.5Sonnet-input-tokens", "input_tokens"),
        ("USW2-Claude3Haiku-output-tokens", "output_tokens"),
        ("USE1-MP:USE1_InputTokenCount-Units", "input_tokens"),
        ("USE1-MP:USE1_OutputTokenCount-Units", "output_tokens"),
        ("USE1-MP:USE1_CacheReadInputTokenCount-Units", "cache"),
        ("USE1-Claude3.7Sonnet-cache-write-input-token-count", "cache"),
        ("USE1-Host:ml.g5.2xlarge", "instance_hours"),
        ("USE1-AsyncInf:ml.g5.xlarge", "instance_hours"),
        ("USE1-ESInstance:r6g.large", "instance_hours"),
        ("USE1-ServerlessInf:Mem-4GB", "serverless"),
        ("USE1-SearchOCU", "serverless"),
        ("USE1-Host:VolumeUsage.gp2", "storage"),
        ("USE1-ES:ServerlessStorage", "storage"),
        ("USE1-CustomModelStorage", "storage"),
        ("USE1-Notebk:ml.t3.medium", "other"),
        ("USE1-DataTransfer-Out-Bytes", "other"),
    ],
)
def test_usage_types_fall_into_usage_groups(usage_type, group):
    assert usage_group(usage_type) == group


def test_tag_groups_name_the_team_and_an_empty_tag_is_unattributed():
    assert team_of("team$search", "team") == "search"
    assert team_of("team$", "team") == "unattributed"
    assert team_of("team$", "team", default_team="platform") == "platform"
    assert team_of("cost-center$ 42 ", "cost-center") == "42"
    assert team_of("team$" + "x" * 65, "team") == "unattributed"


def test_genai_services_include_marketplace_models_and_the_configured_extras():
    assert is_genai_service("Amazon Bedrock")
    assert is_genai_service(MARKETPLACE)
    assert is_genai_service("Amazon SageMaker")
    assert not is_genai_service("Amazon OpenSearch Service")
    assert is_genai_service("Amazon OpenSearch Service", ["Amazon OpenSearch Service"])
    assert not is_genai_service("Amazon Elastic Compute Cloud - Compute")


def test_an_account_is_collected_by_its_own_target_only():
    payer = Target("111111111111", "us-east-1")
    configured = frozenset({"111111111111", "222222222222"})
    assert responsible_for("111111111111", payer, configured)
    assert not responsible_for("222222222222", payer, configured)  # its own target reads it
    assert responsible_for("333333333333", payer, configured)  # a linked account nobody else reads


def test_cost_explorer_is_global_one_target_per_account():
    config = parse_config(
        'accounts: [{id: "111111111111"}, {id: "222222222222", team: lab}]\nregions: [us-west-2, eu-west-1]\nteams: [{name: lab}]',
        "t.yaml",
    )
    configured = [
        Target(a.id, r, default_team=a.team) for a in config.accounts for r in config.regions
    ]
    targets = CostExplorerCollector(config, lambda *_: None).targets(configured)
    assert [(t.account_id, t.region, t.default_team) for t in targets] == [
        ("111111111111", "us-east-1", None),
        ("222222222222", "us-east-1", "lab"),
    ]


def page(*days, estimated=(), token=None, amortized=False):
    results = []
    for day, groups in days:
        results.append(
            {
                "TimePeriod": {
                    "Start": day.isoformat(),
                    "End": (day + timedelta(days=1)).isoformat(),
                },
                "Total": {},
                "Groups": [
                    {
                        "Keys": [usage_type, team_key],
                        "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}
                        | (
                            {"AmortizedCost": {"Amount": amount, "Unit": "USD"}}
                            if amortized
                            else {}
                        ),
                    }
                    for usage_type, team_key, amount in groups
                ],
                "Estimated": day in estimated,
            }
        )
    answer = {"ResultsByTime": results, "DimensionValueAttributes": []}
    if token:
        answer["NextPageToken"] = token
    return answer


def test_transform_sums_usage_types_per_group_and_team_and_marks_open_days_estimated():
    d1, d2, today = date(2026, 11, 18), date(2026, 11, 19), NOW.date()
    lines = parse_page(
        page(
            (
                d1,
                [
                    ("USE1-Claude3Haiku-input-tokens", "team$search", "1.25"),
                    ("USE1-Claude3Sonnet-input-tokens", "team$search", "0.0000004"),
                    ("USE1-Claude3Haiku-output-tokens", "team$", "2"),
                ],
            ),
            (d2, [("USE1-Claude3Haiku-input-tokens", "team$support", "3.5")]),
            (today, [("USE1-Claude3Haiku-input-tokens", "team$support", "0.5")]),
            estimated={d2},
        ),
        "123456789012",
        "Amazon Bedrock",
    )
    rows = transform(lines, tag_key="team", default_teams={}, collected_at=NOW)
    got = {(r["day"], r["usage_group"], r["team"]): (r["amount_usd"], r["estimated"]) for r in rows}
    assert got == {
        (d1, "input_tokens", "search"): (Decimal("1.250000"), False),
        (d1, "output_tokens", "unattributed"): (Decimal("2.000000"), False),
        (d2, "input_tokens", "support"): (Decimal("3.500000"), True),
        (today, "input_tokens", "support"): (Decimal("0.500000"), True),
    }
    assert all(
        r["account_id"] == "123456789012"
        and r["service"] == "Amazon Bedrock"
        and r["amortized_usd"] is None
        for r in rows
    )
    assert all(isinstance(r["amount_usd"], Decimal) for r in rows)


def test_transform_gives_untagged_lines_the_accounts_team_and_keeps_amortized_cost():
    lines = parse_page(
        page((date(2026, 11, 1), [("USE1-Host:ml.g5.xlarge", "team$", "10.5")]), amortized=True),
        "222222222222",
        "Amazon SageMaker",
    )
    rows = transform(lines, tag_key="team", default_teams={"222222222222": "lab"}, collected_at=NOW)
    assert [(r["team"], r["usage_group"], r["amount_usd"], r["amortized_usd"]) for r in rows] == [
        ("lab", "instance_hours", Decimal("10.500000"), Decimal("10.500000"))
    ]


def test_prepared_pairs_are_those_of_the_months_a_window_touches():
    prepared = PreparedTarget(
        Target("1", "us-east-1"),
        [
            (date(2026, 10, 1), date(2026, 11, 1), frozenset({("1", "Amazon Bedrock")})),
            (
                date(2026, 11, 1),
                date(2026, 11, 21),
                frozenset({("1", MARKETPLACE), ("3", "Amazon Bedrock")}),
            ),
        ],
    )
    assert prepared.pairs(date(2026, 10, 13), date(2026, 10, 31)) == [("1", "Amazon Bedrock")]
    assert prepared.pairs(date(2026, 10, 20), date(2026, 11, 4)) == [
        ("1", "Amazon Bedrock"),
        ("1", MARKETPLACE),
        ("3", "Amazon Bedrock"),
    ]
    assert prepared.accounts() == frozenset({"1", "3"})


SETTINGS = parse_config("", "t.yaml").collection.costs


def at(*args):
    return datetime(*args, tzinfo=UTC)


def test_a_regular_cycle_mid_month_rereads_the_lookback_days_only():
    window = cost_range(at(2026, 11, 20), NOW, SETTINGS)
    assert (window.start, window.end) == (at(2026, 11, 17), at(2026, 11, 21))


def test_early_in_a_month_the_previous_month_is_reread_until_it_is_final():
    window = cost_range(at(2026, 11, 3), at(2026, 11, 2, 18), SETTINGS)
    assert (window.start, window.end) == (at(2026, 10, 1), at(2026, 11, 3))
    window = cost_range(at(2026, 11, 6), at(2026, 11, 6, 1), SETTINGS)  # 5 days in: final
    assert window.start == at(2026, 11, 3)


def test_the_first_cycle_reads_from_the_start_of_the_previous_month_and_an_outage_gap_is_filled():
    assert cost_range(None, NOW, SETTINGS).start == at(2026, 10, 1)
    longer = parse_config("collection: {costs: {initial_backfill: 90d}}", "t.yaml").collection.costs
    assert cost_range(None, NOW, longer).start == at(2026, 8, 23)
    assert cost_range(at(2026, 11, 10), NOW, SETTINGS).start == at(2026, 11, 7)


def test_day_ranges_are_whole_days_within_cost_explorers_history():
    assert day_range(at(2026, 11, 1, 5), at(2026, 11, 3, 11)) == (
        date(2026, 11, 1),
        date(2026, 11, 4),
    )
    assert day_range(at(2026, 11, 1), at(2026, 11, 3)) == (date(2026, 11, 1), date(2026, 11, 3))
    assert day_range(at(2024, 1, 1), at(2026, 11, 3)) == (date(2025, 10, 1), date(2026, 11, 3))


# --- recorded raw answers (tests/data/aws) ---

PAYER = Target("111111111111", "us-east-1", default_team="platform")


def test_monthly_pages_give_the_genai_pairs_a_payer_is_responsible_for_per_month():
    monthly = load_answer("ce", "get_cost_and_usage_monthly")
    # 333333333333 is configured: its own target collects it; EC2 and Tax are not GenAI
    configured = frozenset({"111111111111", "333333333333"})
    assert months_with_spend(monthly, PAYER, configured) == [
        (
            date(2026, 10, 1),
            date(2026, 11, 1),
            frozenset({("111111111111", "Amazon Bedrock"), ("222222222222", MARKETPLACE)}),
        ),
        (date(2026, 11, 1), date(2026, 11, 21), frozenset({("111111111111", "Amazon Bedrock")})),
    ]
    assert months_with_spend(monthly, PAYER, configured, ["Tax"])[1][2] == frozenset(
        {("111111111111", "Amazon Bedrock"), ("111111111111", "Tax")}
    )


def test_daily_pages_become_rows_per_day_usage_group_and_team():
    collector = CostExplorerCollector(
        parse_config("collection: {costs: {amortized: true}}", "t.yaml"), ClientFactory()
    )
    prepared = PreparedTarget(
        PAYER, [(date(2026, 11, 1), date(2026, 11, 21), frozenset({("222222222222", MARKETPLACE)}))]
    )
    daily = load_answer("ce", "get_cost_and_usage_daily")
    fetched = CostAnswers(
        date(2026, 11, 18), date(2026, 11, 20), [("111111111111", "Amazon Bedrock", daily)]
    )
    collected_at = datetime(2026, 11, 19, 10, 30, tzinfo=UTC)
    window = collector.transform(prepared, fetched, collected_at)

    def row(day, group, team, amount, estimated):
        return {
            "day": day,
            "account_id": "111111111111",
            "service": "Amazon Bedrock",
            "usage_group": group,
            "team": team,
            "amount_usd": Decimal(amount),
            "amortized_usd": Decimal(amount),
            "estimated": estimated,
            "collected_at": collected_at,
        }

    nov18, nov19 = date(2026, 11, 18), date(2026, 11, 19)
    assert window.rows == [
        row(nov18, "input_tokens", "platform", "0.400000", False),  # team$: the account's team
        row(nov18, "input_tokens", "search", "1.200000", False),
        row(nov18, "output_tokens", "search", "2.300000", False),
        row(nov19, "cache", "search", "0.050000", True),
        row(nov19, "input_tokens", "search", "0.700000", True),
    ]
    assert (window.accounts, window.first, window.end) == (
        frozenset({"111111111111", "222222222222"}),
        nov18,
        date(2026, 11, 20),
    )
