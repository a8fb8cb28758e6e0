"""Idle Provisioned Throughput: billing per model unit every hour, and not called for `for`."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from alerts.rules.base import Finding, hours, money
from alerts.snapshot import ProvisionedState, Snapshot
from core.registry import RuleEntry, rules
from core.settings import Duration, RuleSettings

# a PT must have gone a full hour without a call before it is even pending idle
MIN_IDLE = timedelta(hours=1)


class IdleProvisionedThroughputRule(RuleSettings):
    """`{kind: idle_provisioned_throughput}`: fires for a PT not called for longer than ``for``."""

    kind: Literal["idle_provisioned_throughput"]
    for_: Duration = Field(default=timedelta(hours=24), alias="for")


def _message(pt: ProvisionedState, idle: timedelta) -> str:
    term = pt.commitment or "no commitment"
    return (
        f"provisioned throughput {pt.name} ({pt.model_id}, {pt.model_units} model units, {term}, "
        f"{pt.account_id}/{pt.region}) has had no invocations for {hours(idle)}; "
        f"{money(pt.idle_cost_usd)} burnt while idle, {money(pt.hourly_usd)} an hour"
    )


def idle_provisioned(rule: IdleProvisionedThroughputRule, snapshot: Snapshot) -> list[Finding]:
    """In-service PTs older than ``for`` with no invocation for at least an hour (fires after ``for``)."""
    findings = []
    for pt in snapshot.provisioned or ():
        # a PT younger than `for` is never idle: its first calls may still be on their way
        if not pt.in_service or snapshot.now - pt.created_at < rule.for_:
            continue
        idle = snapshot.now - pt.idle_since
        if idle < MIN_IDLE:
            continue
        findings.append(
            Finding(
                rule=rule.rule_name,
                subject=pt.subject,
                team=pt.team,
                severity=rule.severity,
                message=_message(pt, idle),
                active_since=pt.idle_since,
                hold_for=rule.for_,
                details={
                    "resource": pt.arn,
                    "arn": pt.arn,
                    "account_id": pt.account_id,
                    "region": pt.region,
                    "model_id": pt.model_id,
                    "model_units": pt.model_units,
                    "commitment": pt.commitment,
                    "idle_hours": round(idle.total_seconds() / 3600, 1),
                    "idle_cost_usd": None if pt.idle_cost_usd is None else str(pt.idle_cost_usd),
                },
            )
        )
    return findings


rules.add(
    RuleEntry(
        "idle_provisioned_throughput",
        IdleProvisionedThroughputRule,
        idle_provisioned,
        needs="provisioned",
        order=11,
    )
)
