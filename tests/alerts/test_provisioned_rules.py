"""The Provisioned Throughput rules on hand-made snapshots (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from alerts.rules import evaluate
from alerts.snapshot import ProvisionedState, Snapshot
from core.settings import parse_config

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def rules(text: str):
    return parse_config(f"alerts: {{rules: [{text}]}}", "t.yaml").alerts.rules


def pt(
    name="pt",
    age_days=40.0,
    idle_hours=30.0,
    commitment=None,
    expires_in_days=None,
    in_service=True,
):
    return ProvisionedState(
        account_id="111111111111",
        region="us-east-1",
        name=name,
        arn=f"arn:aws:bedrock:us-east-1:111111111111:provisioned-model/{name}",
        team="search",
        model_id="anthropic.claude-instant-v1",
        model_units=2,
        commitment=commitment,
        commitment_expires_at=None
        if expires_in_days is None
        else NOW + timedelta(days=expires_in_days),
        created_at=NOW - timedelta(days=age_days),
        in_service=in_service,
        idle_since=NOW - timedelta(hours=idle_hours),
        idle_cost_usd=Decimal("2640.00"),
        hourly_usd=Decimal("88.00"),
    )


def test_idle_pt_findings_skip_the_busy_the_young_and_the_not_in_service():
    (rule,) = rules("{kind: idle_provisioned_throughput, for: 24h}")
    snapshot = Snapshot(
        NOW,
        provisioned=(
            pt("idle"),
            pt("busy", idle_hours=0.5),
            pt("young", age_days=0.5, idle_hours=12),
            pt("creating", in_service=False),
        ),
    )
    (finding,) = evaluate(rule, snapshot)
    assert (finding.subject, finding.team, finding.hold_for, finding.active_since) == (
        "111111111111/us-east-1/idle",
        "search",
        timedelta(hours=24),
        NOW - timedelta(hours=30),
    )
    assert "$2,640.00 burnt while idle" in finding.message
    assert evaluate(rule, Snapshot(NOW)) is None  # no PT data read: not evaluated


def test_a_term_ending_within_before_and_a_month_without_a_term_are_flagged():
    (rule,) = rules("{kind: commitment_expiring, before: 14d}")
    snapshot = Snapshot(
        NOW,
        provisioned=(
            pt("ending", commitment="OneMonth", expires_in_days=3),
            pt("later", commitment="SixMonths", expires_in_days=60),
            pt("no-term-old", age_days=31),
            pt("no-term-new", age_days=10),
        ),
    )
    findings = {f.subject.rsplit("/", 1)[-1]: f for f in evaluate(rule, snapshot)}
    assert sorted(findings) == ["ending", "no-term-old"]
    assert findings["ending"].message.endswith(
        "ends on 2026-11-23 (in 3.0 days): renew it, or it bills at the no-commitment rate until deleted"
    )
    assert findings["ending"].active_since == NOW + timedelta(days=3) - timedelta(days=14)
    assert (
        "has run 31 days without a commitment at $88.00 an hour" in findings["no-term-old"].message
    )
    assert findings["no-term-old"].severity == "info"
