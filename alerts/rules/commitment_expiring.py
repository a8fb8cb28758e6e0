"""Provisioned Throughput commitments: a term about to end, or no term after a month of running."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from alerts.rules.base import Finding, money
from alerts.snapshot import ProvisionedState, Snapshot
from core.registry import RuleEntry, rules
from core.settings import Duration, RuleSettings


class CommitmentExpiringRule(RuleSettings):
    """`{kind: commitment_expiring, before: 14d}`: a term ending within ``before``; a PT without
    a term running for ``candidate_after`` is a candidate for a term (or for on-demand)."""

    kind: Literal["commitment_expiring"]
    severity: Literal["info", "warning", "critical"] = "info"
    before: Duration = timedelta(days=14)
    candidate_after: Duration = timedelta(days=30)


def _expiring(
    rule: CommitmentExpiringRule, pt: ProvisionedState, snapshot: Snapshot
) -> Finding | None:
    ends = pt.commitment_expires_at
    if (
        pt.commitment is None
        or ends is None
        or not snapshot.now < ends <= snapshot.now + rule.before
    ):
        return None
    days = (ends - snapshot.now).total_seconds() / 86400
    return Finding(
        rule=rule.rule_name,
        subject=pt.subject,
        team=pt.team,
        severity=rule.severity,
        message=(
            f"the {pt.commitment} commitment of provisioned throughput {pt.name} ({pt.model_id}, "
            f"{pt.model_units} model units, {pt.account_id}/{pt.region}) ends on {ends.date().isoformat()} "
            f"(in {days:.1f} days): renew it, or it bills at the no-commitment rate until deleted"
        ),
        active_since=ends - rule.before,
        details={"arn": pt.arn, "commitment": pt.commitment, "expires_at": ends.isoformat()},
    )


def _candidate(
    rule: CommitmentExpiringRule, pt: ProvisionedState, snapshot: Snapshot
) -> Finding | None:
    if pt.commitment is not None or snapshot.now - pt.created_at < rule.candidate_after:
        return None
    days = (snapshot.now - pt.created_at).days
    return Finding(
        rule=rule.rule_name,
        subject=pt.subject,
        team=pt.team,
        severity=rule.severity,
        message=(
            f"provisioned throughput {pt.name} ({pt.model_id}, {pt.model_units} model units, "
            f"{pt.account_id}/{pt.region}) has run {days} days without a commitment at "
            f"{money(pt.hourly_usd)} an hour: a 1- or 6-month term costs less, or on-demand may"
        ),
        active_since=pt.created_at + rule.candidate_after,
        details={"arn": pt.arn, "commitment": None, "running_days": days},
    )


def commitments(rule: CommitmentExpiringRule, snapshot: Snapshot) -> list[Finding]:
    """One finding per live PT whose term ends soon, or that has run a month without one."""
    findings = []
    for pt in snapshot.provisioned or ():
        found = _expiring(rule, pt, snapshot) or _candidate(rule, pt, snapshot)
        if found is not None:
            findings.append(found)
    return findings


rules.add(
    RuleEntry(
        "commitment_expiring", CommitmentExpiringRule, commitments, needs="provisioned", order=12
    )
)
