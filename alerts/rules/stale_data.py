"""Stale data: a collector target that has not succeeded for longer than `for`."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from alerts.rules.base import Finding, hours
from alerts.snapshot import Snapshot
from core.registry import RuleEntry, rules
from core.settings import UNATTRIBUTED, Duration, RuleSettings


class StaleDataRule(RuleSettings):
    """`{kind: stale_data}`: the monitor watching its own collectors."""

    kind: Literal["stale_data"]
    for_: Duration = Field(default=timedelta(hours=6), alias="for")


def stale_targets(rule: StaleDataRule, snapshot: Snapshot) -> list[Finding]:
    """Collector targets that have not succeeded for longer than ``for`` (the monitor watching itself)."""
    findings = []
    for target in snapshot.targets or ():
        if (
            target.last_success_at is not None
            and snapshot.now - target.last_success_at <= rule.for_
        ):
            continue
        if target.last_success_at is None and target.last_attempt_at is None:
            continue
        since = (
            "never succeeded"
            if target.last_success_at is None
            else f"last succeeded {hours(snapshot.now - target.last_success_at)} ago"
        )
        reason = f" (last error: {target.last_error})" if target.last_error else ""
        findings.append(
            Finding(
                rule=rule.rule_name,
                subject=target.subject,
                team=UNATTRIBUTED,
                severity=rule.severity,
                message=f"{target.source} collection for {target.account_id}/{target.region} {since}{reason}",
                details={
                    "source": target.source,
                    "account_id": target.account_id,
                    "region": target.region,
                },
            )
        )
    return findings


rules.add(RuleEntry("stale_data", StaleDataRule, stale_targets, needs="targets", order=50))
