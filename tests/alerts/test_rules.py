from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from alerts.rules import evaluate
from alerts.snapshot import DailySpend, EndpointState, Snapshot, TargetFreshness, TeamBudgetState
from core.settings import parse_config

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def rules(text: str):
    return parse_config(f"alerts: {{rules: [{text}]}}", "t.yaml").alerts.rules


def endpoint(name="e1", idle_hours=30.0, bills=True, in_service=True, tags=None, team="search"):
    return EndpointState(
        account_id="111111111111",
        region="us-east-1",
        endpoint_name=name,
        team=team,
        endpoint_type="real-time",
        instance_type="ml.g5.2xlarge",
        instance_count=2,
        in_service=in_service,
        bills_while_idle=bills,
        idle_since=NOW - timedelta(hours=idle_hours),
        idle_cost_usd=Decimal("181.80"),
        tags=tags or {},
    )


def test_idle_endpoint_findings_carry_the_evidence_and_the_hold():
    (rule,) = rules("{kind: idle_endpoint, for: 24h, exclude_names: ['*-canary']}")
    snapshot = Snapshot(
        NOW,
        endpoints=(
            endpoint("busy", idle_hours=0.5),
            endpoint("idle"),
            endpoint("serverless", bills=False),
            endpoint("creating", in_service=False),
            endpoint("web-canary"),
            endpoint("short", idle_hours=2),
        ),
    )
    findings = {f.subject.split("/")[-1]: f for f in evaluate(rule, snapshot)}
    assert set(findings) == {"idle", "short"}
    idle = findings["idle"]
    assert idle.active_since == NOW - timedelta(hours=30) and idle.hold_for == timedelta(hours=24)
    assert (
        idle.message
        == "endpoint idle (ml.g5.2xlarge x2, 111111111111/us-east-1) has had no invocations for 30h; $181.80 spent while idle"
    )
    assert idle.team == "search" and idle.subject == "111111111111/us-east-1/idle"


def test_keep_alive_tag_silences_until_the_end_of_that_day():
    (rule,) = rules("{kind: idle_endpoint}")
    snapshot = Snapshot(
        NOW,
        endpoints=(
            endpoint(tags={"keep-alive-until": "2026-11-30"}),
            endpoint("bad", tags={"keep-alive-until": "soon"}),
        ),
    )
    findings = {f.subject.split("/")[-1]: f for f in evaluate(rule, snapshot)}
    assert findings["e1"].silenced_until == datetime(2026, 12, 1, tzinfo=UTC)
    assert findings["bad"].silenced_until is None


def test_budget_thresholds_each_once_per_period():
    (rule,) = rules("{kind: budget_threshold, thresholds: [0.5, 0.8, 1.0]}")
    snapshot = Snapshot(
        NOW,
        budgets=(
            TeamBudgetState("search", "2026-11", Decimal("1000"), Decimal("850")),
            TeamBudgetState("support", "2026-11", Decimal("1000"), Decimal("1000")),
            TeamBudgetState("lab", "2026-11", Decimal("0"), Decimal("50")),
        ),
    )
    subjects = sorted((f.subject, f.severity) for f in evaluate(rule, snapshot))
    assert subjects == [
        ("search/2026-11/50%", "warning"),
        ("search/2026-11/80%", "warning"),
        ("support/2026-11/100%", "critical"),
        ("support/2026-11/50%", "warning"),
        ("support/2026-11/80%", "warning"),
    ]
    assert rule.repeat_interval == timedelta(0) and rule.notify_resolved is False


def test_budget_forecast_names_the_crossing_date():
    (rule,) = rules("{kind: budget_forecast}")
    snapshot = Snapshot(
        NOW,
        budgets=(
            TeamBudgetState(
                "search",
                "2026-11",
                Decimal("1000"),
                Decimal("700"),
                Decimal("1250"),
                date(2026, 11, 24),
            ),
            TeamBudgetState(
                "support", "2026-11", Decimal("1000"), Decimal("100"), Decimal("300"), None
            ),
        ),
    )
    (finding,) = evaluate(rule, snapshot)
    assert finding.subject == "search/2026-11"
    assert (
        "projected to spend $1,250.00 in 2026-11, over its $1,000.00 budget; the budget is crossed on 2026-11-24"
        == finding.message.split("team search is ")[1]
    )


def _series(amounts, name="search"):
    start = date(2026, 11, 1)
    return DailySpend(
        "team",
        name,
        name,
        tuple((start + timedelta(days=i), Decimal(str(a))) for i, a in enumerate(amounts)),
    )


def test_spend_spike_against_the_trailing_median():
    (rule,) = rules("{kind: spend_spike, factor: 3, baseline_days: 7, min_increase_usd: 20}")
    snapshot = Snapshot(
        NOW,
        daily_spend=(
            _series(
                [10, 12, 11, 400, 9, 10, 11, 70], "spiky"
            ),  # median 11 despite the 400 in the baseline: 70 > 33
            _series([10, 12, 11, 10, 9, 10, 11, 30], "flat"),  # 30 < 3 x 10.5
            _series([1, 1, 1, 1, 1, 1, 1, 15], "tiny"),  # 15x but only $14 more
            _series([0, 0, 0, 0, 0, 0, 0, 25], "new"),  # from nothing, $25
            _series([5, 90], "short"),  # not enough history
        ),
    )
    found = {f.subject: f for f in evaluate(rule, snapshot)}
    assert set(found) == {"team/spiky/2026-11-08", "team/new/2026-11-08"}
    assert (
        found["team/spiky/2026-11-08"].message
        == "team spiky spent $70.00 on 2026-11-08, 6.4x the 7-day median of $11.00"
    )
    assert "from nothing" in found["team/new/2026-11-08"].message


def test_stale_data_watches_the_collectors():
    (rule,) = rules("{kind: stale_data, for: 6h}")
    snapshot = Snapshot(
        NOW,
        targets=(
            TargetFreshness("bedrock", "111111111111", "us-east-1", NOW - timedelta(hours=1), NOW),
            TargetFreshness(
                "bedrock",
                "111111111111",
                "eu-west-1",
                NOW - timedelta(hours=9),
                NOW,
                "cloudwatch:GetMetricData failed (Throttling)",
            ),
            TargetFreshness(
                "costs", "111111111111", "us-east-1", None, NOW - timedelta(hours=1), "AccessDenied"
            ),
            TargetFreshness("sagemaker", "111111111111", "us-east-1", None, None),
        ),
    )
    found = {f.subject: f.message for f in evaluate(rule, snapshot)}
    assert found == {
        "bedrock/111111111111/eu-west-1": "bedrock collection for 111111111111/eu-west-1 last succeeded 9h ago (last error: cloudwatch:GetMetricData failed (Throttling))",
        "costs/111111111111/us-east-1": "costs collection for 111111111111/us-east-1 never succeeded (last error: AccessDenied)",
    }


def test_a_rule_without_its_data_is_not_evaluated():
    for rule in rules(
        "{kind: idle_endpoint}, {kind: budget_threshold}, {kind: spend_spike}, {kind: stale_data}"
    ):
        assert evaluate(rule, Snapshot(NOW)) is None
